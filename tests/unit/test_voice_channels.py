"""The channels of the recogniser validation set's ``line`` condition (noise colours, other phone
lines) and the voices of its harder conditions."""

from __future__ import annotations

import numpy as np
import pytest

from finadvisor.services.voice.synth import (
    ADAPTATION_VARIANTS,
    CALIBRATION_VARIANTS,
    DEVSET_VARIANTS,
    HELDOUT_VARIANTS,
    TRAIN_VARIANTS,
    Channel,
    coloured_noise,
    phone_band,
    phone_line,
    through_channel,
)
from finadvisor.services.voice.validation import VALIDATION_EXTRA_VOICES, VALIDATION_VOICES


def _tone(freq: float, sr: int = 16_000, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_the_standard_line_is_the_dev_sets_phone_band() -> None:
    x = _tone(1000.0) + _tone(200.0) * 0.3
    assert np.array_equal(phone_line(x, 16_000), phone_band(x, 16_000))


@pytest.mark.parametrize("law", ["mu", "a"])
def test_phone_lines_keep_the_voice_band_and_follow_their_level(law: str) -> None:
    mid = _tone(1000.0)
    out = phone_line(mid, 16_000, 250.0, 3200.0, law, 0.0)
    core = slice(2000, 6000)
    level = np.sqrt(np.mean(out[core] ** 2) / np.mean(mid[core] ** 2))
    assert 0.9 < level < 1.1  # in the band: the level comes through
    spec = np.abs(np.fft.rfft(out[core])) ** 2  # 4 Hz bins
    assert spec[245:256].sum() / spec.sum() > 0.95  # 8-bit companding: still the tone
    quiet = phone_line(mid, 16_000, 250.0, 3200.0, law, -12.0)
    ratio = np.sqrt(np.mean(quiet[core] ** 2) / np.mean(out[core] ** 2))
    assert 0.2 < ratio < 0.3  # -12 dB is x0.25
    assert np.sqrt(np.mean(phone_line(_tone(3800.0), 16_000, 250.0, 3000.0, law)[core] ** 2)) < 0.1


def test_coloured_noise_has_unit_power_and_its_tilt() -> None:
    rng = np.random.default_rng(0)
    for colour in ("white", "pink", "brown"):
        n = coloured_noise(16_000, colour, rng)
        assert n.shape == (16_000,) and abs(float(np.mean(n**2)) - 1.0) < 1e-3
    spec = {c: np.abs(np.fft.rfft(coloured_noise(16_000, c, np.random.default_rng(1)))) ** 2
            for c in ("white", "pink", "brown")}
    low_share = {c: s[:800].sum() / s.sum() for c, s in spec.items()}  # below 800 Hz
    assert low_share["white"] < low_share["pink"] < low_share["brown"]


def test_through_channel_is_seeded_and_reaches_the_snr() -> None:
    x = _tone(500.0)
    ch = Channel("pink", 10.0)
    a, b = through_channel(x, 16_000, ch, seed=3), through_channel(x, 16_000, ch, seed=3)
    assert np.array_equal(a, b)
    snr = 10 * np.log10(np.mean(x**2) / np.mean((a - x) ** 2))
    assert abs(snr - 10.0) < 0.5
    assert np.array_equal(through_channel(x, 16_000, Channel()), x)


def test_no_new_voice_is_an_evaluation_voice() -> None:
    """The validation's extra voices only measure: no training voice has their variant names,
    and they are not dev-set speakers (same rule as test_voice_devset's)."""
    evaluation = {v.voice for v in HELDOUT_VARIANTS + DEVSET_VARIANTS + CALIBRATION_VARIANTS}
    evaluation |= set(VALIDATION_VOICES) | set(VALIDATION_EXTRA_VOICES)
    training = {v.voice for v in TRAIN_VARIANTS + ADAPTATION_VARIANTS}
    assert not training & evaluation
    extra_names = {v.split("+")[1] for v in VALIDATION_EXTRA_VOICES}
    assert not {t.split("+")[1] for t in training if "+" in t} & extra_names
    dev_names = {v.voice.split("+")[1] for v in DEVSET_VARIANTS if "+" in v.voice}
    assert not extra_names & dev_names
