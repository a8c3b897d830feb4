"""Sections of ``finadvisor eval --json`` measured on data made by other means than any
training data: hand-written turns and dialogues (``../shared/devset``, ``tests/data``), another
renderer, other voices. They live on the measuring side, apart from the training modules, so no
training code reads the hand-written sets; ``finadvisor/training.py`` maps each component to its
function here.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import soundfile as sf


def nlu(models_dir: Path, data_dir: Path) -> dict[str, dict[str, Any]]:
    """``nlu_devset`` and ``nlu_handwritten``: hand-written turns understood as the state
    service understands them, and hand-written dialogues played through the gateway and the
    state service with a real Redis."""
    from finadvisor.evaluation.understanding import evaluate_sets

    return evaluate_sets(Path(models_dir))


def vision(models_dir: Path, data_dir: Path) -> dict[str, dict[str, Any]]:
    """``vision_external``: charts drawn by matplotlib and documents laid out by Chromium."""
    from finadvisor.services.vision.external import evaluate_external

    return evaluate_external(models_dir, data_dir)


def generator(models_dir: Path, data_dir: Path) -> dict[str, dict[str, Any]]:
    """``dialogue_devset``, ``dialogue_handwritten`` and ``dialogue_simulated``: the dialogue
    manager and the generator measured on whole conversations."""
    from finadvisor.dialogue.evaluate import evaluate_external

    return evaluate_external(models_dir, data_dir)


def voice(models_dir: Path, data_dir: Path) -> dict[str, dict[str, Any]]:
    """``voice_devset``: people's hand-written turns spoken by dev-set voices (devset.py), end
    to end from WAV bytes through the default engine; WER, and the state tracker's reading of
    each transcript against the annotation and against the same turn typed; the calibrated
    confidence measured against that outcome; figures per recording condition."""
    from finadvisor.services.voice import devset
    from finadvisor.services.voice.confidence import calibration_report
    from finadvisor.services.voice.engine import COMPONENT, DEFAULT_ASR, VoiceEngine
    from finadvisor.services.voice.synth import to_wav_bytes
    from finadvisor.services.voice.training import same_reading, served_understanding

    models_dir, data_dir = Path(models_dir), Path(data_dir)
    turns, note = devset.load_turns()
    if not turns:
        return {"voice_devset": {"skipped": note}}
    nlu = served_understanding()
    if nlu is None:
        return {"voice_devset": {"skipped": "no NLU model to read the transcripts"}}
    clips = devset.build_clips(turns, data_dir / "voice" / "devset")
    engine = VoiceEngine.load(models_dir / COMPONENT, asr_backend=DEFAULT_ASR)
    transcripts, confidences = [], []
    proc = audio = 0.0
    try:
        for c in clips:
            samples, sr = sf.read(c.path, dtype="float32")
            data = to_wav_bytes(samples, sr)
            t = time.perf_counter()
            result = engine.analyze_sync(data, "audio/wav")
            proc += time.perf_counter() - t
            audio += len(samples) / sr
            transcripts.append(result.transcript)
            confidences.append(result.transcript_confidence)
    finally:
        engine.close()
    section: dict[str, Any] = devset.score(clips, transcripts, nlu)
    right = same_reading(nlu, [c.turn.text for c in clips], transcripts)
    section["calibration"] = calibration_report(confidences, right)
    by_condition: dict[str, list[int]] = {}
    for i, c in enumerate(clips):
        cond = "phone" if c.variant.endswith("_phone") else ("noisy" if "_snr" in c.variant else "clean")
        by_condition.setdefault(cond, []).append(i)
    section["by_condition"] = {
        cond: {k: v for k, v in devset.score([clips[i] for i in idx], [transcripts[i] for i in idx],
                                             nlu).items() if k in ("wer", "slot_f1", "intent_accuracy", "n_clips")}
        for cond, idx in sorted(by_condition.items())
    }
    section["real_time_factor"] = round(proc / audio, 4) if audio else 0.0
    section["asr_backend"] = engine.asr.name
    section["voices"] = sorted({c.variant for c in clips})
    if note:
        section["note"] = note
    return {"voice_devset": section}
