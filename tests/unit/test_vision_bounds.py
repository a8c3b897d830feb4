"""Bounds of the vision engine, on the real engine with real decoding: the pixels decoded at once
(concurrent calls wait for their turn), the decoded pictures let go once answered, and a call
whose deadline passed or whose caller went away starts no decoding and no OCR run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from finadvisor.services.vision.budget import PixelBudget
from finadvisor.services.vision.engine import VisionEngine
from finadvisor.services.vision.images import ImageLimits, probe_image
from finadvisor.services.vision.ocr_engines import ocr_status
from finadvisor.services.vision.render import render_sample, sample_seed
from finadvisor.shared.errors import InvalidInputError
from tests.unit.vision_tiny import png_bytes

SIDE = 1200  # 1.44 M pixels per upload
BUDGET = 3_000_000  # two such uploads fit, a third waits


@pytest.fixture(scope="module")
def big_pngs() -> list[bytes]:
    rng = np.random.default_rng(0)
    return [png_bytes(Image.fromarray(rng.integers(0, 255, (SIDE, SIDE, 3), dtype=np.uint8)))
            for _ in range(3)]


def _engine(folder: Path, budget: int = BUDGET, **kw: object) -> VisionEngine:
    limits = ImageLimits(max_pixels_in_flight=budget)
    return VisionEngine(limits=limits, batch_window_ms=20, **kw).load(folder)  # type: ignore[arg-type]  # engine options of the right types


async def test_concurrent_decodes_never_exceed_the_pixel_budget(tiny_folder: Path,
                                                                big_pngs: list[bytes]) -> None:
    engine = _engine(tiny_folder)
    blobs = [big_pngs[i % 3] for i in range(13)]
    results = await asyncio.gather(*(engine.analyze(b, "image/png", skip_ocr=True) for b in blobs))
    assert len(results) == 13 and all(r.width == SIDE for r in results)
    # Without the budget the 13 calls land in one batch and are decoded side by side (13 alive).
    assert engine.stats.peak_live_pixels <= BUDGET
    assert engine.stats.peak_live_images == 2
    assert engine.budget.stats.peak_reserved <= BUDGET and engine.budget.stats.waited >= 11
    # Every decoded picture has been let go, and every reservation returned.
    assert engine.stats.live_images == 0 and engine.stats.live_pixels == 0
    assert engine.budget.stats.reserved == 0 and engine.budget.stats.holders == 0
    await engine.aclose()


async def test_an_image_larger_than_the_budget_runs_alone(tiny_folder: Path,
                                                          big_pngs: list[bytes]) -> None:
    engine = _engine(tiny_folder, budget=1_000_000)
    results = await asyncio.gather(*(engine.analyze(b, "image/png", skip_ocr=True) for b in big_pngs))
    assert len(results) == 3 and engine.stats.peak_live_images == 1
    await engine.aclose()


async def test_a_bad_upload_is_refused_from_its_header_without_a_reservation(tiny_folder: Path) -> None:
    engine = _engine(tiny_folder)
    with pytest.raises(InvalidInputError):
        await engine.analyze(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png")
    assert engine.budget.stats.peak_holders == 0 and engine.stats.peak_live_images == 0
    await engine.aclose()


async def test_a_call_past_its_deadline_is_not_decoded(tiny_folder: Path, big_pngs: list[bytes]) -> None:
    engine = _engine(tiny_folder)
    with pytest.raises(TimeoutError):
        await engine.analyze(big_pngs[0], "image/png", timeout=0.0)
    # The deadline passes while the call waits for pixels held by others: still no decoding.
    await engine.budget.acquire(BUDGET)
    waiting = asyncio.create_task(engine.analyze(big_pngs[1], "image/png", timeout=0.01))
    await asyncio.sleep(0.05)
    engine.budget.release(BUDGET)
    with pytest.raises(TimeoutError):
        await waiting
    assert engine.stats.peak_live_images == 0 and engine.stats.images == 0
    assert engine.stats.stopped == 2 and engine.budget.stats.holders == 0
    await engine.aclose()


async def test_a_cancelled_call_is_not_decoded(tiny_folder: Path, big_pngs: list[bytes]) -> None:
    engine = _engine(tiny_folder)
    await engine.budget.acquire(BUDGET)
    waiting = asyncio.create_task(engine.analyze(big_pngs[0], "image/png"))
    await asyncio.sleep(0.02)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    engine.budget.release(BUDGET)
    assert engine.stats.peak_live_images == 0 and engine.budget.stats.holders == 0
    assert not engine.budget._waiters  # the cancelled waiter is gone
    # The engine goes on serving.
    assert (await engine.analyze(big_pngs[0], "image/png", skip_ocr=True)).width == SIDE
    await engine.aclose()


@pytest.mark.skipif(not ocr_status()[0], reason=ocr_status()[1])
async def test_no_ocr_run_starts_after_the_deadline(tiny_folder: Path) -> None:
    engine = _engine(tiny_folder, ocr_concurrency=1)
    sample = render_sample("payslip", sample_seed(41, "heldout", 0), "heldout", degrade=0.0)
    png = png_bytes(sample.image)
    engine._ocr_slots.acquire()  # every OCR slot busy: the call waits for one past its deadline
    call = asyncio.create_task(engine.analyze(png, "image/png", timeout=0.05))
    await asyncio.sleep(0.1)
    engine._ocr_slots.release()
    with pytest.raises(TimeoutError):
        await call
    assert engine.stats.images == 1 and engine.stats.stopped == 1  # classified, never read
    # With time left the same page is read (the refusal above was the deadline's doing).
    read = await engine.analyze(png, "image/png", timeout=60.0)
    assert read.ocr_engine != ""
    await engine.aclose()


async def test_budget_is_first_come_first_served() -> None:
    budget = PixelBudget(10, trim=False)
    await budget.acquire(8)
    order: list[str] = []

    async def take(name: str, pixels: int) -> None:
        await budget.acquire(pixels)
        order.append(name)

    big = asyncio.create_task(take("big", 6))
    await asyncio.sleep(0)
    small = asyncio.create_task(take("small", 1))  # would fit now, but waits behind "big"
    await asyncio.sleep(0.01)
    assert order == []
    budget.release(8)
    await asyncio.gather(big, small)
    assert order == ["big", "small"] and budget.stats.reserved == 7


def test_probe_reads_the_size_from_the_header_alone() -> None:
    png = png_bytes(Image.new("RGB", (300, 200), (0, 0, 0)))
    assert probe_image(png, "image/png") == (300, 200)
    with pytest.raises(InvalidInputError):
        probe_image(png, "image/jpeg")


async def test_a_call_cancelled_mid_reading_keeps_its_pixels_until_the_reading_stops(
        tiny_folder: Path, big_pngs: list[bytes]) -> None:
    engine = _engine(tiny_folder, ocr_concurrency=1)
    engine._ocr_slots.acquire()  # the reading thread waits for an OCR slot
    call = asyncio.create_task(engine.analyze(big_pngs[0], "image/png"))
    for _ in range(3000):  # until classified: the call is then in its reading thread
        if engine.stats.images:
            break
        await asyncio.sleep(0.01)
    assert engine.stats.images == 1
    call.cancel()
    await asyncio.sleep(0.02)
    assert engine.budget.stats.holders == 1  # still reserved: the picture is alive
    engine._ocr_slots.release()
    with pytest.raises(asyncio.CancelledError):
        await call
    # The thread saw the cancellation before any OCR run and let the picture go.
    assert engine.stats.stopped == 1 and engine.stats.live_images == 0
    assert engine.budget.stats.holders == 0
    await engine.aclose()
