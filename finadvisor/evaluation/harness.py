"""Dialogues played turn by turn through the real in-process stack.

``play_dialogues(dialogues, ...)`` starts a redis-server of its own (``LocalRedis`` on a free
loopback port), the state service and the gateway as in-process gRPC servers on port 0 (the
committed models, no TLS, no API keys), plays each dialogue's turns in one fresh session, and
returns every ``ConverseResponse``. The generator runs only when asked (``with_generator``):
the gateway then words replies with the Seq2Seq model; without it the gateway's own fallback
answers, which keeps a run over many dialogues fast on a CPU. Vision and voice are absent (the
hand-written sets are text). Everything it started is stopped before it returns.

Signatures (``dialogues``: the devset format, each a mapping with ``turns``: list of str)::

    play_dialogues(dialogues, *, models_dir=None, with_generator=False, redis_url=None,
                   timeout_s=30.0) -> list[list[gateway_pb2.ConverseResponse]]
    async play_dialogues_async(...)  # the same, inside a running event loop

``redis_url`` uses a Redis that is already running instead of starting one. Raises
``ConfigError`` when no redis-server binary can be found (see ``redis_local``).
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from finadvisor.shared.redis_local import LocalRedis, free_port

#: Most turns of one dialogue the harness plays (a bound on what a data file can ask for).
MAX_TURNS = 64


async def play_dialogues_async(
    dialogues: Sequence[Mapping[str, Any]],
    *,
    models_dir: Path | None = None,
    with_generator: bool = False,
    redis_url: str | None = None,
    timeout_s: float = 30.0,
) -> list[list[gateway_pb2.ConverseResponse]]:
    """Every turn's ConverseResponse, per dialogue (see the module docstring)."""
    if redis_url is not None:
        return await _play(dialogues, redis_url, models_dir, with_generator, timeout_s)
    with tempfile.TemporaryDirectory(prefix="finadvisor-harness-") as tmp:
        redis = LocalRedis(Path(tmp) / "redis", persist=False).start()
        try:
            return await _play(dialogues, redis.url, models_dir, with_generator, timeout_s)
        finally:
            redis.stop()


def play_dialogues(dialogues: Sequence[Mapping[str, Any]], **kwargs: Any) -> list[list[gateway_pb2.ConverseResponse]]:
    """``play_dialogues_async`` in an event loop of its own."""
    return asyncio.run(play_dialogues_async(dialogues, **kwargs))


async def _play(dialogues: Sequence[Mapping[str, Any]], redis_url: str, models_dir: Path | None,
                with_generator: bool, timeout_s: float) -> list[list[gateway_pb2.ConverseResponse]]:
    from finadvisor.services.gateway.config import GatewaySettings
    from finadvisor.services.gateway.server import GatewayApp
    from finadvisor.services.state.config import StateSettings
    from finadvisor.services.state.server import StateApp
    from finadvisor.shared.client import make_channel
    from finadvisor.shared.config import load_settings
    from finadvisor.shared.server import create_server

    env = {"REDIS_URL": redis_url, "FINADVISOR_INSECURE": "1", "FINADVISOR_LOG_LEVEL": "WARNING",
           "FINADVISOR_GATEWAY_RATE_LIMIT_PER_S": "0", "FINADVISOR_GATEWAY_MAX_TURNS_PER_SESSION": "64"}
    if models_dir is not None:
        env["FINADVISOR_MODELS_DIR"] = str(models_dir)
    servers = []
    channel = None
    try:
        state = await create_server(StateApp(load_settings(StateSettings, env)), "127.0.0.1:0")
        await state.start_app()
        servers.append(state)
        gw_env = dict(env)
        gw_env["FINADVISOR_GATEWAY_STATE_ADDR"] = f"127.0.0.1:{state.port}"
        absent = f"127.0.0.1:{free_port()}"  # nothing listens there: the gateway degrades
        gw_env["FINADVISOR_GATEWAY_VISION_ADDR"] = absent
        gw_env["FINADVISOR_GATEWAY_VOICE_ADDR"] = absent
        gw_env["FINADVISOR_GATEWAY_GENERATOR_ADDR"] = absent
        if with_generator:
            from finadvisor.services.generator.config import GeneratorSettings
            from finadvisor.services.generator.server import GeneratorApp

            gen = await create_server(GeneratorApp(load_settings(GeneratorSettings, env)), "127.0.0.1:0")
            await gen.start_app()
            servers.append(gen)
            gw_env["FINADVISOR_GATEWAY_GENERATOR_ADDR"] = f"127.0.0.1:{gen.port}"
        gateway = await create_server(GatewayApp(load_settings(GatewaySettings, gw_env)), "127.0.0.1:0")
        await gateway.start_app()
        servers.append(gateway)
        channel = make_channel(f"127.0.0.1:{gateway.port}", default_timeout_s=timeout_s)
        stub = gateway_pb2_grpc.AdvisoryGatewayStub(channel)
        out: list[list[gateway_pb2.ConverseResponse]] = []
        for d in dialogues:
            sid = (await stub.StartSession(gateway_pb2.StartSessionRequest(), timeout=timeout_s)).session_id
            replies = []
            for i, text in enumerate(list(d["turns"])[:MAX_TURNS]):
                replies.append(await stub.Converse(gateway_pb2.ConverseRequest(
                    session_id=sid, request_id=f"h{i}-{uuid.uuid4().hex[:8]}", text=str(text)), timeout=timeout_s))
            out.append(replies)
        return out
    finally:
        if channel is not None:
            await channel.close()
        for srv in reversed(servers):
            await srv.stop(0)
