"""The split's cost per dialogue step: the split stack against one process with every service.

Starts a stack as `finadvisor bench` does and, beside it, the one-process gateway
(`finadvisor.bench.monolith`) on the stack's certificate, keys and Redis; plays the benchmark's
8-step text dialogue at one client against each in turn (three rounds of 240 turns per side)
and prints the p50 of every step on both and their difference. A difference that is the same
for every step is the hops' own cost; one that grows with the reply is the payload.

    python bench/split_steps.py
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import subprocess
import sys
import time

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from finadvisor.bench.load import DIALOGUE, Inputs, request_factory, run_load
from finadvisor.bench.stack import StackHandle, start_stack
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from finadvisor.shared.redis_local import free_port

ROUNDS = 3
TURNS = 240


async def per_step(channel: grpc.aio.Channel, turns: int) -> dict[int, list[float]]:
    """Latency (ms) of each dialogue step over ``turns`` turns from one client."""
    stub = gateway_pb2_grpc.AdvisoryGatewayStub(channel)
    make = request_factory("text", Inputs())
    latencies: dict[int, list[float]] = collections.defaultdict(list)
    session, step = "", 0
    for n in itertools.count():
        if n >= turns:
            break
        if not session or step >= len(DIALOGUE):
            session = (await stub.StartSession(gateway_pb2.StartSessionRequest(),
                                               timeout=30)).session_id
            step = 0
        start = time.perf_counter()
        await stub.Converse(make(session, f"split-{n}-{time.time_ns()}", step), timeout=30)
        latencies[step].append((time.perf_counter() - start) * 1000)
        step += 1
    return latencies


async def wait_serving(channel: grpc.aio.Channel, proc: subprocess.Popen[bytes]) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the one-process gateway exited")
        try:
            got = await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
            if got.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.aio.AioRpcError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError("the one-process gateway did not become ready")


async def main() -> None:
    stack = start_stack()
    assert stack.home is not None
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({
        "FINADVISOR_HOME": str(stack.home), "REDIS_URL": stack.redis_url,
        "FINADVISOR_TLS_DIR": str(stack.home / "tls"),
        "FINADVISOR_CREDENTIALS_FILE": str(stack.home / "credentials" / "clients.json"),
        "FINADVISOR_GATEWAY_PORT": str(port), "FINADVISOR_GATEWAY_METRICS_PORT": "0",
        "FINADVISOR_GATEWAY_RATE_LIMIT_PER_S": "0", "FINADVISOR_GATEWAY_RATE_BURST": "1000",
        "FINADVISOR_GATEWAY_MAX_TURNS_PER_SESSION": "64", "FINADVISOR_LOG_LEVEL": "WARNING",
    })
    proc = subprocess.Popen(  # noqa: ASYNC220 - returns once the child runs; never waited on here
        [sys.executable, "-m", "finadvisor.bench.monolith"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    one = StackHandle(gateway=f"127.0.0.1:{port}", ca=stack.ca, api_key=stack.api_key)
    try:
        async with stack.channel() as split, one.channel() as whole:
            await wait_serving(whole, proc)
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
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        stack.stop()


if __name__ == "__main__":
    asyncio.run(main())
