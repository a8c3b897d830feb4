"""A call its client gave up on is logged and counted as CANCELLED, not as an unhandled
INTERNAL error. Real in-process gRPC server on loopback with the shared runtime."""

from __future__ import annotations

import asyncio
import logging
import time

import grpc
import pytest

from finadvisor.shared import metrics
from finadvisor.shared.server import ServiceApp, create_server

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


class SlowApp(ServiceApp):
    name = "slowtest"
    service_names = ("test.Slow",)

    def register(self, server: grpc.aio.Server) -> None:
        async def slow(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            await asyncio.Event().wait()  # never set: runs until the call is cancelled
            return b""

        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            "test.Slow", {"Wait": grpc.unary_unary_rpc_method_handler(slow)}),))


def _count(code: str) -> float:
    return metrics.RPC_REQUESTS.labels("slowtest", "Wait", code)._value.get()


async def test_a_cancelled_call_is_not_an_internal_error(caplog: pytest.LogCaptureFixture) -> None:
    srv = await create_server(SlowApp(), "127.0.0.1:0")
    await srv.start_app()
    before_cancelled, before_internal = _count("CANCELLED"), _count("INTERNAL")
    caplog.set_level(logging.INFO, logger="finadvisor")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{srv.port}") as ch:
            call = ch.unary_unary("/test.Slow/Wait")
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call(b"", timeout=0.2)
            assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        deadline = time.monotonic() + 10
        while _count("CANCELLED") == before_cancelled:
            assert time.monotonic() < deadline, "the server never finished the cancelled call"
            await asyncio.sleep(0.02)
        assert _count("INTERNAL") == before_internal
        assert not [r for r in caplog.records if "unhandled error" in r.getMessage()]
    finally:
        await srv.stop(0)
