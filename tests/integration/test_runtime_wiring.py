"""Servicers built by start(): the runtime registers them late and answers UNAVAILABLE before.

Real in-process gRPC server on loopback with the shared runtime (``register_after_start``).
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from finadvisor.shared.client import make_channel
from finadvisor.shared.server import ServiceApp, create_server
from finadvisor.state.v1 import state_pb2, state_pb2_grpc

pytestmark = pytest.mark.integration
SERVICE = "finadvisor.state.v1.StateTracker"


class Greeter(state_pb2_grpc.StateTrackerServicer):
    """A servicer that needs what start() loaded: it gets it in its constructor."""

    def __init__(self, intent: str) -> None:
        self.intent = intent

    async def Understand(self, request, context):
        return state_pb2.UnderstandResponse(intent=self.intent)


class LateApp(ServiceApp):
    name = "lateprobe"
    service_names = (SERVICE,)
    register_after_start = True

    def __init__(self) -> None:
        self.loaded = asyncio.Event()
        self.servicer: Greeter | None = None
        self.registered = 0

    async def start(self) -> None:
        await self.loaded.wait()  # the test decides when "the model" has loaded
        self.servicer = Greeter("greet")

    def register(self, server: grpc.aio.Server) -> None:
        assert self.servicer is not None, "register() ran before start()"
        self.registered += 1
        state_pb2_grpc.add_StateTrackerServicer_to_server(self.servicer, server)

    async def check(self) -> bool:
        return self.servicer is not None


async def _health(channel: grpc.aio.Channel) -> int:
    resp = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=SERVICE), timeout=2)
    return resp.status


async def test_methods_answer_unavailable_until_start_returned() -> None:
    app = LateApp()
    srv = await create_server(app, "127.0.0.1:0")
    starting = asyncio.create_task(srv.start_app())
    try:
        async with make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=3.0) as channel:
            stub = state_pb2_grpc.StateTrackerStub(channel)
            assert await _health(channel) == health_pb2.HealthCheckResponse.NOT_SERVING
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Understand(state_pb2.UnderstandRequest(text="hi"))
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
            assert err.value.details() == "lateprobe is starting"
            assert app.registered == 0

            app.loaded.set()
            await asyncio.wait_for(starting, 5)
            assert app.registered == 1
            assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING
            resp = await stub.Understand(state_pb2.UnderstandRequest(text="hi"))
            assert resp.intent == "greet"
            # A method the servicer does not implement answers as any servicer's would.
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.GetState(state_pb2.GetStateRequest(session_id="x"))
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
            # Other services of the server were never this app's: not found, not "starting".
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await channel.unary_unary("/test.Other/Call")(b"", timeout=2)
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        starting.cancel()
        await srv.stop(0)


async def test_reflection_lists_the_service_while_starting() -> None:
    app = LateApp()
    srv = await create_server(app, "127.0.0.1:0")
    try:
        async with make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=3.0) as channel:
            call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                timeout=3)
            await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
            await call.done_writing()
            names = [s.name async for r in call for s in r.list_services_response.service]
        assert SERVICE in names
    finally:
        await srv.stop(0)
