"""The renderer: deterministic, correctly labelled, and with disjoint training / held-out styles."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import numpy as np
import pytest

from finadvisor.services.vision.labels import IMAGE_TYPES, TREND_TYPES, TRENDS
from finadvisor.services.vision.ocr import parse_amount
from finadvisor.services.vision.render import (
    CURRENCIES,
    MoneyFormat,
    canonical_amount,
    font_pools,
    render_sample,
    sample_seed,
)
from finadvisor.services.vision.render_charts import trend_series


def _pixels(seed: int, image_type: str, split: str = "train") -> np.ndarray:
    return np.asarray(render_sample(image_type, seed, split).image)


@pytest.mark.parametrize("image_type", ["payslip", "line_chart", "other"])
def test_same_seed_same_pixels_and_labels(image_type: str) -> None:
    a = render_sample(image_type, 123, "train")
    b = render_sample(image_type, 123, "train")
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert (a.image_type, a.chart_trend, a.fields) == (b.image_type, b.chart_trend, b.fields)
    other = _pixels(124, image_type)
    assert other.shape != np.asarray(a.image).shape or not np.array_equal(np.asarray(a.image), other)


@pytest.mark.parametrize("image_type", IMAGE_TYPES)
def test_each_type_is_labelled(image_type: str) -> None:
    s = render_sample(image_type, 7, "heldout")
    assert s.image_type == image_type
    assert s.image.mode == "RGB" and min(s.image.size) >= 200
    if image_type in TREND_TYPES:
        assert s.chart_trend in TRENDS
    else:
        assert s.chart_trend is None


def test_payslip_fields_are_canonical() -> None:
    for seed in range(12):
        f = render_sample("payslip", seed, "train", degrade=0).fields
        assert re.fullmatch(r"\d+(\.\d{2})?", f["net_pay"]), f
        assert f["currency"] in CURRENCIES
        assert f["period"] in {"monthly", "biweekly", "weekly"}
        assert f["employer"]
    f = render_sample("bank_statement", 3, "train", degrade=0).fields
    assert re.fullmatch(r"\d+(\.\d{2})?", f["account_balance"])


def test_training_and_heldout_fonts_are_disjoint() -> None:
    pools = font_pools()
    assert pools["train"] and pools["heldout"]
    assert not set(pools["train"]) & set(pools["heldout"])


def test_split_seeds_do_not_collide() -> None:
    train = {sample_seed(0, "train", i) for i in range(2000)}
    held = {sample_seed(0, "heldout", i) for i in range(2000)}
    assert len(train) == 2000 and not train & held


@pytest.mark.parametrize("trend", TRENDS)
def test_trend_series_matches_its_label(trend: str) -> None:
    rng = np.random.default_rng(5)
    for n in (18, 40, 120):
        for _ in range(10):
            y = trend_series(rng, trend, n)  # [n] in plot units
            t = np.linspace(0.0, 1.0, n)
            slope, icept = np.polyfit(t, y, 1)
            resid = float((y - (slope * t + icept)).std())  # wiggle around the straight fit
            spread = float(y.max() - y.min())
            if trend == "rising":
                assert slope > 0.25 and resid < 0.08
            elif trend == "falling":
                assert slope < -0.25 and resid < 0.08
            elif trend == "flat":
                assert abs(slope) < 0.08 and spread < 0.15
            else:
                assert resid > 0.1 and spread > 0.5


def test_money_formats_parse_back() -> None:
    rng = random.Random(0)
    for _ in range(200):
        value = Decimal(rng.randint(0, 250000)) / 100
        fmt = MoneyFormat.draw(rng.choice(CURRENCIES), rng)
        written = fmt(value)
        number = re.sub(r"[^\d., ]", "", written).strip()
        assert parse_amount(number) == value, (written, number)


def test_canonical_amount() -> None:
    assert canonical_amount(Decimal("3850.00")) == "3850"
    assert canonical_amount(Decimal("3850.5")) == "3850.50"
    assert canonical_amount(Decimal("1234.567")) == "1234.57"
