"""The split-overhead baseline of `finadvisor bench`: the gateway with every service in its
own process, called directly. It must answer turns exactly as the split stack does."""

from __future__ import annotations

import grpc
import pytest
import pytest_asyncio

from finadvisor.bench.monolith import MonolithGatewayApp
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.shared.client import make_channel
from finadvisor.shared.config import load_settings
from finadvisor.shared.server import create_server
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TEXTS = ["I'd like to borrow 15,000 dollars to buy a car", "over 3 years please",
         "I am 38 and have been employed for 7 years"]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def monolith(redis_server):
    env = {"REDIS_URL": redis_server.url, "FINADVISOR_INSECURE": "1"}
    app = MonolithGatewayApp(load_settings(GatewaySettings, env), env)
    srv = await create_server(app, "127.0.0.1:0")
    await srv.start_app()
    channel = make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=30)
    yield gateway_pb2_grpc.AdvisoryGatewayStub(channel)
    await channel.close()
    await srv.stop(0)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(redis_server):
    s = await Stack(redis_server.url).start()
    yield s
    await s.stop()


async def dialogue(stub: gateway_pb2_grpc.AdvisoryGatewayStub) -> list[gateway_pb2.ConverseResponse]:
    sid = (await stub.StartSession(gateway_pb2.StartSessionRequest(), timeout=10)).session_id
    return [await stub.Converse(gateway_pb2.ConverseRequest(session_id=sid, request_id=f"m{i}",
                                                            text=text), timeout=20)
            for i, text in enumerate(TEXTS)]


async def test_monolith_answers_as_the_split_stack(monolith, stack: Stack) -> None:
    direct, split = await dialogue(monolith), await dialogue(stack.gateway)
    for a, b in zip(direct, split, strict=True):
        assert a.reply == b.reply and not a.fallback
        assert {k: v.value for k, v in a.state.slots.items()} == \
            {k: v.value for k, v in b.state.slots.items()}
        assert list(a.attention.output_tokens) == list(b.attention.output_tokens)
    assert direct[0].state.slots["loan_amount"].value == "15000"


async def test_monolith_maps_backend_errors_to_the_same_status_codes(monolith) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await monolith.Converse(gateway_pb2.ConverseRequest(
            session_id="no-such-session", request_id="r1", text="hello"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
