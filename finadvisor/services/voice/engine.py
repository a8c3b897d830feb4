"""The voice domain engine: bytes + MIME type in, transcript and acoustic findings out.

The gRPC servicer is a thin proto <-> domain layer over ``VoiceEngine``; nothing here imports
grpc. ``analyze`` runs the CPU-bound work in thread pools so the event loop keeps serving health
checks and other calls:

- recognition, the expensive part, goes through ``AsrBatcher``: as many decodes at once as there
  are cores (``workers``), and notes that arrive while every worker is busy are decoded together
  in one batched call when the backend batches (Whisper does), which is cheaper per note;
- log-mel and the RNN run at the same time on the other pool, prosody once the word count is
  known;
- a note whose deadline has passed (the caller gave up, or the gRPC call was cancelled) is
  dropped before any work is spent on it: under overload the service answers the calls that can
  still use an answer instead of finishing every call late.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from finadvisor.services.voice.acoustic import LogMelExtractor, Prosody, compute_prosody
from finadvisor.services.voice.asr import ASR_BACKENDS, AsrBackend, Transcript, make_backend
from finadvisor.services.voice.audio import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_SECONDS,
    SUPPORTED_MIME_TYPES,
    decode_audio,
)
from finadvisor.services.voice.confidence import LOW_CONFIDENCE, Calibration
from finadvisor.services.voice.encoder import UtteranceEncoder
from finadvisor.services.voice.text import written_form
from finadvisor.shared.artifacts import verify_manifest
from finadvisor.shared.errors import ModelNotReadyError
from finadvisor.shared.paths import models_dir

COMPONENT = "voice"
META_FILE = "voice.json"
#: the recogniser the service uses unless FINADVISOR_VOICE_ASR says otherwise (chosen on the voice
#: dev set, see README.md)
DEFAULT_ASR = "whisper"
#: most notes decoded in one batched recogniser call
MAX_BATCH = 8


def cpu_cores() -> int:
    """Cores this process may run on (the container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class AsrBatcher:
    """Feeds the recogniser from the event loop: at most ``workers`` decodes in flight; when a
    worker frees up it takes every waiting note (up to ``max_batch``) in one call.

    No timer: a note arriving at an idle service is decoded at once (no added latency at one
    client), and batches form only from notes that would otherwise have queued. Notes whose
    deadline passed or whose caller went away are dropped when picked, before any decoding.
    """

    def __init__(self, asr: AsrBackend, workers: int, max_batch: int) -> None:
        self.asr = asr
        self.workers = workers
        self.max_batch = max_batch if asr.batches else 1
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voice-asr")
        self._pending: deque[tuple[np.ndarray, float | None, asyncio.Future[Transcript]]] = deque()
        self._busy = 0
        #: how many notes each batched call carried (for the bench and tests)
        self.batch_sizes: deque[int] = deque(maxlen=1000)
        self.dropped_late = 0

    def submit(self, samples: np.ndarray, deadline: float | None) -> asyncio.Future[Transcript]:
        """Queue one note; ``deadline`` on ``time.monotonic()``'s clock. The future fails with
        TimeoutError if the deadline passes before decoding starts."""
        fut: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
        self._pending.append((samples, deadline, fut))
        self._dispatch()
        return fut

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._busy < self.workers and self._pending:
            batch = []
            now = time.monotonic()
            while self._pending and len(batch) < self.max_batch:
                samples, deadline, fut = self._pending.popleft()
                if fut.done():  # cancelled by the caller
                    continue
                if deadline is not None and now >= deadline:
                    self.dropped_late += 1
                    fut.set_exception(TimeoutError("deadline passed before the note was transcribed"))
                    continue
                batch.append((samples, fut))
            if not batch:
                continue
            self._busy += 1
            self.batch_sizes.append(len(batch))
            job = loop.run_in_executor(self._executor, self.asr.transcribe_batch, [s for s, _ in batch])
            job.add_done_callback(lambda j, b=batch: self._finish(j, b))

    def _finish(self, job: asyncio.Future[list[Transcript]], batch: list[tuple[np.ndarray, Any]]) -> None:
        self._busy -= 1
        exc = job.exception()
        for i, (_s, fut) in enumerate(batch):
            if fut.done():
                continue
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(job.result()[i])
        self._dispatch()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class AudioAnalysis:
    """What one voice note yields. embedding: (D,) unit L2 norm; log_mel: (n_frames, n_mels)
    or None unless asked for."""

    transcript: str
    transcript_confidence: float
    prosody: Prosody
    embedding: np.ndarray
    intent: str
    intent_confidence: float
    log_mel: np.ndarray | None
    asr_backend: str
    model_version: str


class VoiceEngine:
    """Loaded models plus the limits they run under. Build with ``VoiceEngine.load``."""

    def __init__(
        self,
        encoder: UtteranceEncoder,
        asr: AsrBackend,
        model_version: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        workers: int | None = None,
        calibration: Calibration | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        """``workers``: recogniser decodes in flight (and feature threads); the cores by default.
        ``calibration``: raw recogniser score -> calibrated confidence (identity if None)."""
        self.encoder = encoder.eval()
        self.asr = asr
        self.model_version = model_version
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.workers = workers or cpu_cores()
        self.calibration = calibration or Calibration(asr.name)
        self.log_mel = LogMelExtractor(encoder.config.n_mels, max_seconds=max_seconds)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="voice")
        self._batcher: AsrBatcher | None = None
        self._max_batch = max_batch
        # One intra-op thread: a batch-1 GRU gains nothing from more, and next to librosa's
        # numba kernels torch's OpenMP pool spin-waited for seconds per clip on a busy 2-core
        # host (measured: 2-4 s per note vs 10-20 ms). Parallelism comes from the workers.
        torch.set_num_threads(1)
        self._encoder_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        folder: Path | None = None,
        asr_backend: str | AsrBackend = DEFAULT_ASR,
        whisper_model_dir: Path | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        workers: int | None = None,
        warm_up: bool = True,
    ) -> VoiceEngine:
        """Verify the model folder's manifest, then load the encoder and the ASR backend.

        ``folder`` defaults to ``<models_dir>/voice``. ``asr_backend`` is a name from
        ``ASR_BACKENDS`` (what ``FINADVISOR_VOICE_ASR`` holds) or a ready backend object. An ASR
        backend that cannot start does not fail the load: ``capabilities()`` says why and
        ``analyze`` returns an empty transcript, so features still flow.
        """
        folder = Path(folder) if folder is not None else models_dir() / COMPONENT
        if not folder.is_dir():
            raise ModelNotReadyError(f"no voice model at {folder}; run `finadvisor train`")
        manifest = verify_manifest(folder)
        encoder = UtteranceEncoder.from_pretrained(folder)
        n_workers = workers or cpu_cores()
        if isinstance(asr_backend, str):
            asr = make_backend(asr_backend, folder, whisper_model_dir, workers=n_workers)
        else:
            asr = asr_backend
        # a bank's own Whisper folder was not calibrated here: its scores stay raw
        calibration = (Calibration.load(folder, asr.name) if whisper_model_dir is None
                       else Calibration(asr.name))
        version = str(manifest.get("version") or json.loads((folder / META_FILE).read_text())["version"])
        engine = cls(encoder, asr, version, max_bytes, max_seconds, n_workers, calibration)
        if warm_up:
            engine.warm_up()
        return engine

    def warm_up(self) -> None:
        """Run one silent-plus-tone clip through the pipeline: compiles librosa's numba kernels
        (seconds on first use) at start-up rather than on a customer's first note."""
        t = np.arange(16_000, dtype=np.float32) / 16_000
        clip = (0.3 * np.sin(2 * np.pi * 150.0 * t)).astype(np.float32)  # (16000,)
        self._analyze_samples(clip, return_log_mel=False)

    def capabilities(self) -> dict[str, Any]:
        ok, detail = self.asr.available()
        return {
            "asr": {"available": ok, "backend": self.asr.name, "detail": detail},
            "asr_backends": list(ASR_BACKENDS),
            "formats": list(SUPPORTED_MIME_TYPES),
            "max_bytes": self.max_bytes,
            "max_seconds": self.max_seconds,
            "intents": list(self.encoder.config.intents),
            "embedding_dim": self.encoder.config.embedding_dim,
            "n_mels": self.encoder.config.n_mels,
            "model_version": self.model_version,
            "workers": self.workers,
            "max_batch": self._max_batch if self.asr.batches else 1,
            "confidence": {"calibrated": self.calibration.n_fitted > 0,
                           "fitted_on": self.calibration.fitted_on,
                           "low_confidence_below": LOW_CONFIDENCE},
        }

    def _asr_batcher(self) -> AsrBatcher:
        """Made on first use, inside the running event loop that will feed it."""
        if self._batcher is None:
            self._batcher = AsrBatcher(self.asr, self.workers, self._max_batch)
        return self._batcher

    async def analyze(self, data: bytes, mime_type: str, return_log_mel: bool = False,
                      timeout: float | None = None) -> AudioAnalysis:
        """Decode, transcribe and encode one voice note. Raises InvalidInputError for bad audio
        and TimeoutError when ``timeout`` seconds (the caller's remaining deadline) run out
        before the work is done."""
        deadline = None if timeout is None else time.monotonic() + timeout
        _check(deadline)
        loop = asyncio.get_running_loop()
        decoded = await loop.run_in_executor(
            self._executor, decode_audio, data, mime_type, self.max_bytes, self.max_seconds)
        samples = decoded.samples  # (n,) float32, 16 kHz mono
        _check(deadline)
        ok, _ = self.asr.available()
        heard = self._asr_batcher().submit(samples, deadline) if ok else None
        try:
            mel, (embedding, intent, conf) = await loop.run_in_executor(
                self._executor, self._acoustics, samples)
            transcript = await heard if heard is not None else Transcript("", 0.0)
        except BaseException:
            if heard is not None:
                heard.cancel()  # still queued: never decoded
            raise
        _check(deadline)
        prosody = await loop.run_in_executor(
            self._executor, compute_prosody, samples, len(transcript.text.split()) or None)
        return self._result(transcript, ok, prosody, mel, embedding, intent, conf, return_log_mel)

    def analyze_sync(self, data: bytes, mime_type: str, return_log_mel: bool = False) -> AudioAnalysis:
        decoded = decode_audio(data, mime_type, self.max_bytes, self.max_seconds)
        return self._analyze_samples(decoded.samples, return_log_mel)

    def _analyze_samples(self, samples: np.ndarray, return_log_mel: bool) -> AudioAnalysis:
        """samples: (n,) float32, 16 kHz mono; everything in this thread, one after the other."""
        ok, _ = self.asr.available()
        transcript = self.asr.transcribe(samples) if ok else Transcript("", 0.0)
        mel, (embedding, intent, conf) = self._acoustics(samples)
        prosody = compute_prosody(samples, len(transcript.text.split()) or None)
        return self._result(transcript, ok, prosody, mel, embedding, intent, conf, return_log_mel)

    def _acoustics(self, samples: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, str, float]]:
        mel = self.log_mel(samples)  # (n_frames, n_mels)
        return mel, self.encode(mel)

    def _result(self, transcript: Transcript, ok: bool, prosody: Prosody, mel: np.ndarray,
                embedding: np.ndarray, intent: str, conf: float, return_log_mel: bool) -> AudioAnalysis:
        text = written_form(transcript.text) if self.asr.name == "whisper" else transcript.text
        return AudioAnalysis(
            transcript=text,
            transcript_confidence=self.calibration(float(transcript.confidence)) if text else 0.0,
            prosody=prosody,
            embedding=embedding,
            intent=intent,
            intent_confidence=conf,
            log_mel=mel if return_log_mel else None,
            asr_backend=self.asr.name if ok else "none",
            model_version=self.model_version,
        )

    def encode(self, mel: np.ndarray) -> tuple[np.ndarray, str, float]:
        """mel: (n_frames, n_mels) -> (embedding (D,), intent, its probability)."""
        x = torch.from_numpy(mel).unsqueeze(0)  # (1, T, M)
        lengths = torch.tensor([mel.shape[0]])  # (1,)
        with self._encoder_lock, torch.inference_mode():
            emb, logits = self.encoder(x, lengths)  # (1, D), (1, n_intents)
        probs = torch.softmax(logits[0], dim=-1)  # (n_intents,)
        idx = int(torch.argmax(probs))
        intents = self.encoder.config.intents
        intent = intents[idx] if intents else ""
        return emb[0].numpy().astype(np.float32), intent, float(probs[idx])

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._batcher is not None:
            self._batcher.close()


def _check(deadline: float | None) -> None:
    """TimeoutError (DEADLINE_EXCEEDED to a gRPC caller) once the deadline has passed."""
    if deadline is not None and time.monotonic() >= deadline:
        raise TimeoutError("deadline passed before the voice note was analysed")
