"""Reading payslip and bank-statement fields with Tesseract, and turning them into slot facts.

Why Tesseract: it is a packaged, offline OCR engine (no model download at run time). It is
optional: when the ``tesseract`` binary or ``pytesseract`` is missing, ``ocr_status()`` says why,
the engine still classifies and embeds, and the service reports the ``ocr`` capability missing.

Reading is split in two so each half can be tested on its own: ``read_lines`` (pixels -> text lines
with confidences, needs Tesseract) and ``parse_document`` (lines -> canonical fields, pure Python).
Amounts are parsed by their separators, not by locale guesses: the last ``.`` or ``,`` followed
by exactly two digits is the decimal mark, so ``$3,850.00``, ``3.850,00 €`` and ``3 850,00 EUR``
all read as 3850.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps

from finadvisor.services.vision.labels import PERIODS_PER_YEAR
from finadvisor.services.vision.render import canonical_amount

ISO_CODES = frozenset({"USD", "EUR", "GBP", "CNY", "CHF", "JPY", "CAD", "AUD", "INR", "SEK", "NOK",
                       "DKK", "PLN", "HKD", "SGD", "NZD", "ZAR", "MXN", "BRL"})
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY"}
# Confidence a symbol gives its currency: "$" is shared by several currencies, "€" is not.
SYMBOL_CERTAINTY = {"$": 0.75, "€": 0.95, "£": 0.9, "¥": 0.6}
NET_PAY_RE = re.compile(r"\b(net\s*pay|take[\s-]*home(\s*pay)?|net\s*salary|amount\s*paid)\b", re.I)
BALANCE_RE = re.compile(r"\b(closing\s*balance|ending\s*balance|balance\s*carried\s*forward|"
                        r"available\s*balance)\b", re.I)
EMPLOYER_RE = re.compile(r"\bemployer\s*[:;]?\s*(.+)$", re.I)
CURRENCY_LINE_RE = re.compile(r"\bcurrency\s*[:;]?\s*([A-Z]{3})\b", re.I)
FREQUENCY_RE = re.compile(r"\b(pay\s*frequency|frequency|paid)\b.*?\b(monthly|weekly|fortnightly|"
                          r"bi-?\s?weekly)\b", re.I)
# An amount: digits grouped by , . space or ' with an optional 1-2 digit decimal part.
AMOUNT_RE = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d])")
MONEY_TOKEN_RE = re.compile(r"([A-Z]{3}|[$€£¥])")


@dataclass(frozen=True)
class Field:
    """A field read from a document: name, canonical value, confidence in [0,1], slot it fills."""

    name: str
    value: str
    confidence: float
    slot: str = ""


@dataclass(frozen=True)
class Fact:
    """A canonical slot value for the state tracker."""

    slot: str
    value: str
    confidence: float


@dataclass(frozen=True)
class Line:
    """One line of OCR text with its mean word confidence in [0,1]."""

    text: str
    confidence: float


# -------------------------------------------------------------------------------- availability
@lru_cache(maxsize=1)
def ocr_status() -> tuple[bool, str]:
    """(available, detail): whether Tesseract can be used here, and why not when it cannot."""
    if shutil.which("tesseract") is None:
        return False, "tesseract binary not found on PATH (apt-get install tesseract-ocr)"
    try:
        import pytesseract
    except ImportError:
        return False, "pytesseract is not installed (pip install pytesseract)"
    try:
        version = str(pytesseract.get_tesseract_version())
        langs = pytesseract.get_languages(config="")
    except Exception as exc:  # the binary exists but does not run
        return False, f"tesseract does not run: {exc.__class__.__name__}"
    if "eng" not in langs:
        return False, "tesseract has no 'eng' language data (apt-get install tesseract-ocr-eng)"
    return True, f"tesseract {version}"


# ------------------------------------------------------------------------------------ pixels -> text
def _estimate_skew(gray: Image.Image, max_deg: float = 4.0, step: float = 0.25) -> float:
    """Angle (degrees) that makes text rows horizontal, by maximising the row-profile variance.

    Tesseract groups words into lines by their baseline; a photo tilted by 2 degrees moves the far
    end of a 800 px row by ~28 px, enough to tear a label from its amount, so the page is
    straightened first. Runs on a ~400 px thumbnail: a few milliseconds.
    """
    small = gray.copy()
    small.thumbnail((400, 400))
    arr = np.asarray(small, dtype=np.float32)
    ink = Image.fromarray(((arr < arr.mean() - 2 * arr.std() / 3) * 255).astype(np.uint8))

    def score(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float32)
        return float(np.var(rows.sum(axis=1)))  # variance of the [H] ink-per-row profile

    # Coarse to fine: whole degrees first, then ``step`` around the best (16 rotations, not 33).
    coarse = max(np.arange(-max_deg, max_deg + 1e-9, 1.0), key=lambda a: score(float(a)))
    fine = np.arange(coarse - 1.0 + step, coarse + 1.0 - step + 1e-9, step)
    return float(max(fine, key=lambda a: score(float(a))))


def prepare_for_ocr(img: Image.Image) -> Image.Image:
    """Grayscale, straightened, scaled so body text is ~30 px high (Tesseract's sweet spot)."""
    gray = ImageOps.grayscale(img)
    angle = _estimate_skew(gray)
    if abs(angle) > 0.2:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    w, h = gray.size
    scale = 1.5 if max(w, h) < 1800 else 1.0
    if scale != 1.0:
        gray = gray.resize((int(w * scale), int(h * scale)), Image.Resampling.LANCZOS)
    return gray


# Tesseract's OpenMP threads fight the other services for the cores: one thread each is ~3x
# faster on a loaded 2-core machine, and the engine runs several OCR calls side by side instead.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def read_lines(img: Image.Image) -> list[Line]:
    """OCR the image into text lines (top to bottom). Requires Tesseract (see ocr_status)."""
    import pytesseract

    prepared = prepare_for_ocr(img)
    # pytesseract hands the image over as a file in the image's own format; uncompressed BMP
    # is written in a few ms where PNG compression of a full page takes tens.
    prepared.format = "BMP"
    data = pytesseract.image_to_data(prepared, lang="eng", config="--psm 6",
                                     output_type=pytesseract.Output.DICT, timeout=30)
    lines: dict[tuple[int, int, int], list[tuple[int, str, float]]] = {}
    for i, word in enumerate(data["text"]):
        word = word.strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append((data["left"][i], word, conf / 100.0))
    out: list[Line] = []
    for key in sorted(lines):
        words = sorted(lines[key])
        out.append(Line(" ".join(w for _, w, _ in words), float(np.mean([c for _, _, c in words]))))
    return out


# ------------------------------------------------------------------------------------- text -> fields
_DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5",
                              "B": "8", "Z": "2"})


