"""The split's cost per dialogue step: the split stack against one process with every service.

Starts a stack as `finadvisor bench` does and, beside it, the one-process gateway
(`finadvisor.bench.components.monolith`) on the stack's certificate, keys and Redis; plays the benchmark's
8-step text dialogue at one client against each in turn (three rounds of 240 turns per side)
and prints the p50 of every step on both and their difference. A difference that is the same
for every step is the hops' own cost; one that grows with the reply is the payload.

    python bench/split_steps.py
"""

from __future__ import annotations

import asyncio
import collections
import time

import grpc
import numpy as np

from finadvisor.bench import components
from finadvisor.bench.load import DIALOGUE, Inputs, request_factory, run_load
from finadvisor.bench.stack import start_stack
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc

ROUNDS = 3
TURNS = 240


async def per_step(channel: grpc.aio.Channel, turns: int) -> dict[int, list[float]]:
    """Latency (ms) of each dialogue step over ``turns`` turns from one client."""
    stub = gateway_pb2_grpc.AdvisoryGatewayStub(channel)
    make = request_factory("text", Inputs())
    latencies: dict[int, list[float]] = collections.defaultdict(list)
    session, step = "", 0
    for n in range(turns):
        if not session or step >= len(DIALOGUE):
            session = (await stub.StartSession(gateway_pb2.StartSessionRequest(),
                                               timeout=30)).session_id
            step = 0
        start = time.perf_counter()
        await stub.Converse(make(session, f"split-{n}-{time.time_ns()}", step), timeout=30)
        latencies[step].append((time.perf_counter() - start) * 1000)
        step += 1
    return latencies


async def main() -> None:
    stack = start_stack()
    try:
        async with stack.channel() as split, components.monolith(stack) as whole:
            for channel in (split, whole):  # warm-up: models, drafts, connections
                await run_load(channel, "text", Inputs(), clients=2, turns=64)
            found: dict[str, dict[int, list[float]]] = {
                "split": collections.defaultdict(list), "one": collections.defaultdict(list)}
            for _ in range(ROUNDS):
                for name, channel in (("split", split), ("one", whole)):
                    for step, values in (await per_step(channel, TURNS)).items():
                        found[name][step] += values
            print("step  split p50  one process p50  difference (ms)")
            for step in range(len(DIALOGUE)):
                a, b = np.median(found["split"][step]), np.median(found["one"][step])
                print(f"{step:4d}  {a:9.1f}  {b:14.1f}  {a - b:10.1f}")
            every_split = [v for values in found["split"].values() for v in values]
            every_one = [v for values in found["one"].values() for v in values]
            a, b = float(np.median(every_split)), float(np.median(every_one))
            print(f" all  {a:9.1f}  {b:14.1f}  {a - b:10.1f}   ratio {a / b:.2f}")
    finally:
        stack.stop()


if __name__ == "__main__":
    asyncio.run(main())
