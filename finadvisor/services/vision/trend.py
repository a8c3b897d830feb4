"""A chart's trend read from its plotted series, not guessed from a thumbnail.

Why: the CNN sees a 128x128 gray thumbnail and learned the trend from one renderer's charts; on a
matplotlib chart, a dark theme or an area chart it is often wrong. The series itself says which
way it goes:

1. the background is the most common colour; ink is what differs from it;
2. axis and grid lines (long straight runs) are removed;
3. the series is the ink of the dominant chromatic hue (two hues for up/down candles), else the
   widest neutral ink left (a black line on white);
4. its y-values are read left to right (top edge per column: a line, an area's edge, a candle's
   wick), in units of the plot height (the span between the outer grid/axis lines);
5. a robust (Theil-Sen) slope against the residual spread decides rising / falling / flat /
   volatile.

The start/end change in percent needs the values the axis stands for: the y tick labels are read
by OCR when an engine is given (``axis_values``); without them it is not reported.

The series' structure is also evidence of the chart's subtype (``Series.shape``): a line is one
connected stroke with a pixel in every column it spans; candlesticks are many separate bodies of
one width with empty columns between them. The engine lets that settle a line-vs-candlestick call
of the CNN, whose 128 px thumbnail of a jagged line looks much like a row of candles.

Pure numpy/scipy on the decoded image; no torch, no renderer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from finadvisor.services.vision.ocr_engines import OcrEngine

# Work on a copy this wide: enough columns for a slope, cheap to label.
WORK_WIDTH = 480
# Ink differs from the background by at least this much (max channel difference, 0..255).
INK_DISTANCE = 48
# A pixel within this distance of the border's colour belongs to the desk around a photographed chart.
DESK_DISTANCE = 60
# A pixel is chromatic when its channels spread by at least this much.
CHROMA = 45
# A straight run covering this share of the width (height) is an axis or grid line.
LINE_SHARE = 0.5
# At least this share of the work width must carry series pixels.
MIN_COVERAGE = 0.3
# Trend thresholds in plot heights: a rise/fall moves at least MIN_CHANGE across the chart and at
# least CHANGE_TO_SPREAD times its residual spread; a flat series stays within FLAT_BAND.
MIN_CHANGE = 0.15
CHANGE_TO_SPREAD = 1.6
FLAT_BAND = 0.2


# Structure of a series (share of the columns it spans that hold none of its pixels; parts):
# a line leaves almost no column empty, a row of candles leaves the gaps between its bodies.
LINE_MAX_GAP = 0.04
CANDLE_MIN_GAP = 0.15
CANDLE_MIN_PARTS = 6
# Candle bodies are drawn one width: the spread (std / mean) of the parts' widths stays below this;
# the pieces of a faint line broken by a photo's noise vary far more.
CANDLE_MAX_WIDTH_SPREAD = 0.3


@dataclass(frozen=True)
class Series:
    """The plotted series: x in 0..1 (left to right), y in plot heights (0 = plot bottom)."""

    x: np.ndarray  # [n]
    y: np.ndarray  # [n]
    rows: np.ndarray  # [n] pixel rows on the original image (for reading the axis)
    plot_left: int  # original-image column where the series starts
    # "line" (one connected stroke, no empty column), "candles" (many separate bodies with empty
    # columns between them) or "" when the structure says neither clearly.
    shape: str = ""
    gap_share: float = 0.0  # share of the spanned columns without a series pixel
    parts: int = 0  # connected parts kept as the series


@dataclass(frozen=True)
class TrendReading:
    trend: str  # rising / falling / flat / volatile
    change: float  # fitted start->end change in plot heights
    spread: float  # robust residual spread in plot heights
    change_percent: float | None  # start->end change of the values, when the axis was read


def _hue(rgb: np.ndarray) -> np.ndarray:
    """[..., 3] float RGB -> hue in degrees [...]."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(-1), rgb.min(-1)
    d = np.maximum(mx - mn, 1e-6)
    h = np.where(mx == r, (g - b) / d % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4))
    return h * 60.0


def _long_lines(mask: np.ndarray) -> np.ndarray:
    """[H, W] bool: pixels on rows/columns where the mask runs across most of the plot."""
    h, w = mask.shape
    rows = mask.sum(1) >= LINE_SHARE * w  # [H]
    cols = mask.sum(0) >= LINE_SHARE * h  # [W]
    return rows[:, None] | cols[None, :]


def _span(mask: np.ndarray) -> int:
    """Columns from the left-most to the right-most one the mask touches (0 when empty)."""
    cols = np.flatnonzero(mask.any(0))
    return int(cols[-1] - cols[0] + 1) if cols.size else 0


