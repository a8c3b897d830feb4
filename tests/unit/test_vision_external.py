"""The external evaluation set (other renderers, never trained on) and the engine on parts of it.

The full figures come from ``finadvisor eval --json`` (``vision_external``); these tests keep the
set whole and check the pieces that make those figures on a few of its pictures.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from PIL import Image

from finadvisor.services.vision.engine import VisionEngine
from finadvisor.services.vision.external import EXTERNAL_DIR, LABELS, evaluate_set, load_set
from finadvisor.services.vision.labels import IMAGE_TYPES, TRENDS
from finadvisor.services.vision.ocr_engines import ocr_status
from finadvisor.services.vision.trend import read_trend
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

RECORDS = load_set()
needs_model = pytest.mark.skipif(not (BUNDLED_MODELS_DIR / "vision" / "MANIFEST.json").is_file(),
                                 reason="no trained vision model committed")


def test_the_set_is_whole_small_and_varied() -> None:
    assert (EXTERNAL_DIR / LABELS).is_file()
    total = sum(p.stat().st_size for p in EXTERNAL_DIR.iterdir())
    assert total < 6 * 1024 * 1024
    kinds = Counter(r["image_type"] for r in RECORDS)
    assert kinds["payslip"] >= 20 and kinds["line_chart"] >= 20 and kinds["candlestick_chart"] >= 8
    assert set(kinds) <= set(IMAGE_TYPES)
    trends = Counter(r["chart_trend"] for r in RECORDS if r["chart_trend"])
    assert set(trends) == set(TRENDS) and min(trends.values()) >= 6
    labels_used = {json.dumps(r["fields"]) for r in RECORDS if r["image_type"] == "payslip"}
    assert len(labels_used) == kinds["payslip"]  # every payslip has its own figures
    assert any(r["photo"] for r in RECORDS) and not all(r["photo"] for r in RECORDS)
    for r in RECORDS:
        assert (EXTERNAL_DIR / r["file"]).is_file()


def test_series_trend_on_the_external_charts() -> None:
    charts = [r for r in RECORDS if r["chart_trend"]]
    hits = 0
    for r in charts:
        reading = read_trend(Image.open(EXTERNAL_DIR / r["file"]))
        hits += reading is not None and reading.trend == r["chart_trend"]
    assert hits / len(charts) >= 0.9


@needs_model
@pytest.mark.skipif(not ocr_status("tesseract")[0], reason=ocr_status("tesseract")[1])
def test_photographed_payslips_are_payslips_with_their_net_pay() -> None:
    engine = VisionEngine(ocr_engine="tesseract").load(BUNDLED_MODELS_DIR / "vision")
    photos = [r for r in RECORDS if r["image_type"] == "payslip" and r["photo"]][:3]
    for r in photos:
        (a,) = engine.analyze_batch([((EXTERNAL_DIR / r["file"]).read_bytes(), "image/jpeg")])
        assert a.image_type == "payslip", r["file"]
        assert {f.name: f.value for f in a.fields}.get("net_pay") == r["fields"]["net_pay"], r["file"]
        assert a.ocr_engine == "tesseract"


@needs_model
def test_the_eval_section_has_the_agreed_keys() -> None:
    section = evaluate_set(BUNDLED_MODELS_DIR, limit=2, ocr_engine="none")
    assert {"type_accuracy", "trend_accuracy", "field_accuracy"} <= set(section)
    assert section["n_images"] == 2 and section["field_accuracy"] is None  # no payslip, no OCR
    assert 0.0 <= section["type_accuracy"] <= 1.0
