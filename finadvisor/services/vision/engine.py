"""The vision engine: validate -> decode -> CNN (micro-batched) -> OCR -> canonical facts.

Why a micro-batcher: the gateway fans out one request per turn, and many sessions run at once. A
CNN forward pass over 16 thumbnails costs little more than over one, so requests that arrive
within a few milliseconds of each other are run through the network together (the shared
``finadvisor.shared.batching.DynamicBatcher``, the generator's too). ``analyze`` only queues its
bytes and awaits a future; the batch (decode, preprocess, forward) runs in a worker thread, so the
event loop keeps serving while the CPU works. Reading runs per image afterwards,
also off the loop: any page whose text rows look like a document's, or that the CNN thinks is a
document, goes through OCR (Tesseract, or RapidOCR from pip, see ``ocr_engines``), and the type
is then decided by the CNN and the text together (a page reading "payslip" / "net pay" is a
payslip, whatever the thumbnail looked like). A chart's trend is read from its plotted series
(``trend.py``), the CNN's trend being the fallback when no series is found.

Bounds: a call reserves its image's pixels (from the header) in a ``PixelBudget`` before it is
queued and keeps them until answered, so concurrent uploads cannot hold more decoded pixels than
``ImageLimits.max_pixels_in_flight``. A call whose deadline has passed, or whose caller has gone
(cancelled), starts no more work: its image is not decoded, and no OCR run starts for it
(``TimeoutError``, DEADLINE_EXCEEDED to a gRPC caller).

This module imports no grpc: the servicer maps ``ImageAnalysis`` to the proto and domain errors
to status codes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from finadvisor.services.vision.budget import PixelBudget
from finadvisor.services.vision.images import ImageLimits, decode_image, probe_image
from finadvisor.services.vision.labels import DOCUMENT_TYPES, TREND_TYPES
from finadvisor.services.vision.model import VisionEncoder, to_model_array, to_tensor
from finadvisor.services.vision.ocr import (
    Fact,
    Field,
    document_like,
    facts_from_fields,
    prepare_for_ocr,
    read_page,
    text_rows,
)
from finadvisor.services.vision.ocr_engines import OcrEngine, default_choice, get_engine, ocr_status
from finadvisor.services.vision.trend import find_series, read_trend
from finadvisor.shared.batching import DynamicBatcher
from finadvisor.shared.errors import FinadvisorError, ModelNotReadyError

log = logging.getLogger(__name__)
# A page the CNN gives at least this much document probability is read even without wide rows.
DOC_PROBABILITY = 0.2
# The chart type a series' structure stands for (``trend.Series.shape``).
SHAPE_TYPES = {"line": "line_chart", "candles": "candlestick_chart"}


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
    # Start -> end change of a chart's series in percent, when its y axis could be read.
    trend_change_percent: float | None = None
    # The OCR engine that read this image ("tesseract", "rapidocr"), "" when none ran.
    ocr_engine: str = ""


@dataclass
class BatchStats:
    """Counters of the micro-batcher (for metrics and for tests of batching)."""

    batches: int = 0
    images: int = 0
    largest_batch: int = 0
    sizes: list[int] = field(default_factory=list)
    # Decoded images still alive (counted from decoding until the image object is freed), now
    # and at most.
    live_images: int = 0
    live_pixels: int = 0
    peak_live_images: int = 0
    peak_live_pixels: int = 0
    # Calls that stopped early because their deadline passed or their caller went away.
    stopped: int = 0

    def record(self, n: int) -> None:
        self.batches += 1
        self.images += n
        self.largest_batch = max(self.largest_batch, n)
        self.sizes = (self.sizes + [n])[-100:]

    def decoded(self, pixels: int) -> None:
        self.live_images += 1
        self.live_pixels += pixels
        self.peak_live_images = max(self.peak_live_images, self.live_images)
        self.peak_live_pixels = max(self.peak_live_pixels, self.live_pixels)

    def freed(self, pixels: int) -> None:
        self.live_images -= 1
        self.live_pixels -= pixels


# A call's "stop now" test: its deadline has passed or its caller has gone.
StopCheck = Callable[[], bool]


def _stopper(deadline: float | None, cancelled: threading.Event) -> StopCheck:
    return lambda: cancelled.is_set() or (deadline is not None and time.monotonic() >= deadline)


def _never() -> bool:
    return False


@dataclass
class _Call:
    """One image on its way through the batch step.

    The decoded picture is handed to the call in ``image``, not in the batch's result, and the
    call takes it out: the batcher's bookkeeping (which keeps the last batch's items until the
    next batch) then holds the compressed bytes only, never decoded pixels.
    """

    data: bytes
    mime: str
    stop: StopCheck = _never
    image: Image.Image | None = None

    def take_image(self) -> Image.Image:
        image, self.image = self.image, None
        assert image is not None  # set by the batch step with every _Classified
        return image


@dataclass
class _Classified:
    """Output of the batch step for one image (before OCR); the picture travels in its _Call."""

    type_probs: np.ndarray  # [n_types]
    trend_probs: np.ndarray  # [n_trends]
    embedding: np.ndarray  # [E]


class VisionEngine:
    """Loads the vision model once and analyses images, singly (async) or in batches (sync)."""

    def __init__(
        self,
        limits: ImageLimits = ImageLimits(),  # noqa: B008 - a frozen value object, safe to share
        max_batch: int = 32,
        batch_window_ms: float = 5.0,
        ocr_enabled: bool = True,
        ocr_concurrency: int = 1,
        ocr_engine: str | None = None,
    ) -> None:
        self.limits = limits
        self.max_batch = max_batch
        self.batch_window_s = batch_window_ms / 1000.0
        self.ocr_enabled = ocr_enabled
        # auto / tesseract / rapidocr / none (FINADVISOR_VISION_OCR_ENGINE when not given).
        self.ocr_choice = ocr_engine or default_choice()
        self._model: VisionEncoder | None = None
        self._folder: Path | None = None
        self._infer_lock = threading.Lock()  # one forward pass at a time: no thread oversubscription
        self._ocr_slots = threading.BoundedSemaphore(max(1, ocr_concurrency))
        self.stats = BatchStats()
        self._stats_lock = threading.Lock()
        self.budget = PixelBudget(limits.max_pixels_in_flight)
        # Two workers: one batch decodes while another runs the network (_infer_lock keeps the
        # forward passes one at a time).
        self._batcher: DynamicBatcher[_Call, _Classified | Exception] = (
            DynamicBatcher(self._classify_batch, max_batch_size=max_batch,
                           max_wait_ms=batch_window_ms, name="vision-batcher", workers=2))

    # ------------------------------------------------------------------------------ lifecycle
    def load(self, folder: Path) -> VisionEngine:
        """Load (manifest-checked) weights; ``ready`` turns true only when this succeeds."""
        model = VisionEncoder.from_pretrained(Path(folder))
        self._model = model
        self._folder = Path(folder)
        ocr = self._ocr()
        if ocr is not None and hasattr(ocr, "warm"):  # the OCR model loads now, not on a turn
            ocr.warm()
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
            ocr = ocr_status(self.ocr_choice)
        else:
            ocr = (False, "ocr disabled by configuration")
        return {"classify": (self.ready, model), "embed": (self.ready, model),
                "chart_trend": (self.ready, model), "ocr": ocr}

    @property
    def ocr_available(self) -> bool:
        return self.ocr_enabled and ocr_status(self.ocr_choice)[0]

    @property
    def ocr_engine_name(self) -> str:
        """"tesseract", "rapidocr", or "" when OCR is off or no engine runs here."""
        ocr = self._ocr()
        return ocr.name if ocr is not None else ""

    def _ocr(self) -> OcrEngine | None:
        return get_engine(self.ocr_choice) if self.ocr_enabled else None

    def _require_model(self) -> VisionEncoder:
        if self._model is None:
            raise ModelNotReadyError("vision model is not loaded; run `finadvisor train`")
        return self._model

    # ----------------------------------------------------------------------------- the batch step
    def _freed(self, pixels: int) -> None:
        with self._stats_lock:
            self.stats.freed(pixels)

    def _decode(self, call: _Call) -> Image.Image:
        img = decode_image(call.data, call.mime, self.limits)
        pixels = img.width * img.height
        with self._stats_lock:
            self.stats.decoded(pixels)
        weakref.finalize(img, self._freed, pixels)  # counted until the pixels are let go
        return img

    def _classify_batch(self, calls: Sequence[_Call]) -> list[_Classified | Exception]:
        """Decode every item, then one forward pass over the valid ones. Runs in a worker thread.

        A bad item yields its InvalidInputError in its own slot, a stopped one (deadline passed,
        caller gone) its TimeoutError before it is decoded; the others are unaffected. Each
        decoded picture goes to its call's ``image``.
        """
        model = self._require_model()
        size = model.config.image_size
        results: list[_Classified | Exception | None] = [None] * len(calls)
        arrays, slots = [], []
        for i, call in enumerate(calls):
            if call.stop():
                results[i] = self._stopped("decoding")
                continue
            try:
                img = self._decode(call)
            except FinadvisorError as exc:
                results[i] = exc
                continue
            call.image = img
            arrays.append(to_model_array(img, size))
            slots.append(i)
            del img
        if arrays:
            batch = to_tensor(np.stack(arrays))  # [B, 1, S, S]
            with self._infer_lock, torch.inference_mode():
                out = model(batch)
                type_p = torch.softmax(out.type_logits, dim=1).numpy()  # [B, n_types]
                trend_p = torch.softmax(out.trend_logits, dim=1).numpy()  # [B, n_trends]
                emb = out.embedding.numpy()  # [B, E]
            self.stats.record(len(arrays))
            for j, i in enumerate(slots):
                results[i] = _Classified(type_p[j], trend_p[j], emb[j])
        for i in slots:  # a call stopped meanwhile takes no picture: let it go now
            if calls[i].stop():
                calls[i].image = None
                results[i] = self._stopped("reading")
        return [r for r in results if r is not None]  # every slot is filled above

    def _stopped(self, step: str) -> TimeoutError:
        with self._stats_lock:
            self.stats.stopped += 1
        return TimeoutError(f"deadline passed or call cancelled before {step} the image")

    def _finish(self, c: _Classified, call: _Call, skip_ocr: bool) -> ImageAnalysis:
        """``_read`` of the call's picture, raising its error without the frames that hold it.

        The picture is taken out of the call here, in the reading thread, and not passed as an
        argument: an executor keeps a call's arguments until after its future is answered, so
        a picture passed in would outlive the answer by a thread switch.
        """
        image = call.take_image()
        try:
            return self._read(c, image, skip_ocr, call.stop)
        except Exception as exc:  # noqa: BLE001 - re-raised as is, only its traceback dropped
            del image
            raise exc.with_traceback(None) from None

    def _read(self, c: _Classified, image: Image.Image, skip_ocr: bool,
              stop: StopCheck) -> ImageAnalysis:
        """Type (CNN + the page's words), fields (OCR of document-like pages), trend (the series)."""
        model = self._require_model()
        cfg = model.config
        cnn_type = cfg.image_types[int(np.argmax(c.type_probs))]
        type_probs = {t: round(float(p), 6) for t, p in zip(cfg.image_types, c.type_probs)}
        engine = None if skip_ocr else self._ocr()
        fields: list[Field] = []
        image_type, engine_used = cnn_type, ""
        if engine is not None:
            with self._ocr_slots:
                if stop():  # waited for an OCR slot past the deadline: no OCR run starts
                    raise self._stopped("reading")
                try:
                    prepared = prepare_for_ocr(image)
                    doc_mass = sum(type_probs.get(t, 0.0) for t in DOCUMENT_TYPES)
                    if (cnn_type in DOCUMENT_TYPES or doc_mass >= DOC_PROBABILITY
                            or document_like(text_rows(prepared), prepared.width)):
                        reading = read_page(image, cnn_type, engine, prepared)
                        fields, engine_used = reading.fields, reading.engine
                        image_type = reading.text_type or cnn_type
                except Exception as exc:  # noqa: BLE001 - OCR failure degrades to "no fields", never a crash
                    log.warning("ocr failed", extra={"error": exc.__class__.__name__})
                    fields = []
        trend, trend_probs, change_percent = "", {}, None
        series = None
        if image_type in TREND_TYPES:
            # The plotted series' structure settles line vs candlestick (see trend.py): one
            # connected stroke is a line, many separate bodies of one width are candles.
            try:
                series = find_series(image)
            except Exception as exc:  # noqa: BLE001 - an unreadable chart keeps the CNN's type
                log.warning("series reading failed", extra={"error": exc.__class__.__name__})
            shape_type = SHAPE_TYPES.get(series.shape if series is not None else "")
            if shape_type is not None:
                image_type = shape_type
        if image_type in TREND_TYPES:
            trend_probs = {t: round(float(p), 6) for t, p in zip(cfg.trends, c.trend_probs)}
            trend = cfg.trends[int(np.argmax(c.trend_probs))]  # the CNN: the fallback opinion
            if stop():
                raise self._stopped("reading the trend of")
            try:
                reading_t = read_trend(image, engine, series) if series is not None else None
            except Exception as exc:  # noqa: BLE001 - an unreadable chart keeps the CNN's trend
                log.warning("trend reading failed", extra={"error": exc.__class__.__name__})
                reading_t = None
            if reading_t is not None:
                trend, change_percent = reading_t.trend, reading_t.change_percent
        width, height = image.size
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
            trend_change_percent=change_percent,
            ocr_engine=engine_used,
        )

    # ---------------------------------------------------------------------------- sync API
    def analyze_batch(self, items: Sequence[tuple[bytes, str]], skip_ocr: bool = False) -> list[ImageAnalysis]:
        """Analyse several (bytes, mime_type) at once; raises the first item's error if any is bad.

        For offline use (eval, latency): the caller bounds the batch; the pixel budget is the
        async path's.
        """
        calls = [_Call(bytes(data), mime) for data, mime in items]
        results = self._classify_batch(calls)
        out: list[ImageAnalysis] = []
        for call, r in zip(calls, results):
            if isinstance(r, Exception):
                raise r
            out.append(self._finish(r, call, skip_ocr))
        return out

    # --------------------------------------------------------------------------- async API
    async def analyze(self, data: bytes, mime_type: str, skip_ocr: bool = False,
                      timeout: float | None = None) -> ImageAnalysis:
        """Analyse one image; concurrent calls share CNN batches.

        Raises InvalidInputError (a bad upload, found from its header before any decoding) and
        TimeoutError once ``timeout`` seconds (the caller's remaining deadline) have passed:
        work not yet started for the call (decoding, an OCR run) is then not started.
        """
        self._require_model()
        data = bytes(data)
        width, height = probe_image(data, mime_type, self.limits)
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        cancelled = threading.Event()
        stop = _stopper(deadline, cancelled)
        try:
            async with self.budget.reserve(width * height):
                # The pixels are reserved until this returns; the call's frame, which holds
                # the decoded picture, is gone by then.
                return await self._analyze_reserved(_Call(data, mime_type, stop), skip_ocr,
                                                    cancelled)
        except asyncio.CancelledError:
            cancelled.set()  # the worker thread, if any, starts no further OCR run
            raise

    async def _analyze_reserved(self, call: _Call, skip_ocr: bool,
                                cancelled: threading.Event) -> ImageAnalysis:
        if call.stop():
            raise self._stopped("decoding")
        classified = await self._batcher.submit(call)
        if isinstance(classified, Exception):  # this image only; the batch went on
            raise classified
        reading = asyncio.ensure_future(asyncio.to_thread(
            self._finish, classified, call, skip_ocr))
        try:
            return await asyncio.shield(reading)
        except asyncio.CancelledError:
            # The caller went away mid-reading: the thread starts no further OCR run, and the
            # pixels stay reserved until it has let the picture go.
            cancelled.set()
            with contextlib.suppress(Exception):
                await reading
            del reading  # its error must not keep the picture alive
            raise

    async def aclose(self) -> None:
        """Answer the queued images, then stop the batcher's threads (graceful stop)."""
        await asyncio.to_thread(self._batcher.close)
