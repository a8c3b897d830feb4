"""The shared runtime over real gRPC channels: health, reflection, errors, deadlines, shutdown."""

from __future__ import annotations

import asyncio
import calendar
import json
import logging
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from finadvisor.shared.client import make_channel
from finadvisor.shared.errors import InvalidInputError
from finadvisor.shared.logging import ACCESS_LOG, request_id_var
from finadvisor.shared.server import RunningServer, ServiceApp, create_server, run_loop
from finadvisor.state.v1 import state_pb2, state_pb2_grpc
from tests.integration.test_hardening_erasure import LogLines

pytestmark = pytest.mark.integration
SERVICE = "finadvisor.state.v1.StateTracker"


class Probe(state_pb2_grpc.StateTrackerServicer):
    """A servicer whose behaviour the test drives through the request text."""

    def __init__(self) -> None:
        self.seen_deadline: float | None = None
        self.seen_request_id = ""
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def Understand(self, request, context):
        self.seen_deadline = context.time_remaining()
        self.seen_request_id = request_id_var.get()
        if request.text == "bad":
            raise InvalidInputError("text is not acceptable")
        if request.text == "boom":
            raise RuntimeError("secret customer detail")
        if request.text == "slow":
            self.entered.set()
            await self.release.wait()
        return state_pb2.UnderstandResponse(intent="greet")


class ProbeApp(ServiceApp):
    name = "probe"
    service_names = (SERVICE,)
    check_interval_s = 0.05

    def __init__(self) -> None:
        self.servicer = Probe()
        self.healthy = True
        self.stopped = False

    def register(self, server: grpc.aio.Server) -> None:
        state_pb2_grpc.add_StateTrackerServicer_to_server(self.servicer, server)

    async def check(self) -> bool:
        return self.healthy

    async def stop(self) -> None:
        self.stopped = True


async def _health(channel: grpc.aio.Channel, service: str = "") -> int:
    resp = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=2)
    return resp.status


@pytest.fixture()
async def running():
    app = ProbeApp()
    srv = await create_server(app, "127.0.0.1:0", max_message_bytes=64 * 1024)
    channel = make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=3.0)
    yield srv, app, channel
    await channel.close()
    await srv.stop(0)


