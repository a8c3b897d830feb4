"""Both OCR engines for real: Tesseract where installed, RapidOCR from pip alone; the choice of
engine (forced, or automatic on a machine without the tesseract binary) and where it is reported."""

from __future__ import annotations

import dataclasses
import io

import pytest

from finadvisor.services.vision.config import VisionSettings
from finadvisor.services.vision.engine import VisionEngine
from finadvisor.services.vision.ocr import facts_from_fields, read_document
from finadvisor.services.vision.ocr_engines import (
    engine_name,
    get_engine,
    ocr_status,
    vision_ocr_line,
)
from finadvisor.services.vision.render import render_sample, sample_seed
from finadvisor.services.vision.servicer import analysis_to_proto
from finadvisor.shared.config import load_settings
from finadvisor.shared.errors import ConfigError
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

HAS_TESSERACT = ocr_status("tesseract")[0]
ENGINES = [pytest.param("tesseract", marks=pytest.mark.skipif(not HAS_TESSERACT,
                                                              reason=ocr_status("tesseract")[1])),
           "rapidocr"]


@pytest.fixture()
def no_tesseract(monkeypatch: pytest.MonkeyPatch):
    """This machine as a fresh one set up with pip alone: no tesseract binary on PATH."""
    monkeypatch.setenv("PATH", "/nonexistent")
    ocr_status.cache_clear()
    get_engine.cache_clear()
    yield
    ocr_status.cache_clear()
    get_engine.cache_clear()


def test_choices_resolve_to_an_engine_or_say_why_not() -> None:
    assert ocr_status("none") == (False, "ocr disabled (FINADVISOR_VISION_OCR_ENGINE=none)")
    ok, detail = ocr_status("rapidocr")
    assert ok and detail.startswith("rapidocr") and engine_name("rapidocr") == "rapidocr"
    assert get_engine("none") is None and get_engine("rapidocr").name == "rapidocr"
    if HAS_TESSERACT:
        assert engine_name("auto") == "tesseract"  # preferred where installed


def test_without_tesseract_auto_falls_back_to_rapidocr(no_tesseract: None) -> None:
    ok, detail = ocr_status("auto")
    assert ok and detail.startswith("rapidocr") and "tesseract binary not found" in detail
    assert ocr_status("tesseract")[0] is False
    assert get_engine("auto").name == "rapidocr"
    line = vision_ocr_line(VisionSettings())
    assert line.startswith("rapidocr") and "FINADVISOR_VISION_OCR_ENGINE=auto" in line
    off = dataclasses.replace(VisionSettings(), ocr_enabled=False)
    assert vision_ocr_line(off).startswith("off")


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_reads_a_payslip(engine: str) -> None:
    sample = render_sample("payslip", sample_seed(31, "heldout", 0), "heldout", degrade=0.3)
    fields = read_document(sample.image, "payslip", get_engine(engine))
    got = {f.name: f.value for f in fields}
    assert got.get("net_pay") == sample.fields["net_pay"]
    assert got.get("currency") == sample.fields["currency"]
    assert any(f.slot == "monthly_income" for f in facts_from_fields(fields))


@pytest.mark.skipif(not (BUNDLED_MODELS_DIR / "vision" / "MANIFEST.json").is_file(),
                    reason="no trained vision model committed")
def test_engine_without_tesseract_fills_net_pay_and_says_which_engine(no_tesseract: None) -> None:
    engine = VisionEngine().load(BUNDLED_MODELS_DIR / "vision")  # "auto" on a pip-only machine
    assert engine.capabilities()["ocr"][1].startswith("rapidocr")
    sample = render_sample("payslip", sample_seed(32, "heldout", 1), "heldout", degrade=0.3)
    buf = io.BytesIO()
    sample.image.save(buf, format="PNG")
    (a,) = engine.analyze_batch([(buf.getvalue(), "image/png")])
    assert a.image_type == "payslip" and a.ocr_engine == "rapidocr"
    assert {f.name: f.value for f in a.fields}["net_pay"] == sample.fields["net_pay"]
    assert "monthly_income" in {f.slot for f in a.facts}
    proto = analysis_to_proto(a)
    assert proto.findings.ocr_engine == "rapidocr"
    assert [f.source for f in proto.facts] == ["image"] * len(a.facts)


def test_settings_name_the_engine() -> None:
    assert load_settings(VisionSettings, {"FINADVISOR_VISION_OCR_ENGINE": "rapidocr"}).ocr_engine == "rapidocr"
    with pytest.raises(ConfigError):
        load_settings(VisionSettings, {"FINADVISOR_VISION_OCR_ENGINE": "easyocr"})


@pytest.mark.skipif(not HAS_TESSERACT, reason=ocr_status("tesseract")[1])
def test_tesseract_in_process_reads_what_the_binary_reads() -> None:
    """The library keeps the language model loaded between reads; the words, boxes and whole-percent
    confidences are the binary's, on a page and on its figure region."""
    from finadvisor.services.vision.ocr import figure_region, prepare_for_ocr
    from finadvisor.services.vision.ocr_engines import TesseractEngine

    library, binary = TesseractEngine(), TesseractEngine(use_library=False)
    if not library.in_process:
        pytest.skip("no libtesseract next to the tesseract binary")
    sample = render_sample("payslip", sample_seed(33, "heldout", 2), "heldout", degrade=0.3)
    page = prepare_for_ocr(sample.image.convert("RGB"))
    region = figure_region(page)
    assert region is not None
    for image in (page, region):
        words = library.read(image)
        assert words == binary.read(image)
        assert any(sample.fields["net_pay"].split(".")[0][-3:] in w.text for w in words)
    assert library.read(region) == library.read(region)  # the kept API answers alike each time
