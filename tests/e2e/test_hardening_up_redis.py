"""`finadvisor up` restarts its Redis when it dies: killed with SIGKILL, it is back (with its
password and its data) and every service SERVING again within 15 s, and no acknowledged turn
is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from finadvisor.services import GRPC_SERVICES

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def _redis_pid(port: int) -> int | None:
    """The redis-server on ``port`` (Redis retitles itself "redis-server 127.0.0.1:<port>")."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if state != "Z" and b"redis-server" in cmd and f"127.0.0.1:{port}".encode() in cmd:
            return int(entry.name)
    return None


async def _all_serving(home: Path, ports: dict[str, int]) -> bool:
    from finadvisor.shared.security import channel_credentials

    creds = channel_credentials(home / "tls", "supervisor")
    for name in GRPC_SERVICES:
        async with grpc.aio.secure_channel(f"localhost:{ports[name]}", creds) as ch:
            try:
                resp = await health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=1.0)
            except grpc.aio.AioRpcError:
                return False
            if resp.status != health_pb2.HealthCheckResponse.SERVING:
                return False
    return True


def test_up_restarts_a_killed_redis_without_losing_a_turn() -> None:
    from finadvisor.bench.stack import start_stack

    handle = start_stack(timeout_s=300)
    assert handle.home is not None
    port = urlsplit(handle.redis_url).port
    assert port is not None

    async def scenario() -> None:
        ch = handle.channel()
        gw = gateway_pb2_grpc.AdvisoryGatewayStub(ch)
        try:
            sid = (await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=30)
                   ).session_id
            acked = []
            for i, text in enumerate(["I'd like to borrow 15000 dollars for a car",
                                      "over 36 months", "my income is 4000 a month"]):
                await gw.Converse(gateway_pb2.ConverseRequest(
                    session_id=sid, request_id=f"a{i}", text=text), timeout=60)
                acked.append(f"a{i}")
            old = _redis_pid(port)
            assert old is not None
            os.kill(old, signal.SIGKILL)
            deadline = time.monotonic() + 15
            while True:
                pid = _redis_pid(port)
                back = pid is not None and pid != old and await _all_serving(
                    handle.home, handle.ports)
                if back:
                    break
                assert time.monotonic() < deadline, "Redis or a service not back in 15 s"
                await asyncio.sleep(0.2)
            got = await gw.GetSession(gateway_pb2.GetSessionRequest(session_id=sid),
                                      timeout=30)
            assert [h.request_id for h in got.history] == acked
            assert got.state.slots["loan_amount"].value == "15000"
            await gw.Converse(gateway_pb2.ConverseRequest(
                session_id=sid, request_id="after", text="I have no other debts"), timeout=60)
        finally:
            await ch.close()

    try:
        asyncio.run(scenario())
        assert any("redis exited" in line for line in handle.output)
    finally:
        handle.stop()
    # the stack's temporary home (credentials, keys, Redis files) goes with it
    assert not handle.home.exists()
