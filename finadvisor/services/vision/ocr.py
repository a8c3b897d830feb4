"""Reading payslip and bank-statement fields with Tesseract, and turning them into slot facts.

Why Tesseract: it is a packaged, offline OCR engine (no model download at run time). It is
optional: when the ``tesseract`` binary or ``pytesseract`` is missing, ``ocr_status()`` says why,
the engine still classifies and embeds, and the service reports the ``ocr`` capability missing.

Reading is split so each part can be tested on its own: ``prepare_for_ocr`` (gray, deskewed),
``figure_region`` (layout only: the header lines and the total, pure numpy), ``ocr_lines`` (pixels
-> text lines with confidences, needs Tesseract) and ``parse_document`` (lines -> canonical fields,
pure Python). Why a figure region: Tesseract costs a fixed ~80 ms per run (it loads its tables
in a fresh process) plus ~10 ms per text line, and the itemised table that makes up half a payslip
and most of a statement holds no field we read.
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
# Ink is a pixel this much darker than the closing of the image around it (a black top-hat):
# the closing fills dark strokes narrower than its window with the paper tone, while the desk
# around a photographed page, a shadow across it or a coloured header band are wide and stay, so
# only strokes on paper count as ink (a plain local threshold marks the desk's edge as ink).
INK_DELTA_THUMB = 40  # on the skew thumbnail, where thin strokes are blurred lighter
INK_DELTA = 60
# Rows are found on a copy of the page about this many pixels high, whatever its resolution, so
# the sizes below hold for a 1000 px scan and a 4000 px phone photo alike.
LAYOUT_HEIGHT = 550
# On that copy, blobs taller than this are pictures or bands, not text (a page holds > 14 rows).
MAX_GLYPH_HEIGHT = 40
# A row whose right end lies this close (share of the page width) to the right margin is
# right-aligned: in payslips and statements that is where the amounts stand.
RIGHT_ALIGN_TOLERANCE = 0.03
# Amount rows kept at the end of the itemised part: the total, and one more in case a line such
# as "year to date" follows it.
KEEP_LAST_AMOUNT_ROWS = 2
# A figure region whose median row is lower than this (px) is enlarged to it. Only small text
# (a page photographed from afar) is enlarged: at 32-40 px rows more amounts were misread than at
# the 20-30 px of an ordinary scan.
TARGET_TEXT_HEIGHT = 24.0


@dataclass(frozen=True)
class TextRow:
    """A horizontal band of text on the deskewed page: rows [y0, y1), columns [x0, x1)."""

    y0: int
    y1: int
    x0: int
    x1: int


def _ink(arr: np.ndarray, size: int, delta: int) -> np.ndarray:
    """[H, W] bool: thin dark strokes, ``delta`` darker than the paper ``size`` px around them."""
    from scipy import ndimage

    background = ndimage.grey_closing(arr, size=(size, size))  # [H, W] strokes filled in
    return arr.astype(np.int16) < background.astype(np.int16) - delta


def _estimate_skew(gray: Image.Image, max_deg: float = 4.0, step: float = 0.05) -> float:
    """Angle (degrees) that makes text rows horizontal, by maximising the row-profile variance.

    Tesseract groups words into lines by their baseline; a photo tilted by 2 degrees moves the far
    end of a 800 px row by ~28 px, enough to tear a label from its amount, and the figure region
    below is found from row gaps that only exist on a straight page. The ink of a ~400 px
    thumbnail is projected onto sheared rows (y - x tan a) with one ``bincount`` per candidate
    angle instead of rotating the image: half-degree steps, then ``step`` around the best, in a
    few milliseconds.
    """
    small = gray.copy()
    small.thumbnail((400, 400))
    arr = np.asarray(small)  # [h, w]
    ys, xs = np.nonzero(_ink(arr, 9, INK_DELTA_THUMB))  # [n], [n] ink pixel coordinates
    if ys.size < 50:
        return 0.0
    h, w = arr.shape
    shift = int(np.ceil(w * np.tan(np.radians(max_deg + 1.0)))) + 1  # keeps sheared rows >= 0

    def score(angle: float) -> float:
        rows = np.rint(ys - xs * np.tan(np.radians(angle))).astype(np.int64) + shift  # [n]
        return float(np.var(np.bincount(rows, minlength=h + 2 * shift)))  # [h + 2*shift]

    coarse = max(np.arange(-max_deg, max_deg + 1e-9, 0.5), key=lambda a: score(float(a)))
    fine = np.arange(coarse - 0.5 + step, coarse + 0.5 - step + 1e-9, step)
    return float(max(fine, key=lambda a: score(float(a))))


def prepare_for_ocr(img: Image.Image) -> Image.Image:
    """Grayscale and straightened, at the resolution it came in.

    Rotation fills the new corners with the median border tone (the desk, for a photo), so no
    white wedge appears next to a dark desk and reads as ink. No blanket upscaling: the rendered
    and photographed documents have body text ~20-30 px high, where Tesseract reads amounts as well
    as at 1.5x, with ~10 % fewer cycles and no resize; small text is enlarged in ``figure_region``.
    """
    gray = ImageOps.grayscale(img)
    angle = _estimate_skew(gray)
    if abs(angle) > 0.2:
        arr = np.asarray(gray)  # [H, W]
        border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True,
                           fillcolor=int(np.median(border)))
    return gray


def text_rows(gray: Image.Image) -> list[TextRow]:
    """Text rows of a deskewed page, top to bottom.

    Works on a ~``LAYOUT_HEIGHT`` px copy: ink by black top-hat, connected components (glyphs or
    words), components too tall or too wide for text dropped (rules, bands), then the rows are
    the vertical runs covered by at least one glyph (boxes are (y0, y1, x0, x1)).
    """
    from scipy import ndimage

    f = max(2, gray.height // LAYOUT_HEIGHT)
    arr = np.asarray(gray)[::f, ::f]  # [H/f, W/f]
    ink = _ink(arr, 11, INK_DELTA)
    labels, _ = ndimage.label(ink, structure=np.ones((3, 3)))
    slices = [s for s in ndimage.find_objects(labels) if s is not None]
    if not slices:
        return []
    boxes = np.array([(s[0].start, s[0].stop, s[1].start, s[1].stop) for s in slices])  # [k, 4]
    heights, widths = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    h, w = arr.shape
    boxes = boxes[(heights <= MAX_GLYPH_HEIGHT) & (widths <= 0.4 * w) & ((heights >= 2) | (widths >= 2))]
    glyphs = boxes[(boxes[:, 1] - boxes[:, 0]) >= 3]  # dots and specks do not make a row
    if glyphs.size == 0:
        return []
    cover = np.zeros(h + 1, dtype=np.int32)  # [h + 1] glyph starts minus ends
    np.add.at(cover, glyphs[:, 0], 1)
    np.add.at(cover, glyphs[:, 1], -1)
    on = np.concatenate([[0], (np.cumsum(cover)[:h] > 0).astype(np.int8), [0]])  # [h + 2]
    edges = np.flatnonzero(np.diff(on))  # starts and ends of covered runs, alternating
    centre = (boxes[:, 0] + boxes[:, 1]) / 2  # [k]
    rows: list[TextRow] = []
    for y0, y1 in zip(edges[::2], edges[1::2]):
        inside = (centre >= y0) & (centre < y1)
        if y1 - y0 < 3 or int(inside.sum()) < 2:
            continue
        b = boxes[inside] * f  # [m, 4] at full resolution
        rows.append(TextRow(int(y0) * f, int(y1) * f, int(b[:, 2].min()), int(b[:, 3].max())))
    if rows:  # slivers (the edge of a band, a rule's shadow) are no text
        median = float(np.median([r.y1 - r.y0 for r in rows]))
        rows = [r for r in rows if r.y1 - r.y0 >= 0.5 * median]
    return rows


def figure_rows(rows: list[TextRow], width: int, keep_last: int = KEEP_LAST_AMOUNT_ROWS) -> list[int]:
    """Indices of the rows that hold a document's figures.

    Payslips and statements share a layout: a header of "Label: value" lines (employer, pay
    frequency, currency), an itemised table whose rows end in right-aligned amounts, and the
    total as the last right-aligned row. The header is kept, the table is not, except its last
    ``keep_last`` rows (the total); rows below the total (footers) are dropped. A page where no
    two rows end at the same right margin has no such table and is kept whole.
    """
    if not rows:
        return []
    tol = RIGHT_ALIGN_TOLERANCE * width
    # The right margin is the right-most end that at least two rows share: a header band, a
    # rule or a speck of dirt sticking out further right is one row alone.
    ends = sorted((r.x1 for r in rows), reverse=True)
    right = next((x for x in ends if sum(abs(e - x) <= tol for e in ends) >= 2), None)
    if right is None:
        return list(range(len(rows)))
    amount_rows = [i for i, r in enumerate(rows) if abs(r.x1 - right) <= tol]
    last = amount_rows[-1]
    tail = set(amount_rows[-keep_last:])
    return [i for i in range(last + 1) if i not in amount_rows or i in tail]


def figure_region(gray: Image.Image) -> Image.Image | None:
    """The figure rows of a deskewed page stacked into one small image, or None if none found.

    Tesseract's time grows with the lines it recognises; a statement's table is half its lines
    and holds nothing the slots need. The kept rows are cut out with a margin of a third of their
    height and stacked in page order (the vertical gaps between them go), then cropped to their
    horizontal extent; small text is enlarged to ``TARGET_TEXT_HEIGHT``.
    """
    rows = text_rows(gray)
    keep = figure_rows(rows, gray.width)
    if not keep:
        return None
    arr = np.asarray(gray)  # [H, W]
    height, width = arr.shape
    take = np.zeros(height, dtype=bool)  # [H] pixel rows to keep
    for i in keep:
        r = rows[i]
        pad = max(4, (r.y1 - r.y0) // 3)
        take[max(0, r.y0 - pad): min(height, r.y1 + pad)] = True
    margin = 16
    x0 = max(0, min(rows[i].x0 for i in keep) - margin)
    x1 = min(width, max(rows[i].x1 for i in keep) + margin)
    region = Image.fromarray(np.ascontiguousarray(arr[take, x0:x1]))  # [h', x1 - x0]
    text_height = float(np.median([rows[i].y1 - rows[i].y0 for i in keep]))
    scale = min(3.0, TARGET_TEXT_HEIGHT / max(text_height, 1.0))
    if scale > 1.1:
        region = region.resize((int(region.width * scale), int(region.height * scale)),
                               Image.Resampling.LANCZOS)
    return region


# Tesseract's OpenMP threads fight the other services for the cores: one thread each is ~3x
# faster on a loaded 2-core machine, and the engine runs several OCR calls side by side instead.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def ocr_lines(prepared: Image.Image) -> list[Line]:
    """OCR an already prepared (gray, straight) image into text lines, top to bottom."""
    import pytesseract

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


def read_lines(img: Image.Image) -> list[Line]:
    """OCR the whole page into text lines (top to bottom). Requires Tesseract (see ocr_status)."""
    return ocr_lines(prepare_for_ocr(img))


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
        # OCR reads a trailing "€" as "8" now and then ("6.711,62 8"): a lone digit after an
        # amount with cents is not the total.
        if len(amounts) > 1 and amounts[-1][0] < 10 and amounts[-2][0].as_tuple().exponent == -2:
            amounts = amounts[:-1]
        if amounts:
            value, currency, _ = amounts[-1]
            return value, currency, line.confidence
    return None


# Capital letters OCR confuses with each other (the F of CHF read as E or P, the D of USD as O).
_LETTER_CONFUSIONS = frozenset({("E", "F"), ("F", "E"), ("P", "F"), ("F", "P"), ("D", "O"),
                                ("O", "D"), ("U", "V"), ("V", "U"), ("V", "Y"), ("Y", "V"),
                                ("C", "G"), ("G", "C")})


def _iso_code(token: str) -> tuple[str, float] | None:
    """The ISO code ``token`` names, with a certainty factor: exact (1.0), or the only known code
    one commonly confused letter away (0.8). A code we do not know (IDR) is never bent into one we
    know (INR): only the confusions above count."""
    token = token.upper()
    if token in ISO_CODES:
        return token, 1.0
    near = [c for c in sorted(ISO_CODES) if _one_confusion_apart(token, c)]
    return (near[0], 0.8) if len(near) == 1 else None


def _one_confusion_apart(token: str, code: str) -> bool:
    diffs = [(a, b) for a, b in zip(token, code) if a != b]
    return len(token) == len(code) and len(diffs) == 1 and diffs[0] in _LETTER_CONFUSIONS


def _document_currency(lines: list[Line], near: str | None) -> tuple[str, float] | None:
    for line in lines:
        m = CURRENCY_LINE_RE.search(line.text)
        named = _iso_code(m.group(1)) if m else None
        if named is not None:
            return named[0], 0.95 * named[1] * line.confidence
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


# The field without which a document type's reading is incomplete.
KEY_FIELD = {"payslip": "net_pay", "bank_statement": "account_balance"}


def read_document(img: Image.Image, image_type: str) -> list[Field]:
    """OCR + parse. Returns [] for types that are not read (charts, ID documents).

    Tesseract reads only the figure region (header lines and the total, see ``figure_rows``):
    one process start (~80 ms here, fixed) plus about half the lines of a payslip and a third of
    a statement's. Only when that reading lacks the document's key field (an unusual layout, a
    total that is not right-aligned) is the whole page read as well.
    """
    from finadvisor.services.vision.labels import OCR_TYPES

    if image_type not in OCR_TYPES:
        return []
    prepared = prepare_for_ocr(img)
    region = figure_region(prepared)
    if region is not None:
        fields = parse_document(ocr_lines(region), image_type)
        if any(f.name == KEY_FIELD[image_type] for f in fields):
            return fields
    return parse_document(ocr_lines(prepared), image_type)
