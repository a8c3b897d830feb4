"""Synthesised customer speech (espeak-ng) for training the encoder and measuring the recogniser.

No speech data set may be downloaded, so voice notes are made here: corpus sentences in their
spoken form, read by espeak-ng with several voices, speeds and pitches, some with added noise.
Training and held-out variants use disjoint voices, so the held-out figures say how the models
cope with a voice they never heard.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from finadvisor.shared.errors import CapabilityMissingError

ESPEAK = "espeak-ng"
MAX_TEXT_CHARS = 1_000


@dataclass(frozen=True)
class VoiceVariant:
    """One way of reading a sentence: espeak-ng voice (+variant), words/minute, pitch 0-99,
    the signal-to-noise ratio of added white noise (None: clean), and whether the note went
    through a telephone line (8 kHz, 300-3400 Hz, G.711 mu-law) after the noise."""

    voice: str
    speed: int = 160
    pitch: int = 50
    snr_db: float | None = None
    phone: bool = False

    @property
    def tag(self) -> str:
        noise = "clean" if self.snr_db is None else f"snr{self.snr_db:g}"
        return f"{self.voice}_s{self.speed}_p{self.pitch}_{noise}" + ("_phone" if self.phone else "")


# Voices heard in training ...
TRAIN_VARIANTS: tuple[VoiceVariant, ...] = (
    VoiceVariant("en-us", 160, 50),
    VoiceVariant("en-us", 190, 35, 25.0),
    VoiceVariant("en-gb", 150, 60),
    VoiceVariant("en-gb", 175, 45, 20.0),
    VoiceVariant("en-us+m3", 170, 40),
    VoiceVariant("en-us+f3", 155, 65, 30.0),
    VoiceVariant("en-gb+f2", 165, 70),
    VoiceVariant("en-us+m5", 145, 30, 25.0),
    VoiceVariant("en-us+f1", 170, 60, 25.0),
    VoiceVariant("en-gb+m4", 155, 45),
    VoiceVariant("en-gb-scotland", 165, 50, 30.0),
    VoiceVariant("en-029+f3", 150, 75),
    VoiceVariant("en-us+m1", 200, 55),
    VoiceVariant("en-gb+f1", 140, 40, 22.0),
)
# More training voices, heard only by the recogniser's adaptation (adaptation.py): other espeak-ng
# variants of the training accents, none of them a held-out, calibration, recogniser-validation
# or dev-set voice (nor a dev-set variant: no +m8, +f4, +f5, linda, david).
ADAPTATION_EXTRA_VARIANTS: tuple[VoiceVariant, ...] = (
    VoiceVariant("en-us+m4", 165, 45),
    VoiceVariant("en-gb+m3", 155, 50),
    VoiceVariant("en-029+m1", 160, 40),
    VoiceVariant("en-gb-scotland+f2", 150, 65),
    VoiceVariant("en-us+f2", 170, 60),
    VoiceVariant("en-gb+m5", 150, 40),
    VoiceVariant("en-us+Mike", 165, 50),
    VoiceVariant("en-gb+Alicia", 160, 55),
)
# Every English accent espeak-ng ships (`espeak-ng --voices=en`: en-us, en-gb, en-gb-scotland,
# en-029, en-gb-x-gbclan, en-gb-x-rp, en-gb-x-gbcwmd, en-us-nyc) is heard by the recogniser's
# adaptation, each with several speaker variants, speeds and pitches. The rule (checked by
# tests/unit/test_voice_devset.py): no accent+variant combination that an evaluation set reads
# with (held-out, dev set, calibration, recogniser validation) is ever a training voice, and no
# dev-set variant (+m8, +f4, +f5, linda, david) is used with any accent. An accent is heard, a
# speaker of the evaluation sets is not: "en-gb-x-gbcwmd+m2" is another voice than the dev set's
# "en-gb-x-gbcwmd+m8".
ENGLISH_ACCENTS: tuple[str, ...] = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-gbclan",
                                    "en-gb-x-rp", "en-gb-x-gbcwmd", "en-us-nyc")
ACCENT_VARIANTS: tuple[VoiceVariant, ...] = (
    VoiceVariant("en-gb-x-gbcwmd+m2", 160, 50),
    VoiceVariant("en-gb-x-gbcwmd+m5", 145, 38),
    VoiceVariant("en-gb-x-gbcwmd+f2", 170, 62),
    VoiceVariant("en-gb-x-gbcwmd+f3", 150, 58),
    VoiceVariant("en-gb-x-gbcwmd+Alex", 165, 45),
    VoiceVariant("en-029+m3", 150, 45),
    VoiceVariant("en-029+m6", 170, 40),
    VoiceVariant("en-029+f1", 160, 64),
    VoiceVariant("en-029+steph", 150, 58),
    VoiceVariant("en-gb-scotland+m3", 160, 42),
    VoiceVariant("en-gb-scotland+m6", 145, 46),
    VoiceVariant("en-gb-scotland+f1", 165, 64),
    VoiceVariant("en-gb-scotland+Annie", 150, 60),
    VoiceVariant("en-gb-x-gbclan+m1", 155, 48),
    VoiceVariant("en-gb-x-gbclan+m3", 170, 40),
    VoiceVariant("en-gb-x-gbclan+f2", 160, 62),
    VoiceVariant("en-gb-x-gbclan+ed", 165, 45),
    VoiceVariant("en-gb-x-rp+m1", 150, 45),
    VoiceVariant("en-gb-x-rp+m3", 165, 50),
    VoiceVariant("en-gb-x-rp+f1", 160, 62),
    VoiceVariant("en-gb-x-rp+caleb", 150, 40),
    VoiceVariant("en-us-nyc+m1", 160, 45),
    VoiceVariant("en-us-nyc+m4", 150, 50),
    VoiceVariant("en-us-nyc+f1", 170, 60),
    VoiceVariant("en-us-nyc+max", 165, 42),
    VoiceVariant("en+m7", 155, 45),  # British variants are spelt "en+...": espeak-ng reads
    VoiceVariant("en+f3", 165, 62),  # "en-gb+<variant>" as plain en-gb, the variant ignored
    VoiceVariant("en-us+adam", 160, 45),
    VoiceVariant("en-us+steph", 170, 60),
)
#: every voice the recogniser's adaptation reads with
ADAPTATION_VARIANTS: tuple[VoiceVariant, ...] = TRAIN_VARIANTS + ADAPTATION_EXTRA_VARIANTS + ACCENT_VARIANTS
# ... and voices only heard at evaluation (different speakers, speeds, pitches and noise).
HELDOUT_VARIANTS: tuple[VoiceVariant, ...] = (
    VoiceVariant("en-us+f4", 150, 55),
    VoiceVariant("en-us+m7", 180, 45, 22.0),
    VoiceVariant("en-gb-x-rp+f5", 160, 60, 28.0),
    VoiceVariant("en-us+m2", 140, 40),
)
# Voices of the people's-words dev set (devset.py): none of them is a training, held-out or
# recogniser-validation voice (asr.py), and half the readings come through a phone line.
DEVSET_VARIANTS: tuple[VoiceVariant, ...] = (
    VoiceVariant("en-gb-x-gbcwmd+m8", 140, 42, None, True),
    VoiceVariant("en-us+f5", 175, 62, 18.0),
    VoiceVariant("en-gb-scotland+f4", 150, 68, 25.0, True),
    VoiceVariant("en-us+linda", 165, 55, 20.0),
    VoiceVariant("en-029+m8", 155, 45, None, True),
    VoiceVariant("en-us+david", 185, 35, 15.0),
)
# Voices that confidence calibration (confidence.py) reads corpus validation sentences with:
# the recogniser-validation voices of asr.py, never the dev set's, held-out or training voices.
CALIBRATION_VARIANTS: tuple[VoiceVariant, ...] = (
    VoiceVariant("en-us+m6", 170, 48, 20.0),
    VoiceVariant("en-us-nyc", 150, 52, None, True),
    VoiceVariant("en-gb+m6", 160, 40, 16.0, True),
    VoiceVariant("en-us+female2", 180, 60),
    VoiceVariant("en-gb-x-gbclan", 145, 50, 22.0),
)


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def synthesize(
    text: str, variant: VoiceVariant = TRAIN_VARIANTS[0], seed: int = 0
) -> tuple[np.ndarray, int]:
    """Speak ``text``; returns (samples (n,) float32 in [-1, 1], sample rate).

    The text goes through stdin, never the command line, so it cannot be read as an option.
    """
    if not espeak_available():
        raise CapabilityMissingError("espeak-ng is not installed (apt-get install espeak-ng)")
    text = text[:MAX_TEXT_CHARS]
    proc = subprocess.run(
        [ESPEAK, "--stdout", "-v", variant.voice, "-s", str(variant.speed), "-p", str(variant.pitch)],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=30,
        check=True,
    )
    samples, sr = sf.read(io.BytesIO(proc.stdout), dtype="float32", always_2d=False)
    channel = Channel("white" if variant.snr_db is not None else None,
                      variant.snr_db if variant.snr_db is not None else 0.0, variant.phone)
    return through_channel(samples, int(sr), channel, seed=seed), int(sr)


def phone_band(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """What a phone line leaves of a recording: 8 kHz, 300-3400 Hz band, 8-bit mu-law
    (G.711), then back at ``sample_rate``. samples: (n,) float32 -> (m,) float32.

    Customers record voice notes on phones and banks receive some through telephony; a
    recogniser measured only on full-band audio would look better than it is.
    """
    return phone_line(samples, sample_rate)


def phone_line(samples: np.ndarray, sample_rate: int, low_hz: float = 300.0, high_hz: float = 3400.0,
               law: str = "mu", gain_db: float = 0.0) -> np.ndarray:
    """A phone line with its own band edges (``low_hz``-``high_hz`` at 8 kHz), G.711 8-bit
    companding (``law`` "mu" or "a") and level into the coder (``gain_db``: a quiet line
    quantises coarsely, a hot one clips); ``phone_band`` is the standard line.
    samples: (n,) float32 -> (m,) float32 at ``sample_rate``."""
    import soxr
    from scipy.signal import butter, sosfilt

    narrow = soxr.resample(samples, sample_rate, 8_000).astype(np.float64)  # (n * 8000 / sr,)
    if gain_db:
        narrow = narrow * 10.0 ** (gain_db / 20.0)
    sos = butter(4, [low_hz, high_hz], btype="bandpass", fs=8_000, output="sos")
    narrow = np.clip(sosfilt(sos, narrow), -1.0, 1.0)
    if law == "a":
        a = 87.6
        mag = np.abs(narrow)
        small = mag < 1.0 / a
        coded = np.sign(narrow) * np.where(small, a * mag, 1.0 + np.log(np.maximum(a * mag, 1.0))) / (1.0 + np.log(a))
        coded = np.round(coded * 127.0) / 127.0  # 8-bit code words
        cm = np.abs(coded) * (1.0 + np.log(a))
        narrow = np.sign(coded) * np.where(cm < 1.0, cm / a, np.exp(cm - 1.0) / a)
    else:
        mu = 255.0
        coded = np.sign(narrow) * np.log1p(mu * np.abs(narrow)) / np.log1p(mu)  # in [-1, 1]
        coded = np.round(coded * 127.0) / 127.0  # 8-bit code words
        narrow = np.sign(coded) * np.expm1(np.abs(coded) * np.log1p(mu)) / mu
    out: np.ndarray = soxr.resample(narrow.astype(np.float32), 8_000, sample_rate).astype(np.float32)
    return out


def coloured_noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    """(n,) float32 noise of unit power: "white", "pink" (1/f power) or "brown" (1/f^2)."""
    white = rng.normal(0.0, 1.0, n)
    if colour != "white" and n > 1:
        spec = np.fft.rfft(white)
        f = np.arange(spec.size, dtype=np.float64)
        f[0] = 1.0
        spec = spec / (np.sqrt(f) if colour == "pink" else f)
        white = np.fft.irfft(spec, n)
    out: np.ndarray = (white / (np.sqrt(np.mean(white**2)) + 1e-12)).astype(np.float32)
    return out


@dataclass(frozen=True)
class Channel:
    """How a reading reaches the recogniser: added noise of a colour at an SNR (``noise`` None:
    none), then optionally a phone line with its band edges, companding law and level
    (``phone_line``). ``synthesize`` reads every ``VoiceVariant`` through one (white noise,
    the standard line); the recogniser validation set's ``line`` condition through others."""

    noise: str | None = None
    snr_db: float = 20.0
    phone: bool = False
    low_hz: float = 300.0
    high_hz: float = 3400.0
    law: str = "mu"
    gain_db: float = 0.0