def find_series(img: Image.Image) -> Series | None:
    """The dominant plotted series of a chart image, or None when none is found."""
    from scipy import ndimage

    rgb_img = img if img.mode == "RGB" else img.convert("RGB")  # no copy of a large upload
    scale = WORK_WIDTH / rgb_img.width if rgb_img.width > WORK_WIDTH else 1.0
    small = rgb_img.resize((max(1, int(rgb_img.width * scale)), max(1, int(rgb_img.height * scale))),
                           Image.Resampling.BILINEAR) if scale < 1.0 else rgb_img
    arr = np.asarray(small, dtype=np.float32)  # [H, W, 3]
    h, w = arr.shape[:2]
    q = (arr // 24).astype(np.int32)
    codes = q[..., 0] * 121 + q[..., 1] * 11 + q[..., 2]  # [H, W] colour bins
    bg_code = int(np.bincount(codes.ravel()).argmax())
    bg = arr[codes == bg_code].mean(0)  # [3]
    # The chart is where the background is: the largest background region (thin grid lines and
    # the series bridged by a closing, then its holes filled). Ink outside it is the desk around a
    # photographed screen or print, or the page edge.
    near = ndimage.binary_closing(np.abs(arr - bg).max(-1) < INK_DISTANCE, structure=np.ones((7, 7)))
    regions, n_regions = ndimage.label(near)
    oy = ox = 0
    chart = np.ones((h, w), dtype=bool)
    if n_regions:
        largest = 1 + int(np.bincount(regions.ravel())[1:].argmax())
        chart = ndimage.binary_fill_holes(regions == largest)
        ys, xs = np.nonzero(chart)
        oy, ox = int(ys.min()), int(xs.min())
        box = (slice(oy, int(ys.max()) + 1), slice(ox, int(xs.max()) + 1))
        arr, chart = arr[box], chart[box]
        h, w = arr.shape[:2]
    ink = (np.abs(arr - bg).max(-1) > INK_DISTANCE) & chart  # [H, W]
    chroma = arr.max(-1) - arr.min(-1)  # [H, W]
    lines = _long_lines(ink)
    # Grid lines of the background's own hue family are removed; a coloured series crossing such a
    # row keeps its pixels only when it is chromatic.
    ink &= ~(lines & (chroma < CHROMA))
    colour = ink & (chroma >= CHROMA)
    # Coloured pixels touching the chart's border are desk remnants (a tilted photo's wedges).
    parts, _ = ndimage.label(colour)
    edge_ids = np.unique(np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1]]))
    colour &= ~np.isin(parts, edge_ids[edge_ids > 0])
    series = np.zeros_like(ink)
    if colour.sum() >= 0.01 * w * 4:
        hue = _hue(arr)
        bins = (hue[colour] // 20).astype(np.int64) % 18  # [k] 20-degree hue bins
        counts = np.bincount(bins, minlength=18)
        hue_bin = (hue // 20).astype(np.int64) % 18  # [H, W]
        top = int(counts.argmax())
        family = {top, (top + 1) % 18, (top - 1) % 18}
        series = colour & np.isin(hue_bin, list(family))
        rest = counts.copy()
        rest[list(family)] = 0
        second = int(rest.argmax())
        pair_bins = [second, (second + 1) % 18, (second - 1) % 18]
        if rest[pair_bins].sum() >= 0.1 * counts[list(family)].sum():  # up/down candles: two hues
            pair = colour & np.isin(hue_bin, pair_bins)
            cols_a, cols_b = series.any(0), pair.any(0)
            if cols_b.sum() >= 0.1 * w and (cols_a & cols_b).sum() < 0.5 * cols_b.sum():
                series |= pair
    coloured = _span(series) >= MIN_COVERAGE * w
    if not coloured:  # no coloured series: the widest neutral ink
        series = ink & (chroma < CHROMA)
    labels, n = ndimage.label(series, structure=np.ones((3, 3)))
    if n == 0:
        return None
    objs = ndimage.find_objects(labels)
    widths = np.array([s[1].stop - s[1].start for s in objs])  # [n]
    sizes = np.bincount(labels.ravel())[1:]  # [n]
    big = int(widths.argmax())
    if widths[big] >= 0.35 * w:  # a line or an area: one connected shape (legends, labels out)
        keep = labels == big + 1
        parts, width_spread = 1, 0.0
    else:  # candles: many small bodies; specks out
        bodies = (sizes >= 4) & (widths < 0.2 * w)  # [n]
        keep = np.isin(labels, 1 + np.flatnonzero(bodies))
        parts = int(bodies.sum())
        body_widths = widths[bodies].astype(np.float64)  # [parts]
        width_spread = float(body_widths.std() / body_widths.mean()) if parts else 1.0
    cols = np.flatnonzero(keep.any(0))  # [m]
    if _span(keep) < MIN_COVERAGE * w or cols.size < 0.5 * MIN_COVERAGE * w:
        return None
    gap_share = 1.0 - cols.size / float(cols[-1] - cols[0] + 1)
    # Only a coloured series tells its shape: neutral ink also holds the axes, tick marks and
    # labels, which join candles into one shape and break lines into many.
    shape = ""
    if coloured and parts == 1 and gap_share <= LINE_MAX_GAP:
        shape = "line"
    elif (coloured and parts >= CANDLE_MIN_PARTS and gap_share >= CANDLE_MIN_GAP
          and width_spread <= CANDLE_MAX_WIDTH_SPREAD):
        shape = "candles"
    top_rows = keep[:, cols].argmax(0).astype(np.float64)  # [m] first series row per column
    # Plot height: between the outer horizontal axis/grid lines, else the image's inner 80 %.
    hline_rows = np.flatnonzero(_long_lines(np.abs(arr - bg).max(-1) > INK_DISTANCE / 2).all(1))
    if hline_rows.size >= 2 and hline_rows[-1] - hline_rows[0] > 0.3 * h:
        y_top, y_bottom = float(hline_rows[0]), float(hline_rows[-1])
    else:
        y_top, y_bottom = 0.1 * h, 0.9 * h
    height = max(1.0, y_bottom - y_top)
    x = (cols - cols[0]) / max(1.0, float(cols[-1] - cols[0]))
    y = (y_bottom - top_rows) / height
    return Series(x, y, (top_rows + oy) / scale, int((cols[0] + ox) / scale), shape,
                  round(gap_share, 4), parts)


def _theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept): the median of pairwise slopes, robust to spikes and legend remnants."""
    idx = np.linspace(0, len(x) - 1, min(len(x), 160)).astype(int)
    xs, ys = x[idx], y[idx]
    dx = xs[None, :] - xs[:, None]  # [k, k]
    dy = ys[None, :] - ys[:, None]
    ok = dx > 1e-9
    slope = float(np.median(dy[ok] / dx[ok])) if ok.any() else 0.0
    return slope, float(np.median(y - slope * x))


def classify_series(s: Series) -> tuple[str, float, float]:
    """(trend, change, spread) of a series in plot heights."""
    slope, intercept = _theil_sen(s.x, s.y)
    resid = s.y - (intercept + slope * s.x)
    spread = float(1.4826 * np.median(np.abs(resid - np.median(resid))))
    change = slope  # x spans 0..1
    band = float(np.percentile(s.y, 95) - np.percentile(s.y, 5))
    if abs(change) >= MIN_CHANGE and abs(change) >= CHANGE_TO_SPREAD * 2 * spread:
        return ("rising" if change > 0 else "falling"), change, spread
    if band <= FLAT_BAND:
        return "flat", change, spread
    return "volatile", change, spread


_NUMBER_RE = re.compile(r"^[-−]?[$€£¥]?\d[\d,.' ]*[%kKmM]?$")


def axis_values(img: Image.Image, series: Series, engine: OcrEngine) -> tuple[float, float] | None:
    """(value per pixel row, value at row 0) from the y tick labels left of the series, by OCR."""
    from finadvisor.services.vision.money import parse_amount

    if series.plot_left < 12:
        return None
    strip = img.crop((0, 0, series.plot_left, img.height)).convert("L")
    # Tick labels are small (10 pt at 80-100 dpi is ~11-14 px); OCR reads them best near 24 px.
    f = 2.0 if img.height < 700 else 1.0
    if f > 1.0:
        strip = strip.resize((int(strip.width * f), int(strip.height * f)), Image.Resampling.BICUBIC)
    words = engine.read(strip)
    pts = []
    for wd in words:
        t = wd.text.replace("−", "-").strip()
        if not _NUMBER_RE.match(t):
            continue
        neg = t.startswith("-")
        v = parse_amount(re.sub(r"[^\d.,' ]", "", t))
        if v is None:
            continue
        pts.append(((wd.y0 + wd.y1) / 2 / f, float(-v if neg else v)))
    if len(pts) < 3:
        return None
    ys, vs = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])  # [k], [k]
    # One misread label ("1100" as "190") must not bend the scale: the line through the pair of
    # labels that most others agree with, refitted on those (at least three, most of them).
    tol = 0.02 * (np.ptp(vs) + 1e-9)
    best: np.ndarray | None = None
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            if abs(ys[j] - ys[i]) < 1e-6:
                continue
            a = (vs[j] - vs[i]) / (ys[j] - ys[i])
            inliers = np.abs(vs - (vs[i] + a * (ys - ys[i]))) <= tol
            if best is None or inliers.sum() > best.sum():
                best = inliers
    if best is None or best.sum() < max(3, 0.6 * len(pts)):
        return None
    a, b = np.polyfit(ys[best], vs[best], 1)
    if a >= 0:
        return None  # values must grow upwards
    return float(a), float(b)


def read_trend(img: Image.Image, engine: OcrEngine | None = None,
               series: Series | None = None) -> TrendReading | None:
    """Trend of the chart's series (None when no series is found); the percent change when an OCR
    engine reads the y axis. ``series``: the one ``find_series`` already found in ``img``."""
    s = series if series is not None else find_series(img)
    if s is None or len(s.x) < 8:
        return None
    trend, change, spread = classify_series(s)
    percent = None
    if engine is not None:
        try:
            scale = axis_values(img, s, engine)
        except Exception:  # noqa: BLE001 - an unreadable axis leaves the percent out
            scale = None
        if scale is not None:
            k = max(1, len(s.rows) // 20)
            start = scale[0] * float(np.median(s.rows[:k])) + scale[1]
            end = scale[0] * float(np.median(s.rows[-k:])) + scale[1]
            if abs(start) > 1e-9:
                percent = round((end - start) / abs(start) * 100.0, 1)
    return TrendReading(trend, round(change, 4), round(spread, 4), percent)
