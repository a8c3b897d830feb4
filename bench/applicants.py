"""Text turns where every session is an applicant of its own: the cost of scoring applications.

Starts a stack as `finadvisor bench` does and plays `load.applicant_dialogue` sessions (each
one's figures drawn from a seed) through the gateway: two rounds of 1200 turns at 8 clients,
then 512 turns at 64 clients, printing p50 / p95 / p99 and turns/s of each. Run it against two
trees (each on its own PYTHONPATH) to compare them on a bank's kind of traffic, where each
completed application is scored rather than found in the gateway's cache.

    python bench/applicants.py
"""

from __future__ import annotations

import asyncio

from finadvisor.bench.load import Inputs, run_load
from finadvisor.bench.stack import start_stack


async def main() -> None:
    stack = start_stack()
    try:
        async with stack.channel() as channel:
            await run_load(channel, "text", Inputs(), clients=2, turns=64)  # warm-up
            for clients, turns, seed in ((8, 1200, 0), (8, 1200, 1), (64, 512, 9)):
                s = (await run_load(channel, "text", Inputs(), clients, turns,
                                    applicants=seed)).summary()
                print(f"{clients} clients, {turns} turns: p50 {s['p50_ms']} p95 {s['p95_ms']} "
                      f"p99 {s['p99_ms']} ms, {s['turns_per_s']} turns/s, {s['errors']} errors",
                      flush=True)
    finally:
        stack.stop()


if __name__ == "__main__":
    asyncio.run(main())