def _fix_digits(text: str) -> str:
    """Undo OCR letter-for-digit swaps inside number-like runs (``3,85O.OO`` -> ``3,850.00``)."""

    def fix(m: re.Match[str]) -> str:
        return m.group(0).translate(_DIGIT_FIXES)

    # A run that starts with a digit and mixes digits, separators and look-alike letters.
    text = re.sub(r"(?<=\d)[\dOoDlI|SBZ.,' ]*[\dOoDlI|SBZ]", fix, text)
    # Spaces OCR puts around a separator: "3.147, 00" -> "3.147,00".
    return re.sub(r"(\d)\s*([.,])\s*(\d)", r"\1\2\3", text)


def parse_amount(text: str) -> Decimal | None:
    """The amount written in ``text`` (e.g. '3.850,00' or '$3,850'), or None."""
    s = text.strip().replace("'", "").replace(" ", "")
    if not s or not re.fullmatch(r"[\d.,]+", s):
        return None
    last_sep = max(s.rfind("."), s.rfind(","))
    if last_sep >= 0 and len(s) - last_sep - 1 in (1, 2):
        whole, frac = s[:last_sep], s[last_sep + 1:]
    else:
        whole, frac = s, ""
    whole = whole.replace(".", "").replace(",", "")
    if not whole.isdigit():
        return None
    try:
        return Decimal(f"{whole}.{frac or '0'}")
    except InvalidOperation:
        return None


def find_amounts(line: str) -> list[tuple[Decimal, str | None, int]]:
    """Amounts on a line as (value, currency or None, position), left to right."""
    fixed = _fix_digits(line)
    found: list[tuple[Decimal, str | None, int]] = []
    for m in AMOUNT_RE.finditer(fixed):
        value = parse_amount(m.group(1))
        if value is None:
            continue
        around = fixed[max(0, m.start() - 5): m.end() + 5]
        currency = None
        for tok in MONEY_TOKEN_RE.findall(around):
            if tok in ISO_CODES or tok in SYMBOLS:
                currency = tok
                break
        found.append((value, currency, m.start()))
    return found


