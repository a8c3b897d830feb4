"""Reading payslips and bank statements: page preparation, layout, OCR, and the fields read.

Why this order: the OCR engine (Tesseract, or RapidOCR where no tesseract binary exists, see
``ocr_engines``) is the costly part, so the page is first straightened and its text rows found
with numpy alone. Reading is split so each part can be tested on its own: ``prepare_for_ocr``
(gray, deskewed), ``text_rows`` / ``figure_region`` (layout only), ``ocr_lines`` (pixels -> text
lines with their boxes, needs an engine) and ``documents.parse_document`` (lines -> canonical
fields, pure Python). Why a figure region: Tesseract costs a fixed ~80 ms per run plus ~10 ms per
text line, and the itemised table that makes up half a payslip and most of a statement holds no
field we read; the whole page is read only when the region lacks the key field.

``read_page`` reads whatever the CNN said the image is: the fields are found by their labels and
the page's type by its words (``documents.text_type``), so a payslip the CNN mistook for a
statement or a chart is still read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from finadvisor.services.vision.documents import (  # noqa: F401 - the reading API in one place
    KEY_FIELD,
    Fact,
    Field,
    Line,
    facts_from_fields,
    group_lines,
    parse_document,
    text_type,
)
from finadvisor.services.vision.labels import OCR_TYPES
from finadvisor.services.vision.money import find_amounts, parse_amount  # noqa: F401 - re-exported: the OCR reading API
from finadvisor.services.vision.ocr_engines import (  # re-exported: the OCR reading API
    OcrEngine,
    get_engine,
    ocr_status,
)

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


# A page is document-like when this many text rows span at least DOC_ROW_WIDTH of its width: the
# "Label: value" lines of a payslip do, a chart's tick labels and legend entries do not.
DOC_MIN_WIDE_ROWS = 5
DOC_ROW_WIDTH = 0.25


def document_like(rows: list[TextRow], width: int) -> bool:
    """Whether the text rows of a page look like a document's (many wide rows)."""
    wide = [r for r in rows if (r.x1 - r.x0) >= DOC_ROW_WIDTH * width]
    return len(wide) >= DOC_MIN_WIDE_ROWS


def ocr_lines(prepared: Image.Image, engine: OcrEngine | None = None) -> list[Line]:
    """OCR an already prepared (gray, straight) image into text lines, top to bottom."""
    engine = engine or get_engine()
    if engine is None:
        raise RuntimeError("no OCR engine available: " + ocr_status()[1])
    return group_lines(engine.read(prepared))


def read_lines(img: Image.Image, engine: OcrEngine | None = None) -> list[Line]:
    """OCR the whole page into text lines (top to bottom)."""
    return ocr_lines(prepare_for_ocr(img), engine)


@dataclass(frozen=True)
class PageReading:
    """What OCR made of a page: its fields, the type its words name (or None), the engine used."""

    fields: list[Field]
    text_type: str | None
    engine: str


def _read(lines: list[Line], hint: str | None) -> tuple[list[Field], str | None]:
    by_type = {t: parse_document(lines, t) for t in sorted(OCR_TYPES)}
    named = text_type(lines, by_type)
    kind = named or (hint if hint in OCR_TYPES else None)
    return (by_type[kind] if kind else []), named


def read_page(img: Image.Image, hint: str | None = None, engine: OcrEngine | None = None,
              prepared: Image.Image | None = None) -> PageReading:
    """Read a page's fields whatever its picture was classified as.

    ``hint`` is the CNN's type, used only when the words name none. The figure region is read
    first; the whole page only when that reading lacks the key field of the type it names.
    """
    engine = engine or get_engine()
    if engine is None:
        return PageReading([], None, "")
    prepared = prepared if prepared is not None else prepare_for_ocr(img)
    region = figure_region(prepared)
    if region is not None:
        region_lines = ocr_lines(region, engine)
        fields, named = _read(region_lines, hint)
        kind = named or hint
        if kind in KEY_FIELD and any(f.name == KEY_FIELD[kind] for f in fields):
            return PageReading(fields, named, engine.name)
    fields, named = _read(ocr_lines(prepared, engine), hint)
    return PageReading(fields, named, engine.name)


def read_document(img: Image.Image, image_type: str, engine: OcrEngine | None = None) -> list[Field]:
    """The fields of a page known to be ``image_type``; [] for types that are not read."""
    if image_type not in OCR_TYPES:
        return []
    engine = engine or get_engine()
    if engine is None:
        return []
    prepared = prepare_for_ocr(img)
    region = figure_region(prepared)
    if region is not None:
        fields = parse_document(ocr_lines(region, engine), image_type)
        if any(f.name == KEY_FIELD[image_type] for f in fields):
            return fields
    return parse_document(ocr_lines(prepared, engine), image_type)
