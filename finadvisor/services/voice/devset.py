"""The voice dev set: people's words, spoken by voices no model here was built with.

The held-out figures of ``training.evaluate`` read corpus sentences, i.e. the simulator's
phrasings, which the recogniser's domain language model was built from. This set reads turns
that people wrote by hand instead: the shared dev set (``../shared/devset/utterances.jsonl``)
and the voice team's own turns (``tests/data/voice_handwritten.jsonl``), each by two of
``synth.DEVSET_VARIANTS`` (voices, speeds and pitches used nowhere else, with noise and a phone
line), and asks the question that matters for the dialogue: does the state tracker read the
same intent and slots from the transcript as from the same turn typed?

It is for measuring only: nothing is trained, tuned or calibrated on it (confidence.py
calibrates on corpus validation sentences read by other voices and is only *reported* here).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import soundfile as sf
import soxr

from finadvisor.services.voice.synth import DEVSET_VARIANTS, VoiceVariant, synthesize
from finadvisor.services.voice.text import spoken_form
from finadvisor.shared.paths import PACKAGE_DIR

SAMPLE_RATE = 16_000
READINGS_PER_TURN = 2
#: the voice team's own hand-written turns (people's wording, not the corpus's)
HANDWRITTEN_FILE = PACKAGE_DIR.parent / "tests" / "data" / "voice_handwritten.jsonl"
SEED = 2112


@dataclass(frozen=True)
class DevTurn:
    text: str  # as typed
    intent: str
    slots: dict[str, str]  # canonical string values
    origin: str  # "shared" or "handwritten"


@dataclass(frozen=True)
class DevClip:
    turn: DevTurn
    spoken: str  # the WER reference
    variant: str
    path: Path


def devset_dir() -> Path | None:
    """``FINADVISOR_DEVSET_DIR``, else the shared dev set beside the repository
    (``<repo>/../shared/devset``); None when neither exists."""
    env = os.environ.get("FINADVISOR_DEVSET_DIR")
    for cand in ([Path(env)] if env else []) + [PACKAGE_DIR.parent.parent / "shared" / "devset"]:
        if (cand / "utterances.jsonl").is_file():
            return cand
    return None


def canonical(value: Any) -> str:
    """A dev-set slot value in the state's canonical string form (15000.0 -> "15000")."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_turns(path: Path, origin: str) -> list[DevTurn]:
    turns = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                slots = {k: canonical(v) for k, v in (row.get("slots") or {}).items()}
                turns.append(DevTurn(row["text"], row["intent"], slots, origin))
    return turns


def load_turns() -> tuple[list[DevTurn], str]:
    """Every dev turn, and a note saying what was missing (empty when all was found)."""
    turns: list[DevTurn] = []
    notes = []
    shared = devset_dir()
    if shared is None:
        notes.append("shared dev set not found (../shared/devset or FINADVISOR_DEVSET_DIR)")
    else:
        turns += _read_turns(shared / "utterances.jsonl", "shared")
    if HANDWRITTEN_FILE.is_file():
        turns += _read_turns(HANDWRITTEN_FILE, "handwritten")
    else:
        notes.append(f"{HANDWRITTEN_FILE.name} not found")
    return turns, "; ".join(notes)


