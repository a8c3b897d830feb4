"""The vision engine: loading, capabilities, micro-batching, bad inputs, and the trained model."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from finadvisor.services.vision.engine import VisionEngine
from finadvisor.services.vision.labels import IMAGE_TYPES
from finadvisor.services.vision.ocr import ocr_status
from finadvisor.services.vision.render import render_sample, sample_seed
from finadvisor.shared.errors import InvalidInputError, ModelNotReadyError
from finadvisor.shared.paths import BUNDLED_MODELS_DIR
from tests.unit.vision_tiny import TINY, png_bytes

BUNDLED = BUNDLED_MODELS_DIR / "vision"


@pytest.fixture(scope="module")
def chart_png() -> bytes:
    return png_bytes(render_sample("line_chart", 3).image)


def test_not_ready_until_loaded(tiny_folder: Path, chart_png: bytes) -> None:
    engine = VisionEngine()
    assert not engine.ready
    assert engine.capabilities()["classify"][0] is False
    with pytest.raises(ModelNotReadyError):
        engine.analyze_batch([(chart_png, "image/png")])
    engine.load(tiny_folder)
    assert engine.ready and engine.capabilities()["classify"][0] is True


def test_capabilities_report_ocr(tiny_folder: Path) -> None:
    caps = VisionEngine().load(tiny_folder).capabilities()
    assert caps["ocr"] == ocr_status()
    off = VisionEngine(ocr_enabled=False).load(tiny_folder)
    assert off.capabilities()["ocr"][0] is False and not off.ocr_available


def test_analysis_shapes(tiny_folder: Path, chart_png: bytes) -> None:
    engine = VisionEngine().load(tiny_folder)
    (a,) = engine.analyze_batch([(chart_png, "image/png")], skip_ocr=True)
    assert a.image_type in IMAGE_TYPES
    assert set(a.type_probabilities) == set(IMAGE_TYPES)
    assert abs(sum(a.type_probabilities.values()) - 1.0) < 1e-4
    assert len(a.embedding) == TINY.embedding_dim
    assert abs(float(np.linalg.norm(a.embedding)) - 1.0) < 1e-4
    img = Image.open(io.BytesIO(chart_png))
    assert (a.width, a.height) == img.size
    assert (a.chart_trend != "") == (a.image_type in ("line_chart", "candlestick_chart"))


async def test_concurrent_requests_share_one_batch(tiny_folder: Path, chart_png: bytes) -> None:
    engine = VisionEngine(max_batch=32, batch_window_ms=20).load(tiny_folder)
    results = await asyncio.gather(*(engine.analyze(chart_png, "image/png", skip_ocr=True) for _ in range(6)))
    assert len(results) == 6
    assert engine.stats.largest_batch == 6 and engine.stats.batches == 1
    # Same bytes, same batch: the same answers (to the last float bit or two: CPU kernels take
    # another SIMD path for the rows past a multiple of their vector width).
    assert all(np.allclose(r.embedding, results[0].embedding, rtol=0, atol=1e-6) for r in results)
    assert all(r.image_type == results[0].image_type for r in results)
    await engine.aclose()


async def test_a_bad_image_fails_alone(tiny_folder: Path, chart_png: bytes) -> None:
    engine = VisionEngine(batch_window_ms=20).load(tiny_folder)
    good, bad, trunc = await asyncio.gather(
        engine.analyze(chart_png, "image/png", skip_ocr=True),
        engine.analyze(b"not an image at all", "image/png"),
        engine.analyze(chart_png[: len(chart_png) // 3], "image/png"),
        return_exceptions=True,
    )
    assert not isinstance(good, BaseException) and good.image_type in IMAGE_TYPES
    assert isinstance(bad, InvalidInputError)
    assert isinstance(trunc, InvalidInputError)
    # The engine still serves after bad inputs.
    again = await engine.analyze(chart_png, "image/png", skip_ocr=True)
    assert again.embedding == good.embedding


def test_max_batch_splits_large_bursts(tiny_folder: Path, chart_png: bytes) -> None:
    engine = VisionEngine(max_batch=4, batch_window_ms=50).load(tiny_folder)

    async def burst() -> None:
        await asyncio.gather(*(engine.analyze(chart_png, "image/png", skip_ocr=True) for _ in range(10)))

    asyncio.run(burst())
    assert engine.stats.images == 10 and engine.stats.largest_batch <= 4


needs_bundled = pytest.mark.skipif(not (BUNDLED / "MANIFEST.json").is_file(),
                                   reason="no trained vision model committed under finadvisor/models/vision")


@needs_bundled
def test_trained_model_classifies_heldout_styles() -> None:
    engine = VisionEngine().load(BUNDLED)
    kinds = ["payslip", "bank_statement", "id_document", "line_chart", "bar_chart", "pie_chart",
             "candlestick_chart", "other"]
    samples = [render_sample(k, sample_seed(4242, "heldout", i), "heldout") for i, k in enumerate(kinds)]
    out = engine.analyze_batch([(png_bytes(s.image), "image/png") for s in samples], skip_ocr=True)
    correct = sum(a.image_type == s.image_type for a, s in zip(out, samples))
    assert correct >= 7


@needs_bundled
@pytest.mark.skipif(not ocr_status()[0], reason=f"OCR unavailable here: {ocr_status()[1]}")
async def test_trained_engine_reads_a_payslip_into_monthly_income() -> None:
    engine = VisionEngine().load(BUNDLED)
    s = render_sample("payslip", sample_seed(77, "heldout", 0), "heldout")
    a = await engine.analyze(png_bytes(s.image), "image/png")
    assert a.image_type == "payslip" and a.ocr_available
    fields = {f.name: f.value for f in a.fields}
    assert fields["net_pay"] == s.fields["net_pay"]
    facts = {f.slot: f.value for f in a.facts}
    assert "monthly_income" in facts and facts["currency"] == s.fields["currency"]
    skipped = await engine.analyze(png_bytes(s.image), "image/png", skip_ocr=True)
    assert skipped.fields == [] and skipped.facts == []
