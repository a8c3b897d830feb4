"""Dynamic batching: requests that queue up together are run through a model as one batch.

Why: running a model on one input costs about as much as on sixteen (the generator's GRU steps,
a CNN forward: per-step overhead dominates at these sizes), so under concurrent load batches
give a large gain in throughput. One module for every service that batches (shared, not copied). The event loop never blocks: callers ``await submit(item)``;
one worker thread takes the first item plus whatever else is queued (up to ``max_batch_size``),
optionally waiting up to ``max_wait_ms`` for more, runs ``process(batch)`` and resolves each
caller's future on its own loop. With ``early_answers``, ``process`` also gets an ``answer(i,
result)`` callable and answers an item as soon as its result is ready (a one-line reply that
shares a batch with a long one need not wait for it). The service's default wait is 0: under load, the requests that
arrive while one batch decodes form the next one, and a lone request pays no waiting. The queue is
bounded, so overload is refused (RateLimitedError) instead of growing memory without limit.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from finadvisor.shared.errors import ModelNotReadyError, RateLimitedError

T = TypeVar("T")
R = TypeVar("R")
_STOP = object()


@dataclass
class _Pending(Generic[T, R]):
    item: T
    future: asyncio.Future[R]
    loop: asyncio.AbstractEventLoop


@dataclass
class BatcherStats:
    batches: int = 0
    items: int = 0
    largest_batch: int = 0


class DynamicBatcher(Generic[T, R]):
    """Collect concurrent submissions into batches for ``process``, run on ``workers`` threads.

    ``process`` gets a list of items and returns one result per item, in order; if it raises, every
    caller of that batch gets the exception. With more than one worker, a batch can start while
    another is still decoding: torch releases the GIL inside its kernels, so two batches overlap
    on two cores instead of queueing behind each other (``process`` must then be thread-safe).
    """

    def __init__(
        self,
        process: Callable[[list[T]], list[R]],
        max_batch_size: int = 16,
        max_wait_ms: float = 5.0,
        max_queue: int = 1024,
        name: str = "generator-batcher",
        workers: int = 1,
        early_answers: bool = False,
    ) -> None:
        if max_batch_size < 1 or max_wait_ms < 0 or max_queue < 1 or workers < 1:
            raise ValueError("max_batch_size >= 1, max_wait_ms >= 0, max_queue >= 1 and workers >= 1 "
                             "are required")
        self.process = process
        #: ``process`` is called as ``process(items, answer)``: see the module's docstring
        self.early_answers = early_answers
        self.name = name.removesuffix("-batcher")
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.stats = BatcherStats()
        self.recent_batch_sizes: deque[int] = deque(maxlen=1000)
        #: called with each batch's size from the worker thread (the service exports it)
        self.on_batch: Callable[[int], None] | None = None
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._closed = False
        self._stats_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    async def submit(self, item: T) -> R:
        """Queue one item and wait for its result (from whichever batch it lands in)."""
        if self._closed:
            raise ModelNotReadyError(f"{self.name} is shutting down")
        loop = asyncio.get_running_loop()
        pending = _Pending(item, loop.create_future(), loop)
        try:
            self._queue.put_nowait(pending)
        except queue.Full:
            raise RateLimitedError(f"{self.name} queue is full; retry shortly",
                                   retry_after_s=0.5) from None
        result: R = await pending.future
        return result

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop after the queued work is done (items queued before close still get answers)."""
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._queue.put(_STOP)  # one per worker, behind the queued work
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))

    # --- worker thread -------------------------------------------------------------------------
    def _collect(self, first: _Pending[T, R]) -> tuple[list[_Pending[T, R]], bool]:
        """The first item plus whatever arrives within max_wait (or is already queued), up to the max."""
        batch = [first]
        deadline = time.monotonic() + self.max_wait_s
        stop = False
        while len(batch) < self.max_batch_size:
            remaining = deadline - time.monotonic()
            try:
                nxt = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is _STOP:
                stop = True
                break
            batch.append(nxt)  # type: ignore[arg-type]  # not the _STOP sentinel here
        return batch, stop

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            batch, stop = self._collect(first)  # type: ignore[arg-type]  # not _STOP either
            if stop:
                self._queue.put(_STOP)  # the sentinel _collect took belongs to this worker:
                stop = False  # finish this batch, then take a sentinel like the others
            with self._stats_lock:
                self.stats.batches += 1
                self.stats.items += len(batch)
                self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
                self.recent_batch_sizes.append(len(batch))
            if self.on_batch is not None:
                self.on_batch(len(batch))
            try:
                items = [p.item for p in batch]
                if self.early_answers:
                    def answer(i: int, result: R, batch: list[_Pending[T, R]] = batch) -> None:
                        _deliver(batch[i], result, None)

                    answering = cast(Callable[[list[T], Callable[[int, R], None]], list[R]],
                                     self.process)
                    results = answering(items, answer)
                else:
                    results = self.process(items)
                if len(results) != len(batch):
                    raise RuntimeError("batch processor returned the wrong number of results")
            except BaseException as exc:  # noqa: BLE001 - handed to every caller of this batch
                for p in batch:
                    _deliver(p, None, exc)
                continue
            for p, result in zip(batch, results):
                _deliver(p, result, None)  # an item answered early: its future is done, kept


def _deliver(p: _Pending[T, R], result: R | None, exc: BaseException | None) -> None:
    try:
        p.loop.call_soon_threadsafe(_resolve, p.future, result, exc)
    except RuntimeError:  # the caller's event loop is closed: nobody is waiting any more
        pass


def _resolve(future: asyncio.Future[R], result: R | None, exc: BaseException | None) -> None:
    if future.done():  # the caller gave up (cancelled / deadline)
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)  # type: ignore[arg-type]  # None only with an exception
