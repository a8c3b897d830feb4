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
from typing import Any, Protocol

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


# The C library behind the tesseract binary (Debian/Ubuntu's libtesseract5, Homebrew's libtesseract).
TESS_LIBRARIES = ("libtesseract.so.5", "libtesseract.5.dylib", "libtesseract.so")
# BMP files written by PIL say 96 dpi; the in-process API is told the same so both paths agree.
TESS_DPI = 96
TESS_PSM = 6  # "a single uniform block of text": label/value rows of a page or a region


class _TessLibrary:
    """Tesseract's C API through ctypes: one ``TessBaseAPI`` per concurrent caller, kept loaded.

    Why: the tesseract binary reloads its language model on every run, about 130 ms of a
    ~220 ms figure-region read here; the library keeps one initialised API per OCR slot, so a
    read costs recognition only. The words, boxes and confidences are the binary's (same
    recognizer, same page segmentation mode, same resolution), the TSV rows are parsed alike.
    """

    def __init__(self, path: str) -> None:
        import ctypes

        lib = ctypes.CDLL(path)
        vp, ci, cs = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        lib.TessBaseAPICreate.restype = vp
        lib.TessBaseAPIInit3.argtypes = [vp, cs, cs]
        lib.TessBaseAPIInit3.restype = ci
        lib.TessBaseAPISetPageSegMode.argtypes = [vp, ci]
        lib.TessBaseAPISetImage.argtypes = [vp, vp, ci, ci, ci, ci]
        lib.TessBaseAPISetSourceResolution.argtypes = [vp, ci]
        lib.TessBaseAPIGetTsvText.argtypes = [vp, ci]
        lib.TessBaseAPIGetTsvText.restype = vp
        lib.TessBaseAPIClear.argtypes = [vp]
        lib.TessBaseAPIEnd.argtypes = [vp]
        lib.TessBaseAPIDelete.argtypes = [vp]
        lib.TessDeleteText.argtypes = [vp]
        self._ctypes = ctypes
        self._lib = lib
        self._free: list[int] = []  # initialised APIs not in use
        self._all: list[int] = []
        self._lock = threading.Lock()

    def _new_api(self) -> int:
        api = self._lib.TessBaseAPICreate()
        if not api or self._lib.TessBaseAPIInit3(api, None, b"eng") != 0:
            if api:
                self._lib.TessBaseAPIDelete(api)
            raise RuntimeError("tesseract library could not load the 'eng' language data")
        self._lib.TessBaseAPISetPageSegMode(api, TESS_PSM)
        with self._lock:
            self._all.append(api)
        return int(api)

    def warm(self) -> None:
        """Initialise one API ahead of the first read (the language model loads in ~0.3 s)."""
        with self._lock:
            have = bool(self._free)
        if not have:
            api = self._new_api()
            with self._lock:
                self._free.append(api)

    def tsv(self, gray: Image.Image) -> str:
        """Tesseract's TSV of an 8-bit grayscale image (rows as ``image_to_data`` returns them)."""
        arr = np.ascontiguousarray(np.asarray(gray.convert("L"), dtype=np.uint8))  # [H, W]
        with self._lock:
            api = self._free.pop() if self._free else None
        if api is None:
            api = self._new_api()
        try:
            height, width = arr.shape
            self._lib.TessBaseAPISetImage(api, arr.ctypes.data, width, height, 1, width)
            self._lib.TessBaseAPISetSourceResolution(api, TESS_DPI)
            ptr = self._lib.TessBaseAPIGetTsvText(api, 0)
            if not ptr:
                return ""
            try:
                return self._ctypes.string_at(ptr).decode("utf-8", errors="replace")
            finally:
                self._lib.TessDeleteText(ptr)
        finally:
            self._lib.TessBaseAPIClear(api)
            with self._lock:
                self._free.append(api)

    def close(self) -> None:
        """End every API (at exit: the library otherwise reports its caches as leaked)."""
        with self._lock:
            apis, self._all, self._free = self._all, [], []
        for api in apis:
            self._lib.TessBaseAPIEnd(api)
            self._lib.TessBaseAPIDelete(api)


@lru_cache(maxsize=1)
def tesseract_library() -> _TessLibrary | None:
    """The in-process Tesseract API, or None where only the binary (or nothing) is installed."""
    import atexit
    import ctypes.util

    names = [*TESS_LIBRARIES, *filter(None, [ctypes.util.find_library("tesseract")])]
    for name in names:
        try:
            library = _TessLibrary(name)
        except (OSError, AttributeError):
            continue
        atexit.register(library.close)
        return library
    return None


def _words_from_tsv(rows: dict[str, list[Any]]) -> list[Word]:
    words: list[Word] = []
    for i, text in enumerate(rows["text"]):
        # Whole percent, as the binary's output reaches pytesseract's dictionary.
        text, conf = str(text).strip(), int(float(rows["conf"][i]))
        if not text or conf < 0:
            continue
        x, y = int(rows["left"][i]), int(rows["top"][i])
        w, h = int(rows["width"][i]), int(rows["height"][i])
        words.append(Word(text, conf / 100.0, x, y, x + w, y + h))
    return words


def parse_tsv(tsv: str) -> dict[str, list[str]]:
    """Tesseract's TSV (without or with its header row) as columns, like ``image_to_data``."""
    keys = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top",
            "width", "height", "conf", "text")
    cols: dict[str, list[str]] = {k: [] for k in keys}
    for line in tsv.splitlines():
        parts = line.split("\t")
        if len(parts) < len(keys) - 1 or parts[0] == "level":
            continue
        parts += [""] * (len(keys) - len(parts))
        for k, v in zip(keys, parts):
            cols[k].append(v)
    return cols


class TesseractEngine:
    """Tesseract ``--psm 6``: in-process through its C library when present, else the binary."""

    name = "tesseract"

    def __init__(self, library: _TessLibrary | None = None, use_library: bool = True) -> None:
        self._library = (library or tesseract_library()) if use_library else None

    @property
    def in_process(self) -> bool:
        return self._library is not None

    def warm(self) -> None:
        if self._library is not None:
            self._library.warm()

    def read(self, gray: Image.Image) -> list[Word]:
        if self._library is not None:
            return _words_from_tsv(parse_tsv(self._library.tsv(gray)))
        import pytesseract

        # pytesseract hands the image over as a file in the image's own format; uncompressed BMP
        # is written in a few ms where PNG compression of a full page takes tens.
        gray.format = "BMP"
        data = pytesseract.image_to_data(gray, lang="eng", config=f"--psm {TESS_PSM}",
                                         output_type=pytesseract.Output.DICT, timeout=30)
        return _words_from_tsv(data)


class RapidOcrEngine:
    """PP-OCR (det + rec, no angle classifier: pages are deskewed first) through rapidocr."""

    name = "rapidocr"

    def __init__(self, threads: int = 2) -> None:
        from rapidocr import RapidOCR

        # Det.limit_side_len: the detector enlarges an image whose short side is below it (736 by
        # default), so a 330 px figure region became 2060x736 and cost twice the detection;
        # the region's text is already sized for reading (ocr.TARGET_TEXT_HEIGHT), so only
        # images below 320 px are enlarged.
        self._ocr = RapidOCR(params={"Global.log_level": "critical", "Global.use_cls": False,
                                     "Det.limit_side_len": 320,
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
        import onnxruntime  # noqa: F401 - imported to see that it is installed
        import rapidocr  # noqa: F401 - imported to see that it is installed
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
