"""The end of a turn called directly vs through one more gRPC hop: library or RPC?

The gateway ends every turn with ``finish_turn`` (the reply into the history and the answer kept
for replays, one Lua script). It could call the session store as a library (what it does) or
ask the state service to do it with a ``FinishTurn`` RPC. This measures the difference on the
real store and a real Redis: the same call, the same arguments, once awaited in process and once
behind an in-process gRPC server on loopback (plain text, so the figure is a LOWER bound of the
hop: the deployed hop also pays TLS and a network). ``finadvisor.sessions``' docstring cites it.

Run: ``python -m finadvisor.bench.store_hop [--calls N] [--redis-url URL]`` (without a URL a
redis-server is started on a free loopback port and stopped at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from finadvisor.sessions import RedisStateStore, SessionSettings, SlotUpdate, TurnInput

_METHOD = "/finadvisor.bench.v1.StoreHop/FinishTurn"
#: A serialised answer of the size the gateway keeps per turn (a reply, acts, a credit result).
_PAYLOAD = b"x" * 1500
_REPLY = "Thank you. For 15,000 EUR over 36 months the monthly payment would be about 450 EUR."
_ACTS = [{"name": "inform", "args": {"slot": "loan_amount", "value": "15000.00"}}]


def _percentiles(latencies_ms: list[float]) -> dict[str, float]:
    lat = np.array(latencies_ms)
    return {"p50_ms": round(float(np.percentile(lat, 50)), 3),
            "p99_ms": round(float(np.percentile(lat, 99)), 3)}


async def _run(call: Callable[[str], Awaitable[Any]], sessions: list[str], calls: int,
               clients: int) -> list[float]:
    """``calls`` calls from ``clients`` concurrent callers; each call's latency in ms."""
    latencies: list[float] = []
    counter = iter(range(calls))

    async def client(n: int) -> None:
        sid = sessions[n % len(sessions)]
        for _ in counter:
            start = time.perf_counter()
            await call(sid)
            latencies.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(client(n) for n in range(clients)))
    return latencies


async def finish_turn_hop(redis_url: str, calls: int = 400,
                          levels: tuple[int, ...] = (1, 8)) -> dict[str, Any]:
    """p50/p99 of ``finish_turn`` direct and through one gRPC hop, per concurrency level."""
    store = RedisStateStore(SessionSettings(url=redis_url))
    sessions = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(max(levels))]
    for sid in sessions:
        await store.create_session(sid, {}, {})
        await store.apply_turn(TurnInput(sid, "r0", "actually make it 15000", "text", "inform",
                                         0.93, [SlotUpdate("loan_amount", "15000", 0.95, "text")]))

    async def direct(sid: str) -> bool:
        return await store.finish_turn(sid, "r0", _REPLY, _PAYLOAD, acts=_ACTS)

    async def handle(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        header_len = int.from_bytes(request[:4], "big")
        fields = json.loads(request[4:4 + header_len])
        found = await store.finish_turn(fields["session_id"], fields["request_id"],
                                        fields["reply"], request[4 + header_len:],
                                        acts=fields["acts"])
        return b"\x01" if found else b"\x00"

    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "finadvisor.bench.v1.StoreHop",
        {"FinishTurn": grpc.unary_unary_rpc_method_handler(handle)}),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    stub = channel.unary_unary(_METHOD)

    async def hop(sid: str) -> bool:
        header = json.dumps({"session_id": sid, "request_id": "r0", "reply": _REPLY,
                             "acts": _ACTS}).encode()
        answer = await stub(len(header).to_bytes(4, "big") + header + _PAYLOAD, timeout=5.0)
        return bool(answer == b"\x01")

    out: dict[str, Any] = {"calls": calls, "reproduce": "python -m finadvisor.bench.store_hop"}
    try:
        await _run(direct, sessions, 50, 1)  # warm-up: scripts cached, connections open
        await _run(hop, sessions, 50, 1)
        for clients in levels:
            # Alternate the two, twice, so both see the same moments of a shared machine.
            d: list[float] = []
            h: list[float] = []
            for _ in range(2):
                d += await _run(direct, sessions, calls // 2, clients)
                h += await _run(hop, sessions, calls // 2, clients)
            dp, hp = _percentiles(d), _percentiles(h)
            out[f"{clients}_clients"] = {
                "direct": dp, "one_grpc_hop": hp,
                "p50_ratio": round(hp["p50_ms"] / dp["p50_ms"], 2)}
    finally:
        await channel.close()
        await server.stop(None)
        for sid in sessions:
            await store.erase(sid)
        await store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per side and level")
    parser.add_argument("--redis-url", help="an existing Redis (default: start one)")
    args = parser.parse_args(argv)
    if args.redis_url:
        print(json.dumps(asyncio.run(finish_turn_hop(args.redis_url, args.calls)), indent=1))
        return 0
    from finadvisor.shared.redis_local import LocalRedis

    with tempfile.TemporaryDirectory() as tmp:
        redis = LocalRedis(Path(tmp))
        redis.start()
        try:
            print(json.dumps(asyncio.run(finish_turn_hop(redis.url, args.calls)), indent=1))
        finally:
            redis.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
