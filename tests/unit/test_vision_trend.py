"""Trend from the plotted series: matplotlib charts (light, dark, area, candles, photographed), the
robust decision on series, and the start/end change read off the y axis by both OCR engines."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from finadvisor.services.vision.external_set import phone_photo
from finadvisor.services.vision.ocr_engines import get_engine, ocr_status
from finadvisor.services.vision.trend import Series, classify_series, find_series, read_trend

plt = pytest.importorskip("matplotlib.pyplot")


def _chart(y: np.ndarray, style: str = "default", kind: str = "line", ylim: tuple | None = None) -> Image.Image:
    plt.rcdefaults()
    plt.style.use(style)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
    x = np.arange(len(y))
    if kind == "candles":
        o, c = y[:-1], y[1:]
        colours = ["#26a69a" if b >= a else "#ef5350" for a, b in zip(o, c)]
        ax.bar(x[:-1], np.abs(c - o) + 0.2, bottom=np.minimum(o, c), color=colours, width=0.6)
    else:
        ax.plot(x, y, lw=2)
        if kind == "area":
            ax.fill_between(x, y, y.min() * 0.9, alpha=0.4)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=fig.get_facecolor())
    plt.close(fig)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


RNG = np.random.default_rng(7)
T = np.linspace(0, 1, 80)
RISING = 100 + 60 * T + RNG.normal(0, 1.5, 80)
VOLATILE = 100 + 25 * np.sin(2 * np.pi * 4 * T) + RNG.normal(0, 6, 80)
FLAT = 100 + RNG.normal(0, 0.8, 80)


@pytest.mark.parametrize(("y", "style", "kind", "ylim", "trend"), [
    (RISING, "default", "line", None, "rising"),
    (RISING[::-1].copy(), "dark_background", "line", None, "falling"),
    (RISING, "ggplot", "area", None, "rising"),
    (VOLATILE, "seaborn-v0_8-darkgrid", "line", None, "volatile"),
    (FLAT, "bmh", "line", (0, 140), "flat"),
    (RISING[::-1].copy(), "default", "candles", None, "falling"),
])
def test_trend_of_matplotlib_charts(y, style, kind, ylim, trend) -> None:
    reading = read_trend(_chart(y, style, kind, ylim))
    assert reading is not None and reading.trend == trend


def test_a_photographed_chart_on_a_coloured_desk() -> None:
    img = phone_photo(_chart(RISING[::-1].copy(), "classic"), random.Random(3), np.random.default_rng(3))
    reading = read_trend(img)
    assert reading is not None and reading.trend == "falling"


def test_no_series_on_a_blank_or_textured_picture() -> None:
    assert find_series(Image.new("RGB", (400, 300), "white")) is None


def test_robust_slope_ignores_spikes() -> None:
    x = np.linspace(0, 1, 100)
    y = 0.2 + 0.5 * x
    y[::17] = 0.95  # legend remnants / annotation arrows
    trend, change, spread = classify_series(Series(x, y, np.zeros(100), 50))
    assert trend == "rising" and change == pytest.approx(0.5, abs=0.05)
    assert classify_series(Series(x, 0.5 + 0.01 * np.sin(9 * x), np.zeros(100), 50))[0] == "flat"


ENGINES = [pytest.param("tesseract", marks=pytest.mark.skipif(
    not ocr_status("tesseract")[0], reason=ocr_status("tesseract")[1])), "rapidocr"]


@pytest.mark.parametrize("engine", ENGINES)
def test_change_percent_from_the_y_axis(engine: str) -> None:
    y = np.linspace(1000, 1500, 60)  # +50 %
    reading = read_trend(_chart(y), get_engine(engine))
    assert reading is not None and reading.trend == "rising"
    assert reading.change_percent == pytest.approx(50.0, abs=4.0)


def _drawn_chart(kind: str) -> Image.Image:
    """A coloured series on white: one connected line, or 24 candles of one width with gaps."""
    img = Image.new("RGB", (640, 400), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.line([(60, 360), (620, 360)], fill=(0, 0, 0), width=2)  # x axis
    rng = np.random.default_rng(3)
    ys = 200 + np.cumsum(rng.normal(0, 12, 24))
    xs = np.linspace(80, 600, 24)
    if kind == "line":
        d.line(list(zip(xs.tolist(), ys.tolist())), fill=(30, 120, 220), width=3)
    else:
        for x, y in zip(xs, ys):
            colour = (220, 40, 40) if rng.random() < 0.5 else (40, 170, 60)
            d.line([(x, y - 25), (x, y + 25)], fill=colour, width=1)  # wick
            d.rectangle([x - 5, y - 12, x + 5, y + 12], fill=colour)  # body
    return img


def test_series_shape_tells_a_line_from_candles() -> None:
    line, candles = find_series(_drawn_chart("line")), find_series(_drawn_chart("candles"))
    assert line is not None and line.shape == "line" and line.gap_share <= 0.04
    assert candles is not None and candles.shape == "candles" and candles.parts >= 20


def _biased_model(folder: Path, image_type: str) -> Path:
    """A small encoder whose type head always answers ``image_type`` (zero weights, one bias)."""
    import torch

    from finadvisor.services.vision.labels import IMAGE_TYPES
    from finadvisor.services.vision.model import VisionConfig, VisionEncoder

    torch.manual_seed(0)
    model = VisionEncoder(VisionConfig(image_size=32, channels=(4, 8, 8), hidden_dim=16,
                                       embedding_dim=8, pool_grid=2))
    with torch.no_grad():
        model.type_head.weight.zero_()
        model.type_head.bias.fill_(-5.0)
        model.type_head.bias[IMAGE_TYPES.index(image_type)] = 5.0
    model.save_pretrained(folder / "vision")
    return folder / "vision"


@pytest.mark.parametrize(("shape", "cnn_says", "expected"),
                         [("line", "candlestick_chart", "line_chart"),
                          ("candles", "line_chart", "candlestick_chart")])
def test_the_engine_types_a_chart_by_its_series_shape(tmp_path: Path, shape: str, cnn_says: str,
                                                      expected: str) -> None:
    """The CNN's line-vs-candlestick call is overruled by the plotted series' structure."""
    from finadvisor.services.vision.engine import VisionEngine

    engine = VisionEngine(ocr_enabled=False).load(_biased_model(tmp_path, cnn_says))
    buf = io.BytesIO()
    _drawn_chart(shape).save(buf, format="PNG")
    (a,) = engine.analyze_batch([(buf.getvalue(), "image/png")])
    assert max(a.type_probabilities, key=a.type_probabilities.get) == cnn_says  # the CNN's view
    assert a.image_type == expected and a.chart_trend != ""
