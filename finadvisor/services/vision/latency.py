"""Per-image latency of the vision engine on held-out documents, one image at a time.

Why: a document turn's latency is mostly this call (decode, CNN, deskew, figure region, one
Tesseract run), and the eval's throughput figure leaves OCR out. Usage:

    python -m finadvisor.services.vision.latency [--n 50] [--json]

Reports, per document type, the median and p90 wall time of ``VisionEngine.analyze_batch`` on
one PNG, the process+Tesseract CPU time, and how often the key field (net pay, balance) and the
currency were read exactly. ``OMP_THREAD_LIMIT`` is left as the service sets it (one thread).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from finadvisor.services.vision.ocr import KEY_FIELD
from finadvisor.services.vision.render import render_sample, sample_seed

# Seeds of the held-out documents timed here (payslips: the same ones the eval reads).
SEEDS = {"payslip": 20261, "bank_statement": 20265}


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(models_dir: Path, n: int = 50) -> dict[str, dict[str, Any]]:
    """{image_type: {median_ms, p90_ms, cpu_median_ms, key_field_accuracy, currency_accuracy}}."""
    from finadvisor.services.vision.engine import VisionEngine

    engine = VisionEngine().load(Path(models_dir) / "vision")
    out: dict[str, dict[str, Any]] = {}
    for kind, seed in SEEDS.items():
        samples = [render_sample(kind, sample_seed(seed, "heldout", i), "heldout") for i in range(n)]
        blobs = []
        for s in samples:
            buf = io.BytesIO()
            s.image.save(buf, format="PNG")
            blobs.append(buf.getvalue())
        engine.analyze_batch([(blobs[0], "image/png")])  # warm-up: first Tesseract run, torch
        wall, cpu, key_ok, cur_ok = [], [], 0, 0
        for s, blob in zip(samples, blobs):
            c0, t0 = _cpu_seconds(), time.perf_counter()
            a = engine.analyze_batch([(blob, "image/png")])[0]
            wall.append(time.perf_counter() - t0)
            cpu.append(_cpu_seconds() - c0)
            read = {f.name: f.value for f in a.fields}
            key_ok += read.get(KEY_FIELD[kind]) == s.fields[KEY_FIELD[kind]]
            cur_ok += read.get("currency") == s.fields["currency"]
        ms = np.array(wall) * 1000.0  # [n]
        out[kind] = {"median_ms": round(float(np.median(ms)), 1),
                     "p90_ms": round(float(np.percentile(ms, 90)), 1),
                     "cpu_median_ms": round(float(np.median(cpu)) * 1000.0, 1),
                     "key_field_accuracy": round(key_ok / n, 4),
                     "currency_accuracy": round(cur_ok / n, 4)}
    return out


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - manual entry point
    from finadvisor.shared.paths import models_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=50, help="documents of each type")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = measure(models_dir(), max(1, min(args.n, 1000)))
    if args.json:
        print(json.dumps(result))
    else:
        for kind, figures in result.items():
            print(kind, " ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":  # pragma: no cover
    main()
