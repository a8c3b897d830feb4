"""The vision engine: validate -> decode -> CNN (micro-batched) -> OCR -> canonical facts.

Why a micro-batcher: the gateway fans out one request per turn, and many sessions run at once. A
CNN forward pass over 16 thumbnails costs little more than over one, so requests that arrive
within a few milliseconds of each other are run through the network together. ``analyze`` only
queues its bytes and awaits a future; the batch (decode, preprocess, forward) runs in a worker
thread, so the event loop keeps serving while the CPU works. OCR (~200 ms, one Tesseract process
over the document's figure region) runs per image afterwards, also off the loop, and only for
payslips and bank statements: it needs the CNN's image type first, and charts are never read.

This module imports no grpc: the servicer maps ``ImageAnalysis`` to the proto and domain errors
to status codes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from finadvisor.services.vision.images import ImageLimits, decode_image
from finadvisor.services.vision.labels import OCR_TYPES, TREND_TYPES
from finadvisor.services.vision.model import VisionEncoder, to_model_array, to_tensor
from finadvisor.services.vision.ocr import Fact, Field, facts_from_fields, ocr_status, read_document
from finadvisor.shared.errors import FinadvisorError, ModelNotReadyError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageAnalysis:
    """Everything vision says about one image (the servicer turns it into AnalyzeImageResponse)."""

    image_type: str
    type_probabilities: dict[str, float]
    # rising/falling/flat/volatile for line and candlestick charts; "" otherwise.
    chart_trend: str
    # Empty unless the image is a line or candlestick chart.
    trend_probabilities: dict[str, float]
    embedding: list[float]
    fields: list[Field]
    facts: list[Fact]
    width: int
    height: int
    ocr_available: bool
    model_version: str = ""


@dataclass
class BatchStats:
    """Counters of the micro-batcher (for metrics and for tests of batching)."""

    batches: int = 0
    images: int = 0
    largest_batch: int = 0
    sizes: list[int] = field(default_factory=list)

    def record(self, n: int) -> None:
        self.batches += 1
        self.images += n
        self.largest_batch = max(self.largest_batch, n)
        self.sizes = (self.sizes + [n])[-100:]


@dataclass
class _Classified:
    """Output of the batch step for one image (before OCR)."""

    image: object  # PIL.Image.Image, kept for OCR at full resolution
    type_probs: np.ndarray  # [n_types]
    trend_probs: np.ndarray  # [n_trends]
    embedding: np.ndarray  # [E]


class VisionEngine:
    """Loads the vision model once and analyses images, singly (async) or in batches (sync)."""

    def __init__(
        self,
        limits: ImageLimits = ImageLimits(),
        max_batch: int = 32,
        batch_window_ms: float = 5.0,
        ocr_enabled: bool = True,
        ocr_concurrency: int = 1,
    ) -> None:
        self.limits = limits
        self.max_batch = max_batch
        self.batch_window_s = batch_window_ms / 1000.0
        self.ocr_enabled = ocr_enabled
        self._model: VisionEncoder | None = None
        self._folder: Path | None = None
        self._infer_lock = threading.Lock()  # one forward pass at a time: no thread oversubscription
        self._ocr_slots = threading.BoundedSemaphore(max(1, ocr_concurrency))
        self._pending: list[tuple[bytes, str, asyncio.Future[_Classified]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = BatchStats()

    # ------------------------------------------------------------------------------ lifecycle
    def load(self, folder: Path) -> VisionEngine:
        """Load (manifest-checked) weights; ``ready`` turns true only when this succeeds."""
        model = VisionEncoder.from_pretrained(Path(folder))
        self._model = model
        self._folder = Path(folder)
        log.info("vision model loaded", extra={"model_version": model.config.version})
        return self

    @property
    def ready(self) -> bool:
        return self._model is not None

    @property
    def model_version(self) -> str:
        return self._model.config.version if self._model is not None else ""

    def capabilities(self) -> dict[str, tuple[bool, str]]:
        """name -> (available, detail): classify, embed, chart_trend and ocr."""
        model = ("loaded " + self.model_version) if self.ready else "model not loaded"
        if self.ocr_enabled:
            ocr = ocr_status()
        else:
            ocr = (False, "ocr disabled by configuration")
        return {"classify": (self.ready, model), "embed": (self.ready, model),
                "chart_trend": (self.ready, model), "ocr": ocr}

    @property
    def ocr_available(self) -> bool:
        return self.ocr_enabled and ocr_status()[0]

    def _require_model(self) -> VisionEncoder:
        if self._model is None:
            raise ModelNotReadyError("vision model is not loaded; run `finadvisor train`")
        return self._model

    # ----------------------------------------------------------------------------- the batch step
    def _classify_batch(self, items: Sequence[tuple[bytes, str]]) -> list[_Classified | FinadvisorError]:
        """Decode every item, then one forward pass over the valid ones. Runs in a worker thread.

        A bad item yields its InvalidInputError in its own slot; the others are unaffected.
        """
        model = self._require_model()
        size = model.config.image_size
        results: list[_Classified | FinadvisorError | None] = [None] * len(items)
        images, arrays, slots = [], [], []
        for i, (data, mime) in enumerate(items):
            try:
                img = decode_image(data, mime, self.limits)
            except FinadvisorError as exc:
                results[i] = exc
                continue
            images.append(img)
            arrays.append(to_model_array(img, size))
            slots.append(i)
        if arrays:
            batch = to_tensor(np.stack(arrays))  # [B, 1, S, S]
            with self._infer_lock, torch.inference_mode():
                out = model(batch)
                type_p = torch.softmax(out.type_logits, dim=1).numpy()  # [B, n_types]
                trend_p = torch.softmax(out.trend_logits, dim=1).numpy()  # [B, n_trends]
                emb = out.embedding.numpy()  # [B, E]
            self.stats.record(len(arrays))
            for j, i in enumerate(slots):
                results[i] = _Classified(images[j], type_p[j], trend_p[j], emb[j])
        return [r for r in results if r is not None]  # every slot is filled above

    def _finish(self, c: _Classified, skip_ocr: bool) -> ImageAnalysis:
        """Labels, trend (charts only), OCR fields and facts (documents only)."""
        model = self._require_model()
        cfg = model.config
        k = int(np.argmax(c.type_probs))
        image_type = cfg.image_types[k]
        type_probs = {t: round(float(p), 6) for t, p in zip(cfg.image_types, c.type_probs)}
        trend, trend_probs = "", {}
        if image_type in TREND_TYPES:
            trend = cfg.trends[int(np.argmax(c.trend_probs))]
            trend_probs = {t: round(float(p), 6) for t, p in zip(cfg.trends, c.trend_probs)}
        fields: list[Field] = []
        if image_type in OCR_TYPES and not skip_ocr and self.ocr_available:
            with self._ocr_slots:
                try:
                    fields = read_document(c.image, image_type)  # type: ignore[arg-type]
                except Exception as exc:  # OCR failure degrades to "no fields", never a crash
                    log.warning("ocr failed", extra={"error": exc.__class__.__name__})
                    fields = []
        width, height = c.image.size  # type: ignore[attr-defined]
        return ImageAnalysis(
            image_type=image_type,
            type_probabilities=type_probs,
            chart_trend=trend,
            trend_probabilities=trend_probs,
            embedding=[float(v) for v in c.embedding],
            fields=fields,
            facts=facts_from_fields(fields),
            width=int(width),
            height=int(height),
            ocr_available=self.ocr_available,
            model_version=cfg.version,
        )

    # ---------------------------------------------------------------------------- sync API
    def analyze_batch(self, items: Sequence[tuple[bytes, str]], skip_ocr: bool = False) -> list[ImageAnalysis]:
        """Analyse several (bytes, mime_type) at once; raises the first item's error if any is bad."""
        out: list[ImageAnalysis] = []
        for r in self._classify_batch(items):
            if isinstance(r, FinadvisorError):
                raise r
            out.append(self._finish(r, skip_ocr))
        return out

    # --------------------------------------------------------------------------- async API
    async def analyze(self, data: bytes, mime_type: str, skip_ocr: bool = False) -> ImageAnalysis:
        """Analyse one image; concurrent calls share CNN batches. Raises InvalidInputError."""
        self._require_model()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[_Classified] = loop.create_future()
        self._pending.append((bytes(data), mime_type, fut))
        if len(self._pending) >= self.max_batch:
            self._flush(loop)
        elif self._timer is None:
            self._timer = loop.call_later(self.batch_window_s, self._flush, loop)
        classified = await fut
        return await asyncio.to_thread(self._finish, classified, skip_ocr)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = loop.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[bytes, str, asyncio.Future[_Classified]]]) -> None:
        started = time.perf_counter()
        try:
            results = await asyncio.to_thread(self._classify_batch, [(d, m) for d, m, _ in batch])
        except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, _, fut), res in zip(batch, results):
            if fut.done():  # the caller was cancelled (deadline)
                continue
            if isinstance(res, BaseException):
                fut.set_exception(res)
            else:
                fut.set_result(res)
        log.debug("vision batch", extra={"size": len(batch), "seconds": time.perf_counter() - started})

    async def aclose(self) -> None:
        """Wait for in-flight batches (graceful stop)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