async def _wait_for(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():  # noqa: ASYNC110 - polls an external condition (a server's state), not an event of ours
            await asyncio.sleep(0.02)


async def test_health_follows_readiness(running: tuple[RunningServer, ProbeApp, grpc.aio.Channel]) -> None:
    srv, app, channel = running
    assert srv.port > 0
    assert await _health(channel, SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING
    await srv.start_app()
    assert await _health(channel, SERVICE) == health_pb2.HealthCheckResponse.SERVING
    assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING
    app.healthy = False
    await _wait_for(lambda: _is(channel, health_pb2.HealthCheckResponse.NOT_SERVING))
    app.healthy = True
    await _wait_for(lambda: _is(channel, health_pb2.HealthCheckResponse.SERVING))


async def _is(channel: grpc.aio.Channel, status: int) -> bool:
    return await _health(channel, SERVICE) == status


async def test_reflection_lists_the_service(running) -> None:
    srv, _, channel = running
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo(timeout=3)
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    await call.done_writing()
    names = [s.name async for r in call for s in r.list_services_response.service]
    assert SERVICE in names and "grpc.health.v1.Health" in names


async def test_domain_errors_map_to_status_codes(running) -> None:
    srv, _, channel = running
    stub = state_pb2_grpc.StateTrackerStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Understand(state_pb2.UnderstandRequest(text="bad"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details() == "text is not acceptable"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Understand(state_pb2.UnderstandRequest(text="boom"))
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetState(state_pb2.GetStateRequest(session_id="x"))
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_client_sets_deadline_and_request_id(running) -> None:
    srv, app, channel = running
    stub = state_pb2_grpc.StateTrackerStub(channel)
    token = request_id_var.set("turn-42")
    try:
        await stub.Understand(state_pb2.UnderstandRequest(text="hi"))
    finally:
        request_id_var.reset(token)
    # The channel's default deadline (3 s) reached the server; the clocks' rounding leaves a
    # few milliseconds of slack either way.
    assert app.servicer.seen_deadline is not None and 0 < app.servicer.seen_deadline < 3.1
    assert app.servicer.seen_request_id == "turn-42"


async def test_the_access_line_is_written_after_the_answer(running) -> None:
    srv, app, channel = running
    await srv.start_app()
    stub = state_pb2_grpc.StateTrackerStub(channel)
    lines = LogLines()
    rpc_log = logging.getLogger("finadvisor.rpc")
    old_level, old_delay = rpc_log.level, ACCESS_LOG.delay_s
    rpc_log.addHandler(lines)
    rpc_log.setLevel(logging.INFO)
    try:
        ACCESS_LOG.delay_s = 30.0  # long enough that the answer is surely here first
        token = request_id_var.set("turn-7")
        try:
            before = time.time()
            await stub.Understand(state_pb2.UnderstandRequest(text="hi"))
            answered = time.time()
        finally:
            request_id_var.reset(token)
        assert lines.lines == []  # the answer left before its line was written
        ACCESS_LOG.write()
        (line,) = [json.loads(text) for text in lines.lines]
        assert line["msg"] == "rpc" and line["method"] == "Understand" and line["code"] == "OK"
        assert line["request_id"] == "turn-7"  # the call's own id, though written later
        # its time is the call's, not the write's (the JSON keeps milliseconds)
        seconds = calendar.timegm(time.strptime(line["ts"][:19], "%Y-%m-%dT%H:%M:%S")) + \
            int(line["ts"][20:23]) / 1000
        assert before - 0.002 <= seconds <= answered + 0.002

        ACCESS_LOG.delay_s = old_delay  # and the event loop writes the next one by itself
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Understand(state_pb2.UnderstandRequest(text="bad"))
        await _wait_for(lambda: _has_lines(lines, 2))
        assert json.loads(lines.lines[1])["code"] == "INVALID_ARGUMENT"
    finally:
        ACCESS_LOG.delay_s = old_delay
        rpc_log.removeHandler(lines)
        rpc_log.setLevel(old_level)


async def _has_lines(lines: LogLines, count: int) -> bool:
    return len(lines.lines) >= count


async def test_message_size_is_bounded(running) -> None:
    srv, _, channel = running
    stub = state_pb2_grpc.StateTrackerStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Understand(state_pb2.UnderstandRequest(text="x" * 100_000))
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_graceful_stop_finishes_in_flight_call() -> None:
    app = ProbeApp()
    srv = await create_server(app, "127.0.0.1:0")
    await srv.start_app()
    async with make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=10) as channel:
        stub = state_pb2_grpc.StateTrackerStub(channel)
        async def slow_call() -> state_pb2.UnderstandResponse:
            return await stub.Understand(state_pb2.UnderstandRequest(text="slow"))

        call = asyncio.create_task(slow_call())
        await asyncio.wait_for(app.servicer.entered.wait(), 5)
        stopping = asyncio.create_task(srv.stop(grace_s=5))
        await asyncio.sleep(0)  # the server is now draining
        app.servicer.release.set()
        resp = await asyncio.wait_for(call, 10)
        await asyncio.wait_for(stopping, 10)
    assert resp.intent == "greet" and app.stopped


@pytest.mark.parametrize("event_loop", ["uvloop", "asyncio"])
def test_a_service_serves_on_the_event_loop_it_is_given(event_loop: str) -> None:
    """``run_loop`` (what ``run_service`` runs a service with): the same server and calls on
    uvloop, the default, and on asyncio's own loop."""
    seen: dict[str, str] = {}

    async def main() -> None:
        seen["loop"] = type(asyncio.get_running_loop()).__module__
        app = ProbeApp()
        srv = await create_server(app, "127.0.0.1:0", max_message_bytes=64 * 1024)
        channel = make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=3.0)
        try:
            await srv.start_app()
            got = await state_pb2_grpc.StateTrackerStub(channel).Understand(
                state_pb2.UnderstandRequest(text="hello"))
            seen["intent"] = got.intent
            seen["health"] = str(await _health(channel, SERVICE))
        finally:
            await channel.close()
            await srv.stop(0)

    run_loop(main(), event_loop)
    assert seen["loop"].split(".")[0] == event_loop
    assert seen["intent"] == "greet"
    assert seen["health"] == str(health_pb2.HealthCheckResponse.SERVING)
