"""One backend key at a bank's rate: an open loop of text turns through the gateway.

A bank backend is one API client serving thousands of customers. This scenario offers the
gateway ``rate`` turns/s (default 200) from ONE API key for ``seconds`` seconds, each turn sent
at its scheduled time whether or not earlier ones have been answered (an open loop: the
customers do not wait for each other), spread over many sessions (one per customer), and
counts what comes back: served turns, RESOURCE_EXHAUSTED (the per-client rate limit, or a
service's full queue: both named), other errors by code, degraded replies, latency. A closed
loop of the same key with 64 concurrent clients then measures what the stack serves when
every client waits for its answer (its capacity), so the two can be told apart: refusals by a limit, versus a
stack that is slower than the offered rate (turns queue and take longer, none is refused).

``finadvisor bench`` reports it as ``one_key_rate``; on its own:
``python -m finadvisor.bench.one_key [--rate 200] [--seconds 3] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import time
from typing import Any

import grpc
import numpy as np

from finadvisor.bench.load import DIALOGUE, Inputs, run_load
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc

Metadata = list[tuple[str, str]] | None


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(np.array(values), q)), 1) if values else None


async def _start_sessions(stub: gateway_pb2_grpc.AdvisoryGatewayStub, count: int,
                          metadata: Metadata, timeout_s: float) -> list[str]:
    gate = asyncio.Semaphore(16)

    async def one() -> str:
        async with gate:
            resp = await stub.StartSession(gateway_pb2.StartSessionRequest(),
                                           timeout=timeout_s, metadata=metadata)
            return str(resp.session_id)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def open_loop(channel: grpc.aio.Channel, rate: float = 200.0, seconds: float = 3.0,
                    sessions: int | None = None, timeout_s: float = 120.0,
                    metadata: Metadata = None) -> dict[str, Any]:
    """``rate * seconds`` text turns of one key, turn i sent at ``i / rate`` s."""
    stub = gateway_pb2_grpc.AdvisoryGatewayStub(channel)
    total = max(1, int(rate * seconds))
    n_sessions = max(1, min(total, sessions or int(rate)))  # ~1 turn/s per customer
    sids = await _start_sessions(stub, n_sessions, metadata, timeout_s)
    codes: collections.Counter[str] = collections.Counter()
    exhausted: collections.Counter[str] = collections.Counter()
    first_error: dict[str, str] = {}
    latencies: list[float] = []
    degraded = 0

    async def turn(i: int) -> None:
        nonlocal degraded
        sid = sids[i % n_sessions]
        text = DIALOGUE[(i // n_sessions) % len(DIALOGUE)]
        start = time.perf_counter()
        try:
            resp = await stub.Converse(gateway_pb2.ConverseRequest(
                session_id=sid, request_id=f"k{i}", text=text), timeout=timeout_s,
                metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
            codes[code] += 1
            first_error.setdefault(code, (exc.details() or "")[:160])
            if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                exhausted[(exc.details() or "").split(",")[0][:80]] += 1
            return
        codes["OK"] += 1
        degraded += bool(resp.degraded)
        latencies.append((time.perf_counter() - start) * 1000)

    t0 = time.perf_counter()
    tasks = []
    for i in range(total):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(turn(i)))
    sent_s = time.perf_counter() - t0
    await asyncio.gather(*tasks)
    done_s = time.perf_counter() - t0
    ok = codes.get("OK", 0)
    return {
        "offered_rate_per_s": rate,
        "turns": total,
        "sessions": n_sessions,
        # The rate the turns actually left at (the client's own loop may lag the schedule).
        "sent_turns_per_s": round((total - 1) / sent_s, 1) if total > 1 and sent_s else None,
        "served": ok,
        "served_turns_per_s": round(ok / done_s, 1) if done_s else None,
        "seconds_until_last_answer": round(done_s, 2),
        "resource_exhausted": codes.get("RESOURCE_EXHAUSTED", 0),
        "resource_exhausted_by_message": dict(exhausted),
        "other_errors": {c: n for c, n in codes.items() if c not in ("OK",
                                                                      "RESOURCE_EXHAUSTED")},
        "first_error_message": first_error,
        "degraded_replies": degraded,
        "p50_ms": _pct(latencies, 50),
        "p99_ms": _pct(latencies, 99),
    }


async def capacity(channel: grpc.aio.Channel, clients: int = 64, turns: int = 512
                   ) -> dict[str, float]:
    """A closed loop of the same key: ``clients`` concurrent clients, as fast as answered."""
    return (await run_load(channel, "text", Inputs(), clients, turns)).summary()


def default_limits() -> dict[str, float]:
    """The gateway's default per-client and per-session limits (no environment)."""
    from finadvisor.services.gateway.config import GatewaySettings
    from finadvisor.shared.config import load_settings

    s = load_settings(GatewaySettings, {"FINADVISOR_INSECURE": "1"})
    return {"rate_limit_per_s": s.rate_limit_per_s, "rate_burst": s.rate_burst,
            "session_turns_per_min": s.session_turns_per_min,
            "session_turn_burst": s.session_turn_burst}


async def measure(channel: grpc.aio.Channel, rate: float = 200.0, seconds: float = 3.0,
                  quick: bool = False) -> dict[str, Any]:
    """The open loop at ``rate``, then the closed-loop capacity of the same key."""
    offered = await open_loop(channel, rate, seconds)
    cap = await capacity(channel, clients=64, turns=256 if quick else 512)
    return {
        **offered,
        "capacity_turns_per_s": cap["turns_per_s"],
        "capacity": cap,
        "default_limits": default_limits(),
        "notes": "open loop of one API key at offered_rate_per_s for the scenario's seconds "
                 "(one session per customer, ~1 turn/s each), then capacity: 64 concurrent "
                 "clients of the same key, closed loop, each playing the whole loan dialogue "
                 "(dearer turns: the assessment runs); the goal is resource_exhausted == 0. "
                 "Where capacity is below the offered rate the turns queue: their latency, "
                 "not refusals, shows it",
    }


def print_line(r: dict[str, Any]) -> None:
    print(f"one backend key, open loop at {r['offered_rate_per_s']:.0f} turns/s "
          f"(sent at {r['sent_turns_per_s']}/s, {r['turns']} turns, {r['sessions']} sessions): "
          f"served {r['served']} ({r['served_turns_per_s']}/s), RESOURCE_EXHAUSTED "
          f"{r['resource_exhausted']}, other errors {r['other_errors'] or 0}, degraded "
          f"{r['degraded_replies']}, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms; capacity of "
          f"the stack for that key (64 clients, closed loop): {r['capacity_turns_per_s']} "
          f"turns/s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from finadvisor.bench.stack import start_stack

    stack = start_stack()
    try:
        async def run() -> dict[str, Any]:
            async with stack.channel() as channel:
                await run_load(channel, "text", Inputs(), clients=2, turns=4)  # warm-up
                return await measure(channel, args.rate, args.seconds, args.quick)

        result = asyncio.run(run())
    finally:
        stack.stop()
    print(json.dumps(result) if args.json else "")
    if not args.json:
        print_line(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
