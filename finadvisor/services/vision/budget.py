"""A bound on the pixels of the images the vision service holds decoded at once.

Why: one upload is limited to ``MAX_IMAGE_PIXELS`` (40 M, ~120 MB as RGB), but without a bound on
concurrent calls thirteen such PNGs arriving together are decoded side by side into one CNN batch
and held until their OCR is done: 2.3 GB measured. A call therefore reserves its image's pixel
count (read from the header, before any pixel exists) and keeps the reservation until it is
answered; a call whose image does not fit waits, in arrival order, on the event loop, holding no
thread and no pixels. An image larger than the whole budget still runs, alone.

When the last reservation is returned after a large image, the C allocator is asked to hand its
free memory back to the system (glibc ``malloc_trim``), so a burst of large uploads leaves the
process no larger than it was. The vision service also keeps large blocks (an image's pixel
rows) in their own mappings (``map_large_blocks``): glibc otherwise raises that threshold after the
first large free, and each worker thread's heap then keeps the pixels of the last big picture it
saw (measured on 13 concurrent 6300x6300 PNGs: +390 MB at the peak instead of +200 MB).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import ctypes.util
from collections.abc import AsyncIterator
from dataclasses import dataclass

# Trim the allocator when the reservations drain after at least this many pixels (~12 MB RGB).
TRIM_AFTER_PIXELS = 4_000_000
# Allocations of at least this many bytes get their own mapping, returned on free (glibc).
MMAP_THRESHOLD = 4 * 1024 * 1024
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def _libc_function(name: str) -> object | None:
    path = ctypes.util.find_library("c")
    if not path:
        return None
    try:
        return getattr(ctypes.CDLL(path), name)
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


def _malloc_trim() -> None:
    """Return free heap memory to the system where the C library can (glibc); else nothing."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim.argtypes = [ctypes.c_size_t]  # type: ignore[attr-defined]  # a ctypes function, untyped
        trim(0)  # type: ignore[operator]  # a ctypes function, untyped


def map_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Keep allocations of ``threshold`` bytes and more in their own mappings (process-wide, glibc
    only; the vision service calls it at start). True when the allocator took the setting."""
    mallopt = _libc_function("mallopt")
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]  # type: ignore[attr-defined]  # a ctypes function, untyped
    return bool(mallopt(_M_MMAP_THRESHOLD, int(threshold)))  # type: ignore[operator]  # a ctypes function, untyped


@dataclass
class BudgetStats:
    """What the budget saw (for metrics, and for tests of the bound)."""

    reserved: int = 0  # pixels reserved now
    holders: int = 0  # calls holding a reservation now
    peak_reserved: int = 0
    peak_holders: int = 0
    waited: int = 0  # calls that had to wait for pixels
    trims: int = 0


class PixelBudget:
    """An asyncio counting bound in pixels, first come first served."""

    def __init__(self, limit: int, trim: bool = True) -> None:
        if limit < 1:
            raise ValueError("the pixel budget must be positive")
        self.limit = int(limit)
        self.trim = trim
        self.stats = BudgetStats()
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()
        self._since_trim = 0

    def _fits(self, pixels: int) -> bool:
        return self.stats.holders == 0 or self.stats.reserved + pixels <= self.limit

    def _take(self, pixels: int) -> None:
        st = self.stats
        st.reserved += pixels
        st.holders += 1
        st.peak_reserved = max(st.peak_reserved, st.reserved)
        st.peak_holders = max(st.peak_holders, st.holders)
        self._since_trim += pixels

    def _wake(self) -> None:
        while self._waiters:
            pixels, fut = self._waiters[0]
            if fut.done():  # cancelled while waiting
                self._waiters.popleft()
                continue
            if not self._fits(pixels):
                return
            self._waiters.popleft()
            self._take(pixels)
            fut.set_result(None)

    def _give_back(self, pixels: int) -> None:
        self.stats.reserved -= pixels
        self.stats.holders -= 1
        self._wake()
        if self.stats.holders == 0 and self.trim and self._since_trim >= TRIM_AFTER_PIXELS:
            self._since_trim = 0
            self.stats.trims += 1
            _malloc_trim()

    async def acquire(self, pixels: int) -> None:
        """Wait until ``pixels`` fit (alone, if more than the limit); FIFO among waiters."""
        pixels = max(1, int(pixels))
        if not self._waiters and self._fits(pixels):
            self._take(pixels)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((pixels, fut))
        self.stats.waited += 1
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # granted just as the caller went away
                self._give_back(pixels)
            else:
                self._wake()  # a smaller call behind this one may fit now
            raise

    def release(self, pixels: int) -> None:
        self._give_back(max(1, int(pixels)))

    @contextlib.asynccontextmanager
    async def reserve(self, pixels: int) -> AsyncIterator[None]:
        await self.acquire(pixels)
        try:
            yield
        finally:
            self.release(pixels)
