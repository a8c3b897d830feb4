"""The OCR engines behind document reading: Tesseract where installed, RapidOCR from pip alone.

Why two: Tesseract is about three times faster here (~80 ms fixed per run plus ~10 ms per line) but
it is a system package, so a machine set up with nothing but ``pip install -e .`` has none and
every payslip turn would read nothing. RapidOCR's wheel ships the PP-OCR ONNX detection and
recognition models and runs them with onnxruntime, offline (about 1 s per page on 2 cores).

Both engines hand back the same thing, text boxes with their position (``Word``), so the layout
reasoning (a label's amount on its line or in the box below it) is written once, in ``ocr.py``.

Which engine: ``FINADVISOR_VISION_OCR_ENGINE`` = ``auto`` (Tesseract if it runs here, else
RapidOCR), ``tesseract``, ``rapidocr`` or ``none``; ``ocr_status(choice)`` says which one is in use
or why none is.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
from PIL import Image

ENGINE_CHOICES = ("auto", "tesseract", "rapidocr", "none")
ENGINE_ENV = "FINADVISOR_VISION_OCR_ENGINE"

# Tesseract's OpenMP threads fight the other services for the cores: one thread each is ~3x
# faster on a loaded 2-core machine, and the engine runs several OCR calls side by side instead.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@dataclass(frozen=True)
class Word:
    """One recognised text box (a word for Tesseract, a phrase for RapidOCR), page pixels."""

    text: str
    confidence: float  # 0..1
    x0: int
    y0: int
    x1: int
    y1: int


class OcrEngine(Protocol):
    name: str

    def read(self, gray: Image.Image) -> list[Word]:
        """Text boxes of a prepared (grayscale, straight) image, in no particular order."""
        ...


class TesseractEngine:
    """``tesseract --psm 6`` through pytesseract, word boxes from ``image_to_data``."""

    name = "tesseract"

    def read(self, gray: Image.Image) -> list[Word]:
        import pytesseract

        # pytesseract hands the image over as a file in the image's own format; uncompressed BMP
        # is written in a few ms where PNG compression of a full page takes tens.
        gray.format = "BMP"
        data = pytesseract.image_to_data(gray, lang="eng", config="--psm 6",
                                         output_type=pytesseract.Output.DICT, timeout=30)
        words: list[Word] = []
        for i, text in enumerate(data["text"]):
            text, conf = text.strip(), float(data["conf"][i])
            if not text or conf < 0:
                continue
            x, y, w, h = data["left"][i], data["top"][i], data["width"][i], data["height"][i]
            words.append(Word(text, conf / 100.0, x, y, x + w, y + h))
        return words


class RapidOcrEngine:
    """PP-OCR (det + rec, no angle classifier: pages are deskewed first) through rapidocr."""

    name = "rapidocr"

    def __init__(self, threads: int = 2) -> None:
        from rapidocr import RapidOCR

        self._ocr = RapidOCR(params={"Global.log_level": "critical", "Global.use_cls": False,
                                     "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                                     "EngineConfig.onnxruntime.inter_op_num_threads": 1})
        self._lock = threading.Lock()  # one run at a time per session: no core oversubscription

    def read(self, gray: Image.Image) -> list[Word]:
        rgb = np.asarray(gray.convert("RGB"))  # [H, W, 3]
        with self._lock:
            out = self._ocr(rgb)
        if out.boxes is None or out.txts is None:
            return []
        words: list[Word] = []
        for box, text, score in zip(out.boxes, out.txts, out.scores):
            pts = np.asarray(box)  # [4, 2] corners
            text = str(text).strip()
            if text:
                words.append(Word(text, float(score), int(pts[:, 0].min()), int(pts[:, 1].min()),
                                  int(pts[:, 0].max()), int(pts[:, 1].max())))
        return words


def _tesseract_problem() -> str | None:
    """Why Tesseract cannot be used here, or None when it can."""
    if shutil.which("tesseract") is None:
        return "tesseract binary not found on PATH"
    try:
        import pytesseract
    except ImportError:
        return "pytesseract is not installed"
    try:
        langs = pytesseract.get_languages(config="")
    except Exception as exc:  # noqa: BLE001 - the binary exists but does not run, whatever the cause
        return f"tesseract does not run: {exc.__class__.__name__}"
    if "eng" not in langs:
        return "tesseract has no 'eng' language data"
    return None


def _rapidocr_problem() -> str | None:
    try:
        import onnxruntime  # noqa: F401
        import rapidocr  # noqa: F401
    except ImportError as exc:
        return f"rapidocr is not installed ({exc.name})"
    return None


def default_choice() -> str:
    """The engine choice of this process's environment (``auto`` unless set)."""
    choice = os.environ.get(ENGINE_ENV, "auto").strip().lower() or "auto"
    return choice if choice in ENGINE_CHOICES else "auto"


@lru_cache(maxsize=8)
def ocr_status(choice: str | None = None) -> tuple[bool, str]:
    """(available, detail) of the engine ``choice`` resolves to; detail names the engine first."""
    choice = choice or default_choice()
    if choice == "none":
        return False, "ocr disabled (FINADVISOR_VISION_OCR_ENGINE=none)"
    tess = _tesseract_problem() if choice in ("auto", "tesseract") else "not chosen"
    if tess is None:
        import pytesseract

        return True, f"tesseract {pytesseract.get_tesseract_version()}"
    if choice == "tesseract":
        return False, f"tesseract forced but unusable: {tess}"
    rapid = _rapidocr_problem()
    if rapid is None:
        return True, "rapidocr 3.10 (onnxruntime)" + (f"; {tess}" if choice == "auto" else "")
    return False, f"no OCR engine: {tess}; {rapid}"


@lru_cache(maxsize=4)
def get_engine(choice: str | None = None) -> OcrEngine | None:
    """The engine instance ``choice`` resolves to (one per process), or None when none can run."""
    ok, detail = ocr_status(choice)
    if not ok:
        return None
    if detail.startswith("tesseract"):
        return TesseractEngine()
    return RapidOcrEngine(threads=max(1, min(2, os.cpu_count() or 1)))


def engine_name(choice: str | None = None) -> str:
    """"tesseract", "rapidocr" or "" (none): what ``finadvisor up`` and GetInfo report."""
    ok, detail = ocr_status(choice)
    return detail.split(" ", 1)[0] if ok else ""


def vision_ocr_line(settings: object) -> str:
    """The line ``finadvisor up`` prints about OCR, from the vision service's settings."""
    if not getattr(settings, "ocr_enabled", True):
        return "off (FINADVISOR_VISION_OCR_ENABLED=false)"
    choice = str(getattr(settings, "ocr_engine", "auto"))
    ok, detail = ocr_status(choice)
    return f"{detail}  (vision; FINADVISOR_VISION_OCR_ENGINE={choice})" if ok else f"NONE: {detail}"
