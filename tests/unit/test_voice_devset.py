"""The voice dev set's pieces: written form of transcripts, phone-line audio, the scoring of
transcripts through the state tracker, and confidence calibration."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from finadvisor.services.voice import devset
from finadvisor.services.voice.confidence import LOW_CONFIDENCE, Calibration, calibration_report
from finadvisor.services.voice.synth import (
    ACCENT_VARIANTS,
    ADAPTATION_VARIANTS,
    CALIBRATION_VARIANTS,
    DEVSET_VARIANTS,
    ENGLISH_ACCENTS,
    HELDOUT_VARIANTS,
    TRAIN_VARIANTS,
    phone_band,
)
from finadvisor.services.voice.text import spoken_form, written_form
from finadvisor.services.voice.validation import VALIDATION_VOICES


@pytest.mark.parametrize(("said", "typed"), [
    ("I want to borrow fifteen thousand dollars", "I want to borrow 15000 dollars"),
    ("about two point one thousand pounds monthly", "about 2100 pounds monthly"),
    ("I am forty-two years old", "I am 42 years old"),
    ("a hundred and fifty euros", "150 euros"),
    ("a loan of three grand", "a loan of 3000"),
    ("eighteen months would be ideal", "18 months would be ideal"),
    ("one point five million", "1500000"),
    ("we have three kids", "we have three kids"),  # one small number word reads fine as is
    ("I want one loan", "I want one loan"),
    ("I'd like to borrow $15,000.", "I'd like to borrow $15,000."),  # already as typed
    # Whisper's own mix of digits and a scale word
    ("It's $1.5 million.", "It's $1500000."),
    ("about 20 thousand pounds", "about 20000 pounds"),
    ("1.25 million euros", "1250000 euros"),
])
def test_written_form_writes_spoken_numbers_as_digits(said: str, typed: str) -> None:
    assert written_form(said) == typed


def test_written_and_spoken_forms_agree_on_the_words_said() -> None:
    """WER compares spoken forms, so a transcript in written form must come back to the words."""
    # ("a hundred" comes back as "one hundred": one substitution, as Whisper's own digits give)
    for s in ("I want to borrow fifteen thousand dollars", "twenty five years", "one hundred and fifty"):
        assert spoken_form(written_form(s)) == spoken_form(s)


def test_phone_band_removes_what_a_phone_line_cannot_carry() -> None:
    sr = 16_000
    t = np.arange(sr, dtype=np.float32) / sr
    low, mid, high = (np.sin(2 * np.pi * f * t).astype(np.float32) * 0.3 for f in (100.0, 1000.0, 6000.0))
    out = [phone_band(x, sr) for x in (low, mid, high)]
    assert all(o.shape[0] == pytest.approx(sr, abs=4) for o in out)
    rms = [float(np.sqrt(np.mean(o[2000:-2000] ** 2))) for o in out]
    assert rms[1] > 0.15  # speech band passes
    assert rms[0] < 0.3 * rms[1]  # mains hum / rumble below 300 Hz is cut
    assert rms[2] < 0.01  # nothing above 4 kHz survives 8 kHz sampling


def test_devset_voices_are_used_nowhere_else() -> None:
    def key(v):
        return v.voice

    dev = {key(v) for v in DEVSET_VARIANTS}
    for other in (TRAIN_VARIANTS, HELDOUT_VARIANTS, CALIBRATION_VARIANTS):
        assert not dev & {key(v) for v in other}
    assert any(v.phone for v in DEVSET_VARIANTS) and any(v.snr_db for v in DEVSET_VARIANTS)


def _accent(voice: str) -> str:
    base = voice.split("+")[0]
    return "en-gb" if base == "en" else base  # "en+m7": how a British variant is spelt


def test_no_training_voice_is_an_evaluation_voice() -> None:
    """No accent+variant an evaluation set reads with (held-out, dev set, calibration,
    recogniser validation) is a voice of the encoder's training or the recogniser's adaptation,
    whatever its speed, pitch or noise; no dev-set variant is used with any accent."""
    evaluation = {v.voice for v in HELDOUT_VARIANTS + DEVSET_VARIANTS + CALIBRATION_VARIANTS}
    evaluation |= set(VALIDATION_VOICES)
    training = {v.voice for v in TRAIN_VARIANTS + ADAPTATION_VARIANTS}
    assert not training & evaluation
    # "en+m7" and "en-gb+m7" are one voice
    assert not {f"{_accent(t)}+{t.split('+')[1]}" for t in training if "+" in t} & evaluation
    dev_variants = {v.voice.split("+")[1] for v in DEVSET_VARIANTS if "+" in v.voice}
    assert not {t.split("+")[1] for t in training if "+" in t} & dev_variants
    training_tags = {v.tag for v in TRAIN_VARIANTS + ADAPTATION_VARIANTS}
    evaluation_tags = {v.tag for v in HELDOUT_VARIANTS + DEVSET_VARIANTS + CALIBRATION_VARIANTS}
    assert not training_tags & evaluation_tags


def test_adaptation_hears_every_english_accent_with_several_speakers() -> None:
    accents = {_accent(v.voice) for v in ADAPTATION_VARIANTS}
    assert accents == set(ENGLISH_ACCENTS)
    for accent in ENGLISH_ACCENTS:
        speakers = {v.voice for v in ACCENT_VARIANTS if _accent(v.voice) == accent}
        assert len(speakers) >= 2, accent


def test_accent_variants_are_other_speakers_than_their_accent() -> None:
    """espeak-ng silently reads an unknown variant, or any variant of "en-gb", as the plain
    accent: each added adaptation voice must really be another speaker."""
    from finadvisor.services.voice.synth import VoiceVariant, espeak_available, synthesize

    if not espeak_available():
        pytest.skip("espeak-ng is not installed")
    plain = {}
    for v in ACCENT_VARIANTS:
        accent = _accent(v.voice)
        if accent not in plain:
            plain[accent] = synthesize("hello there", VoiceVariant(accent))[0]
        own = synthesize("hello there", VoiceVariant(v.voice))[0]
        assert own.shape != plain[accent].shape or not np.array_equal(own, plain[accent]), v.voice


def test_handwritten_turns_are_well_formed() -> None:
    from finadvisor.ontology import INTENTS, SLOTS

    rows = [json.loads(line) for line in devset.HANDWRITTEN_FILE.read_text().splitlines() if line.strip()]
    assert len(rows) >= 40
    assert len({r["text"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == {"text", "intent", "slots"}
        assert r["intent"] in INTENTS, r
        assert set(r["slots"]) <= set(SLOTS), r


@dataclass
class _Mention:
    slot: str
    value: str


@dataclass
class _Reading:
    intent: str
    mentions: list[_Mention] = field(default_factory=list)


class _RuleNLU:
    """A deterministic stand-in for the state tracker, so the scoring arithmetic is tested on
    its own (the real tracker is measured by ``finadvisor eval``)."""

    def understand_batch(self, texts, sources=None):
        out = []
        for t in texts:
            low = t.lower()
            intent = "apply_loan" if "borrow" in low else "greet" if "hello" in low else "other"
            mentions = [_Mention("loan_amount", w) for w in low.split() if w.isdigit()]
            out.append(_Reading(intent, mentions))
        return out


def test_score_compares_the_heard_reading_with_the_typed_one(tmp_path: Path) -> None:
    turns = [
        devset.DevTurn("I want to borrow 5000", "apply_loan", {"loan_amount": "5000"}, "handwritten"),
        devset.DevTurn("hello there", "greet", {}, "handwritten"),
    ]
    clips = [devset.DevClip(t, spoken_form(t.text), "v", tmp_path / f"{i}.flac") for i, t in enumerate(turns)]
    perfect = devset.score(clips, ["I want to borrow 5000", "hello there"], _RuleNLU())
    assert perfect["wer"] == 0.0 and perfect["slot_f1"] == 1.0 and perfect["intent_accuracy"] == 1.0
    misheard = devset.score(clips, ["I want tomorrow 6000", "hello bear"], _RuleNLU())
    # spoken forms: "i want to borrow five thousand" / "i want tomorrow six thousand" (to ->
    # tomorrow, borrow deleted, five -> six) and "hello there" / "hello bear": 4 errors, 8 words
    assert misheard["wer"] == pytest.approx(4 / 8, abs=1e-3)
    assert misheard["slot_f1"] == 0.0 and misheard["intent_accuracy"] == 0.5
    assert misheard["slot_f1_typed"] == 1.0 and misheard["same_reading_as_typed"] == 0.5


def test_canonical_values_match_the_state_s_strings() -> None:
    assert devset.canonical(15000) == "15000"
    assert devset.canonical(15000.0) == "15000"
    assert devset.canonical(2.5) == "2.5"
    assert devset.canonical("auto_loan") == "auto_loan"


def test_calibration_turns_an_overconfident_score_into_a_probability(tmp_path: Path) -> None:
    """Raw scores that say 0.9 while only ~half the transcripts are right come out near the
    observed rate, monotone in the raw score, and survive a save/load round trip."""
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.6, 0.99, 400)
    right = rng.uniform(0, 1, 400) < (raw - 0.6) / 0.39  # right more often as raw rises
    cal = Calibration.fit("whisper", raw.tolist(), right.tolist(), "synthetic")
    calibrated = np.array([cal(r) for r in raw])
    assert abs(calibrated.mean() - right.mean()) < 0.05
    assert cal(0.95) > cal(0.7)
    before = calibration_report(raw.tolist(), right.tolist())
    after = calibration_report(calibrated.tolist(), right.tolist())
    assert after["ece"] < before["ece"] and after["brier"] < before["brier"]
    cal.save(tmp_path)
    assert Calibration.load(tmp_path, "whisper") == cal
    assert Calibration.load(tmp_path, "pocketsphinx").n_fitted == 0  # not this backend's
    assert cal(0.0) == 0.0  # an empty transcript is never trusted
    assert 0.0 < LOW_CONFIDENCE < 1.0
