"""The voice domain engine: bytes + MIME type in, transcript and acoustic findings out.

The gRPC servicer is a thin proto <-> domain layer over ``VoiceEngine``; nothing here imports
grpc. ``analyze`` runs the CPU-bound work (decoding, features, pitch tracking, recognition, the
RNN) in a bounded thread pool so the event loop keeps serving health checks and other calls.
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from finadvisor.services.voice.asr import ASR_BACKENDS, AsrBackend, Transcript, make_backend
from finadvisor.services.voice.audio import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_SECONDS,
    SUPPORTED_MIME_TYPES,
    decode_audio,
)
from finadvisor.services.voice.encoder import UtteranceEncoder
from finadvisor.services.voice.features import LogMelExtractor, Prosody, compute_prosody
from finadvisor.shared.artifacts import verify_manifest
from finadvisor.shared.errors import ModelNotReadyError
from finadvisor.shared.paths import models_dir

COMPONENT = "voice"
META_FILE = "voice.json"


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
        workers: int = 2,
    ) -> None:
        self.encoder = encoder.eval()
        self.asr = asr
        self.model_version = model_version
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.log_mel = LogMelExtractor(encoder.config.n_mels, max_seconds=max_seconds)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voice")
        # One intra-op thread: a batch-1 GRU gains nothing from more, and next to librosa's
        # numba kernels torch's OpenMP pool spin-waited for seconds per clip on a busy 2-core
        # host (measured: 2-4 s per note vs 10-20 ms). Parallelism comes from the workers.
        torch.set_num_threads(1)
        self._encoder_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        folder: Path | None = None,
        asr_backend: str | AsrBackend = "pocketsphinx",
        whisper_model_dir: Path | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        workers: int = 2,
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
        if isinstance(asr_backend, str):
            asr = make_backend(asr_backend, folder, whisper_model_dir)
        else:
            asr = asr_backend
        version = str(manifest.get("version") or json.loads((folder / META_FILE).read_text())["version"])
        engine = cls(encoder, asr, version, max_bytes, max_seconds, workers)
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
        }

    async def analyze(self, data: bytes, mime_type: str, return_log_mel: bool = False) -> AudioAnalysis:
        """Decode, transcribe and encode one voice note. Raises InvalidInputError for bad audio."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self.analyze_sync, data, mime_type, return_log_mel
        )

    def analyze_sync(self, data: bytes, mime_type: str, return_log_mel: bool = False) -> AudioAnalysis:
        decoded = decode_audio(data, mime_type, self.max_bytes, self.max_seconds)
        return self._analyze_samples(decoded.samples, return_log_mel)

    def _analyze_samples(self, samples: np.ndarray, return_log_mel: bool) -> AudioAnalysis:
        """samples: (n,) float32, 16 kHz mono."""
        ok, _ = self.asr.available()
        transcript = self.asr.transcribe(samples) if ok else Transcript("", 0.0)
        n_words = len(transcript.text.split())
        prosody = compute_prosody(samples, n_words or None)
        mel = self.log_mel(samples)  # (n_frames, n_mels)
        embedding, intent, conf = self.encode(mel)
        return AudioAnalysis(
            transcript=transcript.text,
            transcript_confidence=float(transcript.confidence),
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
