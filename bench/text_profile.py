"""Where a text turn's time goes: the profile behind bench/README.md.

Starts a stack as `finadvisor bench` does, plays text turns at 1 and 8 clients and prints, per
level: p50/p99 and turns/s; CPU milliseconds per turn of every service process and of each of
their threads (from /proc); each service's server-side time per RPC (from its Prometheus
histogram); the generator's batch sizes; then the in-process turn's p50.

    python bench/text_profile.py
    NOINPROC=1 python bench/text_profile.py            # without the in-process turn
    PROFILE=1 PROFILE_SVC=gateway python bench/text_profile.py
        # also a py-spy raw profile of that service at 1 client: /tmp/finadvisor-profile/
    EXTRA='{"FINADVISOR_GENERATOR_BATCH_WAIT_MS": "2"}' python bench/text_profile.py
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from finadvisor.bench import components
from finadvisor.bench.load import Inputs, run_load
from finadvisor.bench.stack import StackHandle, start_stack

TICK = os.sysconf("SC_CLK_TCK")
RPC_RE = re.compile(r'finadvisor_rpc_latency_seconds_(sum|count)\{([^}]*)\} ([0-9.e+-]+)')
BATCH_RE = re.compile(r"finadvisor_generator_batch_size_(sum|count) ([0-9.e+-]+)")


def metrics_text(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as resp:
            return resp.read().decode()
    except OSError:
        return ""


def rpc_seconds(stack: StackHandle) -> dict[tuple[str, str, str], float]:
    """(service, method, sum|count) -> value, summed over status codes."""
    out: dict[tuple[str, str, str], float] = {}
    for name, port in stack.metrics_ports.items():
        for m in RPC_RE.finditer(metrics_text(port)):
            found = re.search(r'method="([^"]+)"', m.group(2))
            key = (name, found.group(1) if found else "?", m.group(1))
            out[key] = out.get(key, 0.0) + float(m.group(3))
    return out


def cpu_seconds(stat_path: str) -> float:
    fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def thread_seconds(pid: int) -> dict[str, float]:
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[f"{(task / 'comm').read_text().strip()}/{task.name}"] = cpu_seconds(str(task / "stat"))
        except OSError:
            continue
    return out


async def level(stack: StackHandle, channel: Any, clients: int, turns: int,
                pids: dict[str, int]) -> None:
    threads0 = {n: thread_seconds(pids[n]) for n in ("generator", "state", "gateway")}
    rpc0 = rpc_seconds(stack)
    cpu0 = {n: cpu_seconds(f"/proc/{p}/stat") for n, p in pids.items()}
    result = (await run_load(channel, "text", Inputs(), clients, turns)).summary()
    rpc1 = rpc_seconds(stack)
    cpu1 = {n: cpu_seconds(f"/proc/{p}/stat") for n, p in pids.items()}
    per_turn = 1000 / result["turns"]
    for name, before in threads0.items():
        after = thread_seconds(pids[name])
        used = {t: round((s - before.get(t, 0.0)) * per_turn, 2) for t, s in after.items()
                if s > before.get(t, 0.0)}
        print(f"    {name} threads, CPU ms per turn: {used}")
    server = {}
    for (name, method, kind), value in rpc1.items():
        count = rpc1.get((name, method, "count"), 0.0) - rpc0.get((name, method, "count"), 0.0)
        if kind == "sum" and count > 0:
            server[f"{name}.{method}"] = round((value - rpc0.get((name, method, "sum"), 0.0))
                                               / count * 1000, 2)
    cpu_ms = {n: round((cpu1[n] - cpu0[n]) * per_turn, 2) for n in cpu0 if cpu1[n] > cpu0[n]}
    batches = {m.group(1): float(m.group(2))
               for m in BATCH_RE.finditer(metrics_text(stack.metrics_ports["generator"]))}
    mean_batch = batches.get("sum", 0.0) / max(batches.get("count", 1.0), 1.0)
    print(f"    generator batches so far: {batches}, mean {mean_batch:.2f}")
    print(f"clients {clients}: p50 {result['p50_ms']} p99 {result['p99_ms']} turns/s "
          f"{result['turns_per_s']} | CPU ms per turn {cpu_ms} total "
          f"{round(sum(cpu_ms.values()), 2)} | server ms per RPC {server}", flush=True)


async def main(stack: StackHandle) -> None:
    pids = dict(stack.service_pids())
    pids["bench"] = os.getpid()
    async with stack.channel() as channel:
        await run_load(channel, "text", Inputs(), 2, 16)  # warm-up
        profiler = None
        if os.environ.get("PROFILE"):
            service = os.environ.get("PROFILE_SVC", "generator")
            out = Path("/tmp/finadvisor-profile")
            out.mkdir(exist_ok=True)
            profiler = subprocess.Popen(
                ["py-spy", "record", "-r", "250", "-d", "6", "-f", "raw",
                 "-o", str(out / f"{service}.txt"), "-p", str(pids[service])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await level(stack, channel, 1, 300 if profiler else 160, pids)
        if profiler is not None:
            profiler.wait()
        await level(stack, channel, 8, 480, pids)
    if not os.environ.get("NOINPROC"):
        p50 = await components.in_process_text_p50(stack.redis_url)
        print(f"in-process turn p50 {p50:.2f} ms")


if __name__ == "__main__":
    handle = start_stack(extra_env=json.loads(os.environ.get("EXTRA", "{}")))
    try:
        asyncio.run(main(handle))
    finally:
        handle.stop()