def build_clips(turns: Sequence[DevTurn], out_dir: Path,
                variants: Sequence[VoiceVariant] = DEVSET_VARIANTS) -> list[DevClip]:
    """Synthesise each turn ``READINGS_PER_TURN`` times with different dev voices (cached by
    content in ``out_dir``, so a second run only reads files)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    clips = []
    for i, turn in enumerate(turns):
        spoken = spoken_form(turn.text)
        start = rng.randrange(len(variants))
        for k in range(READINGS_PER_TURN):
            v = variants[(start + k) % len(variants)]
            name = f"{turn.origin}_{i:03d}_{k}_{_slug(v.tag)}.flac"
            path = out_dir / name
            marker = out_dir / (name + ".txt")
            if not (path.is_file() and marker.is_file() and marker.read_text() == f"{spoken}\n{v.tag}"):
                samples, sr = synthesize(spoken, v, seed=SEED * 1000 + i * 10 + k)
                samples = soxr.resample(samples, sr, SAMPLE_RATE).astype(np.float32)
                sf.write(path, samples, SAMPLE_RATE, format="FLAC")
                marker.write_text(f"{spoken}\n{v.tag}")
            clips.append(DevClip(turn, spoken, v.tag, path))
    return clips


def _slug(tag: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in tag)


def _slot_counts(mentions: Any) -> Counter[tuple[str, str]]:
    """(slot, value) pairs the NLU read; a slot read twice with one value counts once, as the
    state would hold it once."""
    return Counter({(m.slot, m.value): 1 for m in mentions})


def _f1(tp: int, fp: int, fn: int) -> float:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return 2 * p * r / (p + r) if p + r else 0.0


def score(clips: Sequence[DevClip], transcripts: Sequence[str], nlu: Any) -> dict[str, Any]:
    """WER, and the NLU's reading of each transcript against the annotation and against the
    same turn typed. ``nlu``: the state service's ``Understanding`` (its public
    ``understand_batch``)."""
    refs = [c.spoken for c in clips]
    hyps = [spoken_form(t) for t in transcripts]
    wer = float(jiwer.wer(refs, [h if h else "<empty>" for h in hyps]))
    typed = nlu.understand_batch([c.turn.text for c in clips])
    heard = nlu.understand_batch(list(transcripts), ["audio"] * len(clips))
    tp = fp = fn = ttp = tfp = tfn = atp = afp = afn = 0
    intent_ok = intent_typed_ok = intent_agree = same_reading = 0
    for clip, t, h in zip(clips, typed, heard, strict=True):
        gold = Counter(dict.fromkeys(clip.turn.slots.items(), 1))
        pt, ph = _slot_counts(t.mentions), _slot_counts(h.mentions)
        for pred, acc in ((ph, "speech"), (pt, "typed")):
            hit = sum((pred & gold).values())
            if acc == "speech":
                tp, fp, fn = tp + hit, fp + sum(pred.values()) - hit, fn + sum(gold.values()) - hit
            else:
                ttp, tfp, tfn = ttp + hit, tfp + sum(pred.values()) - hit, tfn + sum(gold.values()) - hit
        agree = sum((ph & pt).values())
        atp, afp, afn = atp + agree, afp + sum(ph.values()) - agree, afn + sum(pt.values()) - agree
        intent_ok += h.intent == clip.turn.intent
        intent_typed_ok += t.intent == clip.turn.intent
        intent_agree += h.intent == t.intent
        same_reading += h.intent == t.intent and ph == pt
    n = len(clips)
    slot_f1, slot_f1_typed = _f1(tp, fp, fn), _f1(ttp, tfp, tfn)
    return {
        "wer": round(wer, 4),
        "slot_f1": round(slot_f1, 4),
        "intent_accuracy": round(intent_ok / n, 4),
        "slot_f1_typed": round(slot_f1_typed, 4),
        "intent_accuracy_typed": round(intent_typed_ok / n, 4),
        "slot_f1_speech_over_typed": round(slot_f1 / slot_f1_typed, 4) if slot_f1_typed else 0.0,
        "slot_f1_vs_typed_reading": round(_f1(atp, afp, afn), 4),
        "intent_agreement_with_typed": round(intent_agree / n, 4),
        "same_reading_as_typed": round(same_reading / n, 4),
        "n_clips": n,
    }


def transcribe_all(clips: Sequence[DevClip], transcribe: Callable[[np.ndarray], Any]
                   ) -> tuple[list[Any], float, float]:
    """Run ``transcribe`` (samples -> Transcript) over the clips; (results, seconds, audio s)."""
    out = []
    proc = audio = 0.0
    for c in clips:
        samples, _sr = sf.read(c.path, dtype="float32")
        t = time.perf_counter()
        out.append(transcribe(samples))
        proc += time.perf_counter() - t
        audio += len(samples) / SAMPLE_RATE
    return out, proc, audio
