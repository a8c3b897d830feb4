"""Internal services accept only the certificates of the services that call them (mutual TLS
plus a per-service allow-list), over real TLS channels with a development CA."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from finadvisor.services.state.config import StateSettings
from finadvisor.services.state.server import StateApp
from finadvisor.shared.config import load_settings
from finadvisor.shared.security import channel_credentials, generate_dev_pki, server_credentials
from finadvisor.shared.server import create_server
from finadvisor.state.v1 import state_pb2, state_pb2_grpc

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_only_the_gateway_certificate_may_call_state(redis_server, tmp_path) -> None:
    tls = generate_dev_pki(tmp_path / "tls", ["state", "gateway", "console", "supervisor"])
    app = StateApp(load_settings(StateSettings, {"REDIS_URL": redis_server.url,
                                                 "FINADVISOR_INSECURE": "1"}))
    srv = await create_server(app, "127.0.0.1:0",
                              credentials=server_credentials(tls, "state", True))
    await srv.start_app()
    channels: list[grpc.aio.Channel] = []

    def stub(name: str) -> state_pb2_grpc.StateTrackerStub:
        ch = grpc.aio.secure_channel(f"localhost:{srv.port}", channel_credentials(tls, name))
        channels.append(ch)
        return state_pb2_grpc.StateTrackerStub(ch)

    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub("console").ListSessions(state_pb2.ListSessionsRequest(limit=5),
                                               timeout=10)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub("supervisor").GetState(state_pb2.GetStateRequest(session_id="s1"),
                                              timeout=10)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # The gateway is the state service's caller; any certificate of the CA may probe health.
        await stub("gateway").ListSessions(state_pb2.ListSessionsRequest(limit=5), timeout=10)
        # The checked handler is made once per method; every call is still checked.
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub("console").ListSessions(state_pb2.ListSessionsRequest(limit=5),
                                               timeout=10)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        ch = grpc.aio.secure_channel(f"localhost:{srv.port}",
                                     channel_credentials(tls, "console"))
        channels.append(ch)
        health = await health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        for ch in channels:
            await ch.close()
        await srv.stop(0)
