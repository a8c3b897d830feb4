"""Voice note decoding: every accepted format, and every kind of bad upload refused clearly."""

from __future__ import annotations

import io

import numpy as np
import pytest

from finadvisor.services.voice.acoustic import LogMelExtractor
from finadvisor.services.voice.audio import TARGET_SAMPLE_RATE, decode_audio, sniff_format
from finadvisor.services.voice.synth import to_wav_bytes
from finadvisor.shared.errors import InvalidInputError

SR = 22_050


def _tone(seconds: float = 1.5, sr: int = SR, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr), dtype=np.float32) / sr
    mono = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    return mono if channels == 1 else np.stack([mono, 0.5 * mono], axis=1)


def _webm_opus(samples: np.ndarray, sr: int) -> bytes:
    av = pytest.importorskip("av", reason="PyAV is needed for WebM-Opus")
    import soxr

    y = soxr.resample(samples, sr, 48_000).astype(np.float32)
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="webm") as c:
        stream = c.add_stream("libopus", rate=48_000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(y[None, :], format="flt", layout="mono")
        frame.sample_rate = 48_000
        for p in stream.encode(frame):
            c.mux(p)
        for p in stream.encode(None):
            c.mux(p)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "subtype", "mime", "rate"),
    [
        ("WAV", None, "audio/wav", SR),
        ("FLAC", None, "audio/flac", SR),
        ("OGG", "VORBIS", "audio/ogg", SR),
        ("OGG", "OPUS", "audio/ogg; codecs=opus", 48_000),
    ],
)
def test_decodes_sndfile_formats_to_16k_mono(fmt: str, subtype: str | None, mime: str, rate: int) -> None:
    samples = _tone(1.5, rate, channels=2)
    decoded = decode_audio(to_wav_bytes(samples, rate, fmt, subtype), mime)
    assert decoded.sample_rate == TARGET_SAMPLE_RATE
    assert decoded.samples.ndim == 1 and decoded.samples.dtype == np.float32
    assert decoded.source_channels == 2
    assert decoded.duration_seconds == pytest.approx(1.5, abs=0.05)
    # the tone survives: the strongest frequency is still 220 Hz
    spectrum = np.abs(np.fft.rfft(decoded.samples))
    peak_hz = np.argmax(spectrum) * TARGET_SAMPLE_RATE / decoded.samples.size
    assert peak_hz == pytest.approx(220.0, abs=5.0)


def test_decodes_webm_opus() -> None:
    data = _webm_opus(_tone(1.2), SR)
    assert sniff_format(data) == "webm"
    decoded = decode_audio(data, "audio/webm;codecs=opus")
    assert decoded.source_format == "webm"
    assert decoded.duration_seconds == pytest.approx(1.2, abs=0.1)


def test_truncated_webm_is_invalid() -> None:
    data = _webm_opus(_tone(1.2), SR)
    with pytest.raises(InvalidInputError, match="corrupt|no decodable"):
        decode_audio(data[:200], "audio/webm")


@pytest.mark.parametrize(
    ("data", "mime", "message"),
    [
        (b"", "audio/wav", "empty"),
        (b"hello, not audio at all", "audio/wav", "corrupt or not"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt garbage-garbage-garbage", "audio/wav", "corrupt"),
        (b"fLaC" + bytes(100), "audio/flac", "corrupt"),
        (b"OggS" + bytes(100), "audio/ogg", "corrupt"),
    ],
)
def test_corrupt_or_empty_audio_is_invalid(data: bytes, mime: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        decode_audio(data, mime)


def test_oversized_audio_is_invalid() -> None:
    data = to_wav_bytes(_tone(3.0), SR)
    with pytest.raises(InvalidInputError, match="limit is 10000 bytes"):
        decode_audio(data, "audio/wav", max_bytes=10_000)


def test_too_long_audio_is_invalid() -> None:
    data = to_wav_bytes(np.zeros(8_000 * 5, dtype=np.float32), 8_000)
    with pytest.raises(InvalidInputError, match="limit is 4 s"):
        decode_audio(data, "audio/wav", max_seconds=4.0)


def test_too_short_audio_is_invalid() -> None:
    data = to_wav_bytes(np.zeros(100, dtype=np.float32), 16_000)
    with pytest.raises(InvalidInputError, match="at least"):
        decode_audio(data, "audio/wav")


def test_mime_type_mismatch_is_invalid() -> None:
    data = to_wav_bytes(_tone(), SR)
    with pytest.raises(InvalidInputError, match="says FLAC but the data is WAV"):
        decode_audio(data, "audio/flac")


@pytest.mark.parametrize("mime", ["", "audio/mpeg", "text/plain"])
def test_unsupported_mime_type_is_invalid(mime: str) -> None:
    with pytest.raises(InvalidInputError, match="mime_type"):
        decode_audio(to_wav_bytes(_tone(), SR), mime)


def test_log_mel_shape_follows_duration() -> None:
    extractor = LogMelExtractor(n_mels=40)
    mel = extractor(np.asarray(_tone(2.0, 16_000)))
    assert mel.shape == (200, 40)  # 100 frames per second at hop 160
    assert mel.dtype == np.float32 and np.all(np.isfinite(mel))
    # a 220 Hz tone puts its energy in the low bands, not the top ones
    assert mel[:, :10].mean() > mel[:, -10:].mean()
