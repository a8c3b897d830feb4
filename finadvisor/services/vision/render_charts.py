"""Charts of the training renderer (line, candlestick, bar, pie) and "other" pictures.

Charts are drawn in pixel space, which keeps the trend label exact: the series is placed on the
canvas, so "flat" is flat as seen on the chart.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw

from finadvisor.services.vision.labels import TRENDS
from finadvisor.services.vision.render_base import (
    MONTHS,
    RGB,
    RenderedSample,
    _ink,
    _lighten,
    _Style,
    _text,
)


# ----------------------------------------------------------------------------------------- charts
def trend_series(rng: np.random.Generator, trend: str, n: int) -> np.ndarray:
    """A series in plot units (0 bottom .. 1 top of the plot area) that shows ``trend``.

    The class definitions are visual and disjoint: rising/falling move at least ~0.35 of the plot
    height from start to end with moderate noise; flat stays in a band of at most ~0.12; volatile
    swings over at least ~0.45 yet ends near where it started.
    """
    t = np.linspace(0.0, 1.0, n)  # [n]
    if trend in ("rising", "falling"):
        start = rng.uniform(0.08, 0.35)
        end = rng.uniform(0.65, 0.92)
        curve = rng.uniform(0.6, 1.6)
        base = start + (end - start) * t**curve
        noise = rng.normal(0, rng.uniform(0.01, 0.045), n)
        y = base + noise
        if trend == "falling":
            y = 1.0 - y
    elif trend == "flat":
        level = rng.uniform(0.3, 0.7)
        y = level + rng.normal(0, rng.uniform(0.004, 0.02), n) + rng.uniform(-0.03, 0.03) * t
    elif trend == "volatile":
        level = rng.uniform(0.4, 0.6)
        amp = rng.uniform(0.22, 0.36)
        freq = rng.uniform(2.5, 6.0)
        y = level + amp * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6.28))
        y += rng.normal(0, amp * 0.45, n)
        y += (level - y[-1]) * t**4 * 0.5  # drift the end back near the start level
    else:
        raise ValueError(f"unknown trend {trend!r}")
    return np.clip(y, 0.03, 0.97)


def _chart_canvas(rng: random.Random, st: _Style) -> tuple[Image.Image, ImageDraw.ImageDraw, tuple[int, int, int, int], RGB]:
    w = rng.randint(600, 760)
    h = int(w * rng.uniform(0.58, 0.78))
    if st.heldout:
        bg = rng.choice([(255, 255, 255), (246, 248, 252), (252, 250, 242), (240, 244, 240)])
    else:
        bg = rng.choice([(255, 255, 255), (250, 250, 250), (244, 246, 250)])
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    left = rng.randint(60, 90)
    box = (left, rng.randint(50, 70), w - rng.randint(20, 40), h - rng.randint(45, 65))
    return img, d, box, bg


def _axes(rng: random.Random, st: _Style, d: ImageDraw.ImageDraw, box: tuple[int, int, int, int],
          vmin: float, vmax: float, title: str, n_x: int) -> None:
    x0, y0, x1, y1 = box
    ink = _ink(rng)
    grid = (215, 215, 215)
    n_ticks = rng.randint(4, 6)
    dotted = st.heldout and rng.random() < 0.6
    show_grid = rng.random() < 0.7
    for i in range(n_ticks + 1):
        yy = y1 - (y1 - y0) * i / n_ticks
        if show_grid:
            if dotted:
                for xx in range(x0, x1, 8):
                    d.point((xx, yy), fill=(180, 180, 180))
            else:
                d.line([x0, yy, x1, yy], fill=grid, width=1)
        val = vmin + (vmax - vmin) * i / n_ticks
        _text(d, (x0 - 8, yy), f"{val:,.0f}", st.font, 14, ink, anchor="rm")
    d.line([x0, y0, x0, y1], fill=ink, width=2)
    d.line([x0, y1, x1, y1], fill=ink, width=2)
    for i in range(0, 5):
        tick_x = x0 + (x1 - x0) * i / 4
        _text(d, (tick_x, y1 + 8), rng.choice(MONTHS)[:3] if n_x > 12 else f"Q{i + 1}", st.font, 14, ink, "ma")
    _text(d, ((x0 + x1) / 2, y0 - 14), title, st.bold_font, 20, ink, anchor="md")


def _value_range(rng: random.Random) -> tuple[float, float]:
    lo = rng.choice((0, 50, 100, 1000, 2000, 10000))
    span = rng.choice((50, 100, 500, 1000, 5000, 20000))
    return float(lo), float(lo + span)


def _line_chart(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    trend = rng.choice(TRENDS)
    img, d, box, _ = _chart_canvas(rng, st)
    x0, y0, x1, y1 = box
    vmin, vmax = _value_range(rng)
    title = rng.choice(("Portfolio value", "Share price", "Savings balance", "Fund NAV", "Index level"))
    n = rng.randint(24, 120)
    _axes(rng, st, d, box, vmin, vmax, title, n)
    ys = trend_series(nrng, trend, n)
    pts = [(x0 + (x1 - x0) * i / (n - 1), y1 - (y1 - y0) * float(v)) for i, v in enumerate(ys)]
    colour = rng.choice(st.palette)
    width = rng.randint(2, 4)
    if not st.heldout and rng.random() < 0.3:  # filled area under the line (training style)
        d.polygon(pts + [(x1, y1), (x0, y1)], fill=_lighten(colour, 0.75))
    d.line(pts, fill=colour, width=width, joint="curve")
    if st.heldout and rng.random() < 0.6:  # markers (held-out style)
        r = width + 1
        for px, py in pts[:: max(1, n // 20)]:
            d.ellipse([px - r, py - r, px + r, py + r], outline=colour, width=2)
    return RenderedSample(img, "line_chart", trend, {})


def _candlestick(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    trend = rng.choice(TRENDS)
    img, d, box, bg = _chart_canvas(rng, st)
    x0, y0, x1, y1 = box
    vmin, vmax = _value_range(rng)
    n = rng.randint(18, 48)
    _axes(rng, st, d, box, vmin, vmax, rng.choice(("Daily price", "OHLC", "Stock price", "FX rate")), n)
    close = trend_series(nrng, trend, n + 1)  # [n+1]: opens are the previous closes
    up_c, down_c = ((38, 166, 91), (214, 54, 56)) if not st.heldout else ((0, 128, 160), (230, 120, 0))
    if rng.random() < 0.25:
        up_c, down_c = (60, 60, 60), (20, 20, 20)
    step = (x1 - x0) / n
    bw = max(2.0, step * rng.uniform(0.45, 0.75))
    for i in range(n):
        o, c = float(close[i]), float(close[i + 1])
        hi = max(o, c) + abs(nrng.normal(0, 0.02))
        lo = min(o, c) - abs(nrng.normal(0, 0.02))
        cx = x0 + step * (i + 0.5)
        col = up_c if c >= o else down_c
        def to_y(v: float) -> float:
            return y1 - (y1 - y0) * min(max(v, 0.0), 1.0)

        d.line([cx, to_y(hi), cx, to_y(lo)], fill=col, width=1)
        top, bot = to_y(max(o, c)), to_y(min(o, c))
        hollow = st.heldout and c >= o
        d.rectangle([cx - bw / 2, top, cx + bw / 2, max(bot, top + 1)], fill=bg if hollow else col,
                    outline=col)
    return RenderedSample(img, "candlestick_chart", trend, {})


def _bar_chart(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    img, d, box, _ = _chart_canvas(rng, st)
    x0, y0, x1, y1 = box
    cats = rng.sample(["Stocks", "Bonds", "Cash", "Property", "Gold", "Crypto", "Funds", "Pension"],
                      rng.randint(3, 7))
    vals = nrng.dirichlet(np.ones(len(cats))) * 100  # [k] percent
    ink = _ink(rng)
    horizontal = rng.random() < 0.35
    vmax = float(np.ceil(vals.max() / 10) * 10)
    d.line([x0, y0, x0, y1], fill=ink, width=2)
    d.line([x0, y1, x1, y1], fill=ink, width=2)
    _text(d, ((x0 + x1) / 2, y0 - 14), rng.choice(("Asset allocation", "Portfolio mix", "Spending by category")),
          st.bold_font, 20, ink, anchor="md")
    k = len(cats)
    single = rng.random() < 0.4
    for i, (cat, v) in enumerate(zip(cats, vals)):
        col = st.palette[0] if single else st.palette[i % len(st.palette)]
        if horizontal:
            slot = (y1 - y0) / k
            top = y0 + slot * i + slot * 0.15
            right = x0 + (x1 - x0) * float(v) / vmax
            d.rectangle([x0 + 1, top, max(right, x0 + 3), top + slot * 0.7], fill=col)
            _text(d, (x0 - 6, top + slot * 0.35), cat, st.font, 13, ink, anchor="rm")
        else:
            slot = (x1 - x0) / k
            left = x0 + slot * i + slot * 0.15
            top = y1 - (y1 - y0) * float(v) / vmax
            d.rectangle([left, min(top, y1 - 3), left + slot * 0.7, y1 - 1], fill=col)
            _text(d, (left + slot * 0.35, y1 + 8), cat, st.font, 13, ink, anchor="ma")
            _text(d, (left + slot * 0.35, top - 4), f"{v:.0f}%", st.font, 13, ink, anchor="md")
    return RenderedSample(img, "bar_chart", None, {})


def _pie_chart(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    img, d, box, bg = _chart_canvas(rng, st)
    x0, y0, x1, y1 = box
    ink = _ink(rng)
    cats = rng.sample(["Stocks", "Bonds", "Cash", "Property", "Gold", "Funds", "Savings"], rng.randint(3, 6))
    vals = nrng.dirichlet(np.ones(len(cats)) * 1.5)  # [k] shares summing to 1
    r = min(x1 - x0, y1 - y0) * rng.uniform(0.38, 0.48)
    cx = x0 + (x1 - x0) * rng.uniform(0.3, 0.45)
    cy = (y0 + y1) / 2 + 10
    start = rng.uniform(0, 360)
    for i, v in enumerate(vals):
        ext = float(v) * 360
        d.pieslice([cx - r, cy - r, cx + r, cy + r], start, start + ext, fill=st.palette[i % len(st.palette)],
                   outline=bg, width=2)
        start += ext
    if rng.random() < 0.35:  # donut
        ri = r * rng.uniform(0.4, 0.6)
        d.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], fill=bg)
    lx = cx + r + 40
    for i, (cat, v) in enumerate(zip(cats, vals)):
        ly = y0 + 20 + i * 30
        d.rectangle([lx, ly, lx + 18, ly + 18], fill=st.palette[i % len(st.palette)])
        _text(d, (lx + 26, ly + 9), f"{cat} {v * 100:.0f}%", st.font, 15, ink, anchor="lm")
    _text(d, ((x0 + x1) / 2, y0 - 14), rng.choice(("Allocation", "Portfolio breakdown", "Holdings")),
          st.bold_font, 20, ink, anchor="md")
    return RenderedSample(img, "pie_chart", None, {})


def _other(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    """Pictures that are none of the above: scenes of shapes, gradients, textures."""
    w, h = rng.randint(500, 800), rng.randint(400, 800)
    kind = rng.choice(("shapes", "gradient", "texture", "scene"))
    if kind == "texture":
        arr = nrng.normal(128, rng.uniform(20, 60), (h // 8, w // 8, 3)).clip(0, 255).astype(np.uint8)
        img = Image.fromarray(arr).resize((w, h), Image.Resampling.BICUBIC)
        return RenderedSample(img, "other", None, {})
    c1 = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    c2 = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]  # [h,1,1]
    arr = (c1 * (1 - t) + c2 * t) * np.ones((1, w, 1), dtype=np.float32)  # [h,w,3]
    img = Image.fromarray(arr.astype(np.uint8))
    d = ImageDraw.Draw(img)
    if kind in ("shapes", "scene"):
        for _ in range(rng.randint(3, 14)):
            col = tuple(rng.randint(0, 255) for _ in range(3))
            a, b = rng.randint(0, w), rng.randint(0, h)
            s = rng.randint(20, 200)
            shape = rng.choice(("ellipse", "rect", "poly"))
            if shape == "ellipse":
                d.ellipse([a, b, a + s, b + s * rng.uniform(0.5, 1.5)], fill=col)
            elif shape == "rect":
                d.rectangle([a, b, a + s, b + s * rng.uniform(0.3, 1.5)], fill=col)
            else:
                d.polygon([(a + rng.randint(-s, s), b + rng.randint(-s, s)) for _ in range(rng.randint(3, 6))], fill=col)
    if kind == "scene":  # a horizon and a "sun"
        hy = rng.randint(h // 3, 2 * h // 3)
        d.rectangle([0, hy, w, h], fill=tuple(rng.randint(30, 160) for _ in range(3)))
    return RenderedSample(img, "other", None, {})


_RENDERERS = {
    "line_chart": _line_chart,
    "candlestick_chart": _candlestick,
    "bar_chart": _bar_chart,
    "pie_chart": _pie_chart,
    "other": _other,
}

