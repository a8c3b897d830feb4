"""Dynamic batching benchmark (not a test): throughput and latency at 1 vs many concurrent clients.

    python -m finadvisor.services.generator.bench [MODEL_FOLDER] [--clients 16] [--requests 256]

``bench_batching`` runs ``clients`` closed-loop clients (each sends its next request when the
previous answer arrives) over ``requests`` requests in total against one engine, and reports the
throughput and the latency percentiles. The speed-up of 16 clients over 1 client is the figure
dynamic batching is judged by; the lead's ``finadvisor bench`` can call the same function.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from finadvisor.dialogue.manager import DialogueManager, Turn
from finadvisor.services.generator.engine import GeneratorEngine
from finadvisor.services.generator.inputs import GenerationInput

_STATES: list[GenerationInput] = [
    GenerationInput(context=[("user", "I'd like to borrow 15,000 dollars to buy a car")], intent="apply_loan",
                    slots={"loan_amount": "15000", "currency": "USD", "loan_purpose": "car"}),
    GenerationInput(context=[("advisor", "How much do you earn per month?"), ("user", "about 4k a month")],
                    intent="inform", slots={"product": "personal_loan", "loan_amount": "9000", "currency": "EUR",
                                            "monthly_income": "4000"}, changed_slots=["monthly_income"]),
    GenerationInput(context=[("user", "where should I invest 20000 pounds")], intent="ask_investment_advice",
                    slots={"investment_amount": "20000", "currency": "GBP"}),
    GenerationInput(context=[("user", "what does this chart show")], intent="ask_about_chart",
                    image_type="line_chart", chart_trend="rising"),
    GenerationInput(context=[("user", "hello there")], intent="greet"),
    GenerationInput(context=[("user", "here is my payslip")], intent="upload_document", image_type="payslip",
                    slots={"monthly_income": "3850", "currency": "USD"}, changed_slots=["monthly_income"]),
]



def _with_acts(inp: GenerationInput) -> GenerationInput:
    """The sample with the acts the dialogue manager decides for it (what the gateway sends)."""
    import dataclasses

    acts = DialogueManager().decide(Turn(
        intent=inp.intent, slots=dict(inp.slots), changed_slots=list(inp.changed_slots),
        image_type=inp.image_type, chart_trend=inp.chart_trend,
        image_fields={"net_pay": inp.slots["monthly_income"]} if inp.image_type == "payslip" else {}))
    return dataclasses.replace(inp, acts=tuple(acts))


_SAMPLES: list[GenerationInput] = [_with_acts(s) for s in _STATES]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def bench_batching(engine: GeneratorEngine, clients: int, requests: int) -> dict[str, Any]:
    """Throughput (requests/s) and p50/p99 latency (ms) of ``clients`` concurrent closed-loop clients."""
    if clients < 1 or requests < clients:
        raise ValueError("need clients >= 1 and requests >= clients")
    latencies: list[float] = []
    before = dict(engine.batcher_stats)

    async def client(k: int, n: int) -> None:
        for i in range(n):
            req = _SAMPLES[(k + i) % len(_SAMPLES)]
            t0 = time.perf_counter()
            await engine.generate(req)
            latencies.append(time.perf_counter() - t0)

    async def run() -> float:
        shares = [requests // clients + (1 if k < requests % clients else 0) for k in range(clients)]
        t0 = time.perf_counter()
        await asyncio.gather(*(client(k, n) for k, n in enumerate(shares)))
        return time.perf_counter() - t0

    elapsed = asyncio.run(run())
    after = engine.batcher_stats
    batches = after["batches"] - before["batches"]
    return {
        "clients": clients,
        "requests": requests,
        "seconds": round(elapsed, 3),
        "throughput_rps": round(requests / elapsed, 2),
        "p50_ms": round(1000 * _percentile(latencies, 50), 2),
        "p99_ms": round(1000 * _percentile(latencies, 99), 2),
        "mean_ms": round(1000 * statistics.fmean(latencies), 2),
        "batches": batches,
        "mean_batch_size": round(requests / max(batches, 1), 2),
    }


def main(argv: list[str] | None = None) -> None:
    from finadvisor.shared.paths import models_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=models_dir() / "generator")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    engine = GeneratorEngine.load(args.folder, max_batch_size=args.clients, max_wait_ms=0.0)
    try:
        bench_batching(engine, 2, 8)  # warm-up
        single = bench_batching(engine, 1, max(16, args.requests // 8))
        many = bench_batching(engine, args.clients, args.requests)
    finally:
        engine.close()
    speedup = many["throughput_rps"] / max(single["throughput_rps"], 1e-9)
    print(json.dumps({"single": single, "concurrent": many, "speedup": round(speedup, 2)}, indent=2))


if __name__ == "__main__":
    main()
