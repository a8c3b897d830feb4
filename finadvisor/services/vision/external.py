"""The ``vision_external`` eval section: the whole vision engine on pictures from other renderers.

Why: the held-out split of ``render.py`` shares the drawing code the CNN learned from; this set
(matplotlib charts, Chromium-laid-out payslips and statements, phone-photo degradations, see
``external_set.py``) is never trained on, so it is the honest figure of what a customer's upload
gets. The images are committed under ``tests/data/vision_external/`` with their labels.

Every image goes through ``VisionEngine.analyze_batch`` one at a time, as a served request does
(decode, CNN, OCR of document-like pages, type from CNN + text, trend from the series):

* ``type_accuracy``: final image type over all images;
* ``trend_accuracy``: rising/falling/flat/volatile over the line, area and candlestick charts;
* ``field_accuracy``: payslips whose net pay is read exactly (None without an OCR engine);
* ``balance_accuracy`` / ``currency_accuracy``: statements' closing balance, documents' currency.

The OCR engine is the service's choice (``FINADVISOR_VISION_OCR_ENGINE``: auto, tesseract,
rapidocr), reported as ``ocr_engine`` so figures for both engines can be told apart.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from finadvisor.services.vision.labels import TREND_TYPES

# The committed set, relative to the repository root (this file is finadvisor/services/vision/).
EXTERNAL_DIR = Path(__file__).resolve().parents[3] / "tests" / "data" / "vision_external"
LABELS = "labels.jsonl"


def load_set(folder: Path = EXTERNAL_DIR) -> list[dict[str, Any]]:
    """The label records of the set (file, image_type, chart_trend, fields, photo)."""
    path = Path(folder) / LABELS
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate_set(models_dir: Path, folder: Path = EXTERNAL_DIR, ocr_engine: str | None = None,
                 limit: int | None = None) -> dict[str, Any]:
    """Scores of the engine on the external set (see the module docstring)."""
    from finadvisor.services.vision.engine import VisionEngine

    engine = VisionEngine(ocr_engine=ocr_engine).load(Path(models_dir) / "vision")
    records = load_set(folder)[:limit]
    type_ok, trends, nets, balances, currencies, wall = 0, [], [], [], [], []
    misses: list[str] = []
    for rec in records:
        data = (Path(folder) / rec["file"]).read_bytes()
        mime = "image/png" if rec["file"].endswith(".png") else "image/jpeg"
        t0 = time.perf_counter()
        a = engine.analyze_batch([(data, mime)])[0]
        wall.append(time.perf_counter() - t0)
        type_ok += a.image_type == rec["image_type"]
        read = {f.name: f.value for f in a.fields}
        ok = a.image_type == rec["image_type"]
        if rec.get("chart_trend"):
            hit = a.image_type in TREND_TYPES and a.chart_trend == rec["chart_trend"]
            trends.append(hit)
            ok = ok and hit
        if rec["image_type"] == "payslip":
            nets.append(read.get("net_pay") == rec["fields"]["net_pay"])
            ok = ok and nets[-1]
        if rec["image_type"] == "bank_statement":
            balances.append(read.get("account_balance") == rec["fields"]["account_balance"])
        if rec["fields"].get("currency"):
            currencies.append(read.get("currency") == rec["fields"]["currency"])
        if not ok:
            misses.append(rec["file"])
    ocr = engine.ocr_available

    def share(xs: list[bool], needs_ocr: bool = False) -> float | None:
        if not xs or (needs_ocr and not ocr):
            return None
        return round(sum(xs) / len(xs), 4)

    return {
        "type_accuracy": share([True] * type_ok + [False] * (len(records) - type_ok)),
        "trend_accuracy": share(trends),
        "field_accuracy": share(nets, needs_ocr=True),
        "balance_accuracy": share(balances, needs_ocr=True),
        "currency_accuracy": share(currencies, needs_ocr=True),
        "ocr_engine": engine.ocr_engine_name,
        "n_images": len(records),
        "n_payslips": len(nets),
        "n_trend_charts": len(trends),
        "median_ms": round(float(np.median(wall)) * 1000.0, 1) if wall else None,
        "misses": misses,
    }


def evaluate_external(models_dir: Path, data_dir: Path) -> dict[str, dict[str, Any]]:
    """The ``finadvisor eval --json`` hook: ``{"vision_external": {...}}`` (skipped when the set
    is not there, e.g. an installed wheel without the repository's tests)."""
    if not (EXTERNAL_DIR / LABELS).is_file():
        return {"vision_external": {"skipped": f"external set not found at {EXTERNAL_DIR}"}}
    return {"vision_external": evaluate_set(models_dir)}


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - manual entry point
    """``python -m finadvisor.services.vision.external [--ocr-engine E]``: print the section."""
    import argparse

    from finadvisor.shared.paths import models_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ocr-engine", choices=("auto", "tesseract", "rapidocr", "none"))
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    print(json.dumps(evaluate_set(models_dir(), ocr_engine=args.ocr_engine, limit=args.limit)))



if __name__ == "__main__":  # pragma: no cover
    main()
