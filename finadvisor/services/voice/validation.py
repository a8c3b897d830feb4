"""TRAINING side: the recogniser's validation set, where its settings are chosen.

Corpus validation-split sentences absent from the training split, read by voices that are
neither training, held-out nor dev-set voices (``VALIDATION_VOICES``), in the dev set's two
conditions: white noise at 15-25 dB SNR, or a phone line (a third of them after 25 dB noise).
Two harder conditions were added after them (the first two are drawn as before, so their
figures stay comparable): ``hard``, fast (175-215 words/min) and high (pitch 55-85) readings,
mostly female voices, in the dev set's two conditions (half noisy, half phone line); ``line``,
other phone lines than the dev set's (A-law, other band edges and levels, some after pink or
brown noise).
The voice dev set (devset.py) stays for measuring only; this set is what decoding options, the
front end and the adaptation were compared on (figures in README.md).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import jiwer
import soundfile as sf

from finadvisor.services.voice.text import spoken_form, written_form

#: the calibration voices (synth.CALIBRATION_VARIANTS) and five more used nowhere else
VALIDATION_VOICES = ("en-us+m6", "en-us-nyc", "en-gb+m6", "en-us+female2", "en-gb-x-gbclan",
                     "en-gb-x-rp+m4", "en-029+f2", "en-gb-scotland+m2", "en-us+Andy", "en-us+klatt")
#: female speakers heard by the two harder conditions only (variant names no training voice uses)
VALIDATION_EXTRA_VOICES = ("en-us+Andrea", "en-gb-scotland+belinda", "en-029+aunty", "en-gb-x-rp+anika")
PER_CONDITION = 60
SEED = 99
CONDITIONS = ("noisy", "phone", "hard", "line")


def build(data_dir: Path, out_dir: Path, per_condition: int = PER_CONDITION,
          conditions: tuple[str, ...] = CONDITIONS) -> list[dict[str, Any]]:
    """Synthesise the set into ``out_dir`` (cached: existing clips are kept); returns its rows
    (file, cond, text, spoken, variant), also written to ``out_dir/index.jsonl``."""
    from finadvisor.services.voice.training import load_utterances, speak, speak_through

    out_dir.mkdir(parents=True, exist_ok=True)
    train = {u.spoken for u in load_utterances(data_dir, "train")}
    utts = [u for u in load_utterances(data_dir, "validation") if u.spoken not in train]
    rng = random.Random(SEED)
    rng.shuffle(utts)
    rows = []
    for c, cond in enumerate(("noisy", "phone")):
        for i in range(per_condition):
            u = utts[i + c * per_condition]
            voice = VALIDATION_VOICES[rng.randrange(len(VALIDATION_VOICES))]
            speed, pitch = rng.choice([140, 150, 160, 170, 185]), rng.randint(35, 70)
            snr = (rng.choice([15.0, 18.0, 20.0, 22.0, 25.0]) if cond == "noisy"
                   else rng.choice([None, None, 25.0]))
            name = f"{cond}_{i:03d}.flac"
            samples, tag = speak(u.spoken, voice, speed, pitch, snr, cond == "phone",
                                 seed=5000 + i + 777 * c)
            if not (out_dir / name).exists():
                sf.write(out_dir / name, samples, 16_000, format="FLAC")
            rows.append({"file": name, "cond": cond, "text": u.text, "spoken": u.spoken,
                         "variant": tag})
    # the harder conditions: their own random stream, so the two above are drawn as before
    rng = random.Random(SEED + 1)
    high_voices = VALIDATION_EXTRA_VOICES + ("en-029+f2", "en-us+female2", "en-gb-x-rp+m4", "en-us-nyc")
    for c, cond in enumerate(("hard", "line"), start=2):
        for i in range(per_condition):
            u = utts[(i + c * per_condition) % len(utts)]
            name = f"{cond}_{i:03d}.flac"
            seed = 5000 + i + 777 * c
            if cond == "hard":
                voice = high_voices[rng.randrange(len(high_voices))]
                speed, pitch = rng.choice([175, 185, 195, 205, 215]), rng.randint(55, 85)
                phone = rng.random() < 0.5
                snr = rng.choice([None, 25.0]) if phone else rng.choice([15.0, 18.0, 20.0, 22.0, 25.0])
                samples, tag = speak(u.spoken, voice, speed, pitch, snr, phone, seed=seed)
            else:
                voice = (VALIDATION_VOICES + VALIDATION_EXTRA_VOICES)[
                    rng.randrange(len(VALIDATION_VOICES) + len(VALIDATION_EXTRA_VOICES))]
                speed, pitch = rng.choice([140, 150, 160, 170, 185]), rng.randint(35, 75)
                samples, tag = speak_through(
                    u.spoken, voice, speed, pitch, seed, noise=rng.choice([None, "pink", "brown"]),
                    snr_db=rng.choice([18.0, 22.0, 25.0]), phone=True,
                    low_hz=rng.choice([250.0, 400.0]), high_hz=rng.choice([3000.0, 3300.0]),
                    law="a", gain_db=rng.choice([-10.0, 4.0]))
            if not (out_dir / name).exists():
                sf.write(out_dir / name, samples, 16_000, format="FLAC")
            rows.append({"file": name, "cond": cond, "text": u.text, "spoken": u.spoken,
                         "variant": tag})
    (out_dir / "index.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return [r for r in rows if r["cond"] in conditions]


def wer_by_condition(backend: Any, rows: list[dict[str, Any]], clip_dir: Path) -> dict[str, float]:
    """WER (spoken forms of the written transcripts) per condition and overall, for an
    ``asr.AsrBackend``."""
    samples = [sf.read(clip_dir / r["file"], dtype="float32")[0] for r in rows]
    heard = []
    for i in range(0, len(samples), 8):
        heard += backend.transcribe_batch(samples[i : i + 8])
    hyps = [spoken_form(written_form(h.text)) or "<empty>" for h in heard]
    out = {}
    for cond in sorted({r["cond"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["cond"] == cond]
        out[cond] = round(float(jiwer.wer([rows[i]["spoken"] for i in idx], [hyps[i] for i in idx])), 4)
    out["all"] = round(float(jiwer.wer([r["spoken"] for r in rows], hyps)), 4)
    return out
