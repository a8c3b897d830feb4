"""Per-image latency of the vision engine on held-out documents, one image at a time.

Why: a document turn's latency is mostly this call (decode, CNN, deskew, figure region, one
Tesseract run), and the eval's throughput figure leaves OCR out. Usage:

    python -m finadvisor.services.vision.latency [--n 50] [--json]

Reports, per document type, the median and p90 wall time of ``VisionEngine.analyze_batch`` on
one PNG, the process+Tesseract CPU time, and how often the key field (net pay, balance) and the
currency were read exactly; ``external_payslip`` times the Chromium-laid-out payslips of the
external evaluation set (JPEG, as committed). ``--ocr-engine`` forces tesseract or rapidocr
(default: the service's choice). ``OMP_THREAD_LIMIT`` is left as the service sets it (one thread).
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

from finadvisor.services.vision.documents import KEY_FIELD
from finadvisor.services.vision.render import render_sample, sample_seed

# Seeds of the held-out documents timed here (payslips: the same ones the eval reads).
SEEDS = {"payslip": 20261, "bank_statement": 20265}


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _inputs(kind: str, n: int) -> list[tuple[bytes, str, dict[str, str]]]:
    """(bytes, mime, true fields) of n documents of a kind."""
    if kind == "external_payslip":
        from finadvisor.services.vision.external import EXTERNAL_DIR, load_set

        recs = [r for r in load_set() if r["image_type"] == "payslip"][:n]
        return [((EXTERNAL_DIR / r["file"]).read_bytes(), "image/jpeg", r["fields"]) for r in recs]
    out = []
    for i in range(n):
        s = render_sample(kind, sample_seed(SEEDS[kind], "heldout", i), "heldout")
        buf = io.BytesIO()
        s.image.save(buf, format="PNG")
        out.append((buf.getvalue(), "image/png", s.fields))
    return out


def measure(models_dir: Path, n: int = 50, ocr_engine: str | None = None) -> dict[str, dict[str, Any]]:
    """{image_type: {median_ms, p90_ms, cpu_median_ms, key_field_accuracy, currency_accuracy}}."""
    from finadvisor.services.vision.engine import VisionEngine

    engine = VisionEngine(ocr_engine=ocr_engine).load(Path(models_dir) / "vision")
    out: dict[str, dict[str, Any]] = {"ocr": {"engine": engine.ocr_engine_name}}
    for kind in (*SEEDS, "external_payslip"):
        items = _inputs(kind, n)
        key = KEY_FIELD["payslip" if kind == "external_payslip" else kind]
        engine.analyze_batch([items[0][:2]])  # warm-up: first OCR run, torch
        wall, cpu, key_ok, cur_ok = [], [], 0, 0
        for blob, mime, fields in items:
            c0, t0 = _cpu_seconds(), time.perf_counter()
            a = engine.analyze_batch([(blob, mime)])[0]
            wall.append(time.perf_counter() - t0)
            cpu.append(_cpu_seconds() - c0)
            read = {f.name: f.value for f in a.fields}
            key_ok += read.get(key) == fields[key]
            cur_ok += read.get("currency") == fields["currency"]
        ms = np.array(wall) * 1000.0  # [n]
        out[kind] = {"n": len(items), "median_ms": round(float(np.median(ms)), 1),
                     "p90_ms": round(float(np.percentile(ms, 90)), 1),
                     "cpu_median_ms": round(float(np.median(cpu)) * 1000.0, 1),
                     "key_field_accuracy": round(key_ok / len(items), 4),
                     "currency_accuracy": round(cur_ok / len(items), 4)}
    return out


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - manual entry point
    from finadvisor.shared.paths import models_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=50, help="documents of each type")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--ocr-engine", choices=("auto", "tesseract", "rapidocr"))
    args = parser.parse_args(argv)
    result = measure(models_dir(), max(1, min(args.n, 1000)), args.ocr_engine)
    if args.json:
        print(json.dumps(result))
    else:
        for kind, figures in result.items():
            print(kind, " ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":  # pragma: no cover
    main()
