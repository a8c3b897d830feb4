"""Decode an uploaded voice note into 16 kHz mono samples, refusing anything unsafe or unusable.

A voice note comes from a banking backend as bytes plus a declared MIME type. Before any decoder
touches the bytes we bound their size, sniff the container's magic bytes and check them against
the declared type (a mismatch usually means a client bug, and refusing it keeps a decoder from
parsing something it was not meant to). Duration is bounded from the header where the format
has one, and while decoding where it does not (WebM), so a small file cannot expand into hours
of audio. Every refusal is an InvalidInputError whose message is safe to show the client.

Decoders: libsndfile (soundfile) for WAV/FLAC/OGG (Vorbis and Opus), FFmpeg through PyAV for
WebM-Opus (what browsers record). Resampling: soxr, a maintained high-quality resampler.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from finadvisor.ontology import AUDIO_MIME, canonical_mime, sniff_mime
from finadvisor.shared.errors import InvalidInputError

TARGET_SAMPLE_RATE = 16_000
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_SECONDS = 60.0
MIN_SECONDS = 0.1

# Declared MIME type (parameters such as ";codecs=opus" stripped) -> container format. The
# accepted types, their aliases and magic bytes are the ontology's: audio/ogg -> "ogg".
MIME_FORMATS: dict[str, str] = {m: canonical_mime(m).split("/", 1)[1] for m in sorted(AUDIO_MIME)}
SUPPORTED_MIME_TYPES: tuple[str, ...] = tuple(MIME_FORMATS)


@dataclass(frozen=True)
class DecodedAudio:
    """samples: (n,) float32 in [-1, 1], mono, at ``sample_rate`` (16 kHz)."""

    samples: np.ndarray
    sample_rate: int
    source_format: str
    source_sample_rate: int
    source_channels: int

    @property
    def duration_seconds(self) -> float:
        return self.samples.shape[0] / self.sample_rate


def sniff_format(data: bytes) -> str | None:
    """Container format from magic bytes, or None if unknown."""
    mime = sniff_mime(data)
    return mime.split("/", 1)[1] if mime in MIME_FORMATS else None


def format_for_mime(mime_type: str) -> str:
    base = (mime_type or "").split(";", 1)[0].strip().lower()
    if not base:
        raise InvalidInputError("audio mime_type is empty; send e.g. audio/wav or audio/webm")
    fmt = MIME_FORMATS.get(base)
    if fmt is None:
        raise InvalidInputError(
            f"unsupported audio mime_type {base!r}; supported: WAV, FLAC, OGG, WebM-Opus"
        )
    return fmt


def decode_audio(
    data: bytes,
    mime_type: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> DecodedAudio:
    """Validate and decode; returns 16 kHz mono float32. Raises InvalidInputError."""
    if not data:
        raise InvalidInputError("audio is empty")
    if len(data) > max_bytes:
        raise InvalidInputError(
            f"audio is {len(data)} bytes; the limit is {max_bytes} bytes ({max_bytes // 1024} KiB)"
        )
    declared = format_for_mime(mime_type)
    actual = sniff_format(data)
    if actual is None:
        raise InvalidInputError("audio is corrupt or not a WAV, FLAC, OGG or WebM file")
    if actual != declared:
        raise InvalidInputError(
            f"audio mime_type says {declared.upper()} but the data is {actual.upper()}"
        )
    if actual == "webm":
        samples, sr, channels = _decode_webm(data, max_seconds)
    else:
        samples, sr, channels = _decode_sndfile(data, max_seconds)
    return _finish(samples, sr, channels, actual, max_seconds)


def _decode_sndfile(data: bytes, max_seconds: float) -> tuple[np.ndarray, int, int]:
    """libsndfile decode; the header's frame count bounds the duration before decoding."""
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            sr, channels, frames = f.samplerate, f.channels, f.frames
            if sr <= 0 or channels <= 0:
                raise InvalidInputError("audio header is corrupt")
            # Some streams (OGG) may report frames lazily; cap the read regardless.
            limit = int(max_seconds * sr) + 1
            if 0 < frames and frames / sr > max_seconds:
                raise InvalidInputError(
                    f"audio lasts {frames / sr:.1f} s; the limit is {max_seconds:g} s"
                )
            samples = f.read(frames=limit, dtype="float32", always_2d=True)  # (n, channels)
    except InvalidInputError:
        raise
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError, EOFError) as exc:
        raise InvalidInputError("audio is corrupt and cannot be decoded") from exc
    if samples.shape[0] >= limit:
        raise InvalidInputError(f"audio lasts more than {max_seconds:g} s; that is the limit")
    return samples, sr, channels


def _decode_webm(data: bytes, max_seconds: float) -> tuple[np.ndarray, int, int]:
    """PyAV (FFmpeg) decode of the first audio stream, stopping as soon as it runs too long."""
    try:
        import av
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InvalidInputError("WebM audio is not supported by this deployment") from exc
    chunks: list[np.ndarray] = []
    total = 0
    sr = 0
    channels = 0
    try:
        with av.open(io.BytesIO(data), mode="r", format="webm") as container:
            streams = container.streams.audio
            if not streams:
                raise InvalidInputError("WebM file has no audio stream")
            stream = streams[0]
            # Planar float, native layout; mixed to mono afterwards like the other formats.
            resampler = av.AudioResampler(format="fltp")
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray()  # (channels, n)
                    sr = out.sample_rate
                    channels = arr.shape[0]
                    chunks.append(arr.T)  # (n, channels)
                    total += arr.shape[1]
                    if total > max_seconds * sr:
                        raise InvalidInputError(
                            f"audio lasts more than {max_seconds:g} s; that is the limit"
                        )
    except InvalidInputError:
        raise
    except (av.error.FFmpegError, ValueError, EOFError, IndexError) as exc:
        raise InvalidInputError("audio is corrupt and cannot be decoded") from exc
    if not chunks or sr <= 0:
        raise InvalidInputError("audio holds no decodable sound")
    return np.concatenate(chunks, axis=0).astype(np.float32), sr, channels


def _finish(
    samples: np.ndarray, sr: int, channels: int, fmt: str, max_seconds: float
) -> DecodedAudio:
    """samples: (n, channels) -> mono (n',) at 16 kHz, checked for length and finiteness."""
    if samples.shape[0] == 0:
        raise InvalidInputError("audio holds no samples")
    duration = samples.shape[0] / sr
    if duration < MIN_SECONDS:
        raise InvalidInputError(f"audio lasts {duration:.3f} s; at least {MIN_SECONDS:g} s needed")
    if duration > max_seconds:
        raise InvalidInputError(f"audio lasts {duration:.1f} s; the limit is {max_seconds:g} s")
    if not np.all(np.isfinite(samples)):
        raise InvalidInputError("audio is corrupt (non-finite samples)")
    mono = samples.mean(axis=1)  # (n, channels) -> (n,)
    if sr != TARGET_SAMPLE_RATE:
        mono = soxr.resample(mono, sr, TARGET_SAMPLE_RATE, quality="HQ")
    mono = np.clip(mono, -1.0, 1.0).astype(np.float32)
    return DecodedAudio(mono, TARGET_SAMPLE_RATE, fmt, sr, channels)
