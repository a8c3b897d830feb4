"""Every field a client sends has a bound, and a request past it is INVALID_ARGUMENT whose message
names the field's limit (a whole message past the gRPC maximum is RESOURCE_EXHAUSTED naming
the byte limit, as docs/DEPLOY.md documents). Through the real gateway, every service
in-process, real Redis; a request just inside each bound is accepted."""

from __future__ import annotations

import grpc
import pytest
import pytest_asyncio

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

MIB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(redis_server):
    s = await Stack(redis_server.url).start()
    yield s
    await s.stop()


async def _refusal(call) -> tuple[grpc.StatusCode, str]:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code(), exc.details() or ""
    return grpc.StatusCode.OK, ""


async def test_string_fields_are_bounded_and_the_limit_is_named(stack: Stack) -> None:
    gw = stack.gateway
    inside = await gw.StartSession(gateway_pb2.StartSessionRequest(
        customer_id="c" * 128, locale="x" * 35), timeout=30)
    sid = inside.session_id
    start = gateway_pb2.StartSessionRequest
    cases = [
        (gw.StartSession(start(customer_id="c" * 129), timeout=30), "128"),
        (gw.StartSession(start(customer_id="c\x00d"), timeout=30), "customer_id"),
        (gw.StartSession(start(locale="x" * 36), timeout=30), "35"),
        (gw.StartSession(start(currency="EURO"), timeout=30), "ISO 4217"),
        (gw.StartSession(start(profile={f"k{i}": "v" for i in range(33)}), timeout=30), "32"),
        (gw.StartSession(start(profile={"property": "p" * 129}), timeout=30), "property"),
        (gw.Converse(gateway_pb2.ConverseRequest(session_id=sid, request_id="r" * 129,
                                                 text="hi"), timeout=30), "128"),
        (gw.Converse(gateway_pb2.ConverseRequest(session_id="s" * 129, request_id="r1",
                                                 text="hi"), timeout=30), "session_id"),
        (gw.Converse(gateway_pb2.ConverseRequest(session_id=sid, request_id="r2",
                                                 text="a" * 2001), timeout=30), "2000"),
        (gw.Converse(gateway_pb2.ConverseRequest(
            session_id=sid, request_id="r3", image=common_pb2.Attachment(
                data=PNG + b"\0" * (10 * MIB), mime_type="image/png")), timeout=30),
         str(10 * MIB)),
        (gw.Converse(gateway_pb2.ConverseRequest(
            session_id=sid, request_id="r4", audio=common_pb2.Attachment(
                data=b"RIFF" + b"\0" * (5 * MIB), mime_type="audio/wav")), timeout=30),
         str(5 * MIB)),
        (gw.ListSessions(gateway_pb2.ListSessionsRequest(client_id="c" * 200), timeout=30),
         "client_id"),
    ]
    for call, named in cases:
        code, details = await _refusal(call)
        assert code == grpc.StatusCode.INVALID_ARGUMENT, (named, code, details)
        assert named in details, (named, details)
    # Just inside the text bound: a turn.
    ok = await gw.Converse(gateway_pb2.ConverseRequest(session_id=sid, request_id="r5",
                                                       text="I need a loan " + "a" * 1986),
                           timeout=60)
    assert ok.reply


async def test_a_message_past_the_grpc_maximum_names_the_limit(stack: Stack) -> None:
    big = grpc.aio.insecure_channel(f"127.0.0.1:{stack.ports['gateway']}", options=[
        ("grpc.max_send_message_length", 64 * MIB)])
    try:
        stub = gateway_pb2_grpc.AdvisoryGatewayStub(big)
        code, details = await _refusal(stub.Converse(gateway_pb2.ConverseRequest(
            session_id="s1", request_id="huge", text="x", image=common_pb2.Attachment(
                data=b"\0" * (17 * MIB), mime_type="image/png")), timeout=30))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert str(16 * MIB) in details, details
    finally:
        await big.close()