def through_channel(samples: np.ndarray, sample_rate: int, channel: Channel, seed: int = 0) -> np.ndarray:
    """``samples`` (n,) float32 as heard through ``channel`` -> (m,) float32 at ``sample_rate``.
    White noise is drawn at the SNR's level directly (as every corpus reading was made), pink
    and brown are shaped (``coloured_noise``) and scaled to it."""
    if channel.noise is not None and samples.size:
        rng = np.random.default_rng(seed)
        power = float(np.mean(samples**2)) + 1e-12
        scale = np.sqrt(power / 10.0 ** (channel.snr_db / 10.0))
        noise = (rng.normal(0.0, scale, samples.shape).astype(np.float32) if channel.noise == "white"
                 else coloured_noise(samples.size, channel.noise, rng) * scale)
        samples = np.clip(samples + noise, -1.0, 1.0).astype(np.float32)
    if channel.phone and samples.size:
        samples = phone_line(samples, sample_rate, channel.low_hz, channel.high_hz, channel.law, channel.gain_db)
    return samples


def to_wav_bytes(samples: np.ndarray, sample_rate: int, fmt: str = "WAV", subtype: str | None = None) -> bytes:
    """Encode samples as a file in memory (WAV, FLAC or OGG) — what a client would upload."""
    buf = io.BytesIO()
    sf.write(buf, samples, sample_rate, format=fmt, subtype=subtype)
    return buf.getvalue()
