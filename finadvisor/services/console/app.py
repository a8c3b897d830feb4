"""The risk analyst console: an aiohttp web app that talks to the gateway over gRPC."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc
from aiohttp import web
from grpc_health.v1 import health_pb2, health_pb2_grpc

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2_grpc
from finadvisor.services.console.config import ConsoleSettings
from finadvisor.services.console.gateway_client import gateway_channel

log = logging.getLogger("finadvisor.console")
STATIC_DIR = Path(__file__).parent / "static"

SETTINGS = web.AppKey("settings", ConsoleSettings)
CHANNEL = web.AppKey("channel", grpc.aio.Channel)


def gateway_stub(request: web.Request) -> gateway_pb2_grpc.AdvisoryGatewayStub:
    return gateway_pb2_grpc.AdvisoryGatewayStub(request.app[CHANNEL])


async def healthz(request: web.Request) -> web.Response:
    """200 when the gateway answers SERVING, else 503 (the console itself is up either way)."""
    stub = health_pb2_grpc.HealthStub(request.app[CHANNEL])
    try:
        resp = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
        ok = resp.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.aio.AioRpcError:
        ok = False
    return web.json_response({"console": "ok", "gateway": "SERVING" if ok else "NOT_SERVING"},
                             status=200 if ok else 503)


async def info(request: web.Request) -> web.Response:
    from google.protobuf.json_format import MessageToDict

    resp = await gateway_stub(request).GetInfo(
        common_pb2.GetInfoRequest(), timeout=request.app[SETTINGS].call_timeout_s
    )
    return web.json_response(MessageToDict(resp))


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


def create_app(settings: ConsoleSettings) -> web.Application:
    app = web.Application(client_max_size=settings.max_upload_bytes)
    app[SETTINGS] = settings

    async def channel_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        app[CHANNEL] = gateway_channel(settings)
        yield
        await app[CHANNEL].close()

    app.cleanup_ctx.append(channel_ctx)
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/info", info)
    app.router.add_static("/static/", STATIC_DIR)
    return app


async def serve(settings: ConsoleSettings) -> None:
    """Serve until SIGTERM/SIGINT."""
    import signal

    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.bind_port())
    await site.start()
    log.info("listening", extra={"fields": {"port": settings.bind_port()}})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