def _currency_of(token: str) -> tuple[str, float]:
    if token in SYMBOLS:
        return SYMBOLS[token], SYMBOL_CERTAINTY[token]
    return token, 0.95


def _labelled_amount(lines: list[Line], label_re: re.Pattern[str]) -> tuple[Decimal, str | None, float] | None:
    """The right-most amount on the last line that matches ``label_re`` (a total, not an item)."""
    for line in reversed(lines):
        m = label_re.search(line.text)
        if not m:
            continue
        amounts = find_amounts(line.text[m.end():])
        if amounts:
            value, currency, _ = amounts[-1]
            return value, currency, line.confidence
    return None


def _document_currency(lines: list[Line], near: str | None) -> tuple[str, float] | None:
    for line in lines:
        m = CURRENCY_LINE_RE.search(line.text)
        if m and m.group(1).upper() in ISO_CODES:
            return m.group(1).upper(), 0.95 * line.confidence
    if near is not None:
        code, certainty = _currency_of(near)
        return code, certainty
    counts: dict[str, int] = {}
    for line in lines:
        for tok in MONEY_TOKEN_RE.findall(line.text):
            if tok in ISO_CODES or tok in SYMBOLS:
                code = _currency_of(tok)[0]
                counts[code] = counts.get(code, 0) + 1
    if counts:
        code = max(sorted(counts), key=lambda c: counts[c])
        return code, 0.6
    return None


def parse_document(lines: list[Line], image_type: str) -> list[Field]:
    """Canonical fields of a payslip or a bank statement from its OCR lines."""
    fields: list[Field] = []
    if image_type == "payslip":
        net = _labelled_amount(lines, NET_PAY_RE)
        if net is not None:
            value, near, conf = net
            fields.append(Field("net_pay", canonical_amount(value), round(conf, 4), ""))
        else:
            near = None
        period, p_conf = "monthly", 0.5
        for line in lines:
            m = FREQUENCY_RE.search(line.text)
            if m:
                word = m.group(2).lower().replace(" ", "").replace("-", "")
                period = {"fortnightly": "biweekly", "biweekly": "biweekly"}.get(word, word)
                p_conf = 0.95 * line.confidence
                break
        fields.append(Field("period", period, round(p_conf, 4), ""))
        for line in lines:
            m = EMPLOYER_RE.search(line.text)
            if m and m.group(1).strip():
                fields.append(Field("employer", m.group(1).strip(), round(line.confidence, 4), ""))
                break
    elif image_type == "bank_statement":
        bal = _labelled_amount(lines, BALANCE_RE)
        near = None
        if bal is not None:
            value, near, conf = bal
            fields.append(Field("account_balance", canonical_amount(value), round(conf, 4), ""))
    else:
        return []
    cur = _document_currency(lines, near)
    if cur is not None:
        fields.append(Field("currency", cur[0], round(cur[1], 4), "currency"))
    if image_type == "payslip":
        fields = [f if f.name != "net_pay" else Field(f.name, f.value, f.confidence, "monthly_income")
                  for f in fields]
    return fields


def facts_from_fields(fields: list[Field]) -> list[Fact]:
    """Slot facts: net pay scaled to a month by the pay period -> monthly_income; currency."""
    by_name = {f.name: f for f in fields}
    facts: list[Fact] = []
    net = by_name.get("net_pay")
    if net is not None:
        period = by_name.get("period")
        per_year = PERIODS_PER_YEAR.get(period.value if period else "monthly", 12)
        monthly = Decimal(net.value) * per_year / 12
        conf = net.confidence * (1.0 if per_year == 12 else (period.confidence if period else 0.5))
        facts.append(Fact("monthly_income", canonical_amount(monthly), round(conf, 4)))
    cur = by_name.get("currency")
    if cur is not None:
        facts.append(Fact("currency", cur.value, cur.confidence))
    return facts


def read_document(img: Image.Image, image_type: str) -> list[Field]:
    """OCR + parse. Returns [] for types that are not read (charts, ID documents)."""
    from finadvisor.services.vision.labels import OCR_TYPES

    if image_type not in OCR_TYPES:
        return []
    return parse_document(read_lines(img), image_type)
