"""Understanding: a tiny model trained here (fast), persistence safety, and the default model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finadvisor.corpus import INTENTS, modality_facts, simulate
from finadvisor.services.state.merge import merge_state, slot_values
from finadvisor.services.state.nlu import (
    CONFIG_FILE,
    INTENT_FILE,
    MAX_TEXT_CHARS,
    Understanding,
    intent_text,
    number_label,
)
from finadvisor.services.state.normalize import find_numbers
from finadvisor.services.state.training import evaluate, evaluate_dialogues, train, user_turns
from finadvisor.shared.artifacts import write_manifest
from finadvisor.shared.errors import InvalidInputError, ModelNotReadyError
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

TINY = {"train": 60, "validation": 5, "test": 15}


@pytest.fixture(scope="module")
def tiny() -> Understanding:
    # A small character vocabulary keeps the fit to a second or two.
    return Understanding.fit(user_turns(simulate(TINY["train"], seed=0, split="train")), char_features=2000)


def test_tiny_model_understands(tiny: Understanding) -> None:
    r = tiny.understand("I'd like to borrow 20,000 euros to buy a car")
    assert set(r.intent_probabilities) <= set(INTENTS)
    assert abs(sum(r.intent_probabilities.values()) - 1.0) < 1e-6
    assert r.intent_confidence == max(r.intent_probabilities.values())
    assert r.intent == "apply_loan"
    got = {(m.slot, m.value) for m in r.mentions}
    assert {("loan_amount", "20000"), ("currency", "EUR"), ("loan_purpose", "car")} <= got
    for m in r.mentions:
        assert 0.0 < m.confidence <= 1.0 and 0 <= m.start < m.end and m.source == "text"


def test_batch_equals_single(tiny: Understanding) -> None:
    texts = ["I earn 4000 a month", "hello", "I'm 40 and have 2 kids"]
    assert tiny.understand_batch(texts) == [tiny.understand(t) for t in texts]
    assert tiny.understand_batch([]) == []


def test_oversized_or_non_text_input_is_invalid(tiny: Understanding) -> None:
    with pytest.raises(InvalidInputError):
        tiny.understand("a" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(InvalidInputError):
        tiny.understand(None)  # type: ignore[arg-type]  # wrong on purpose: the refusal is tested


def test_intent_text_masks_digits_and_adds_cues() -> None:
    text = intent_text("Yep, 15000 please")
    assert "00000" in text and "15000" not in text and "cue_affirm" in text


def test_yearly_income_label_is_learned_from_annotations() -> None:
    (n,) = find_numbers("I earn 60000 a year")
    ann = [{"slot": "monthly_income", "value": "5000", "start": 7, "end": 12}]
    assert number_label(n, ann) == "monthly_income_yearly"
    assert number_label(n, [{"slot": "monthly_income", "value": "60000", "start": 7, "end": 12}]) == "monthly_income"
    assert number_label(n, []) == "none"


def test_save_load_roundtrip_and_tampering(tiny: Understanding, tmp_path: Path) -> None:
    folder = tiny.save(tmp_path / "nlu", metrics={"x": 1}, card="# card\n")
    assert json.loads((folder / "MANIFEST.json").read_text())["files"].keys() >= {INTENT_FILE, CONFIG_FILE}
    loaded = Understanding.load(folder)
    text = "I'm 31, I rent and earn 3,200 dollars a month"
    assert loaded.understand(text) == tiny.understand(text)
    with (folder / INTENT_FILE).open("ab") as f:
        f.write(b"tampered")
    with pytest.raises(ModelNotReadyError, match="checksum"):
        Understanding.load(folder)


def test_untrusted_types_are_refused_even_with_a_valid_manifest(tiny: Understanding, tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.svm import SVC

    folder = tiny.save(tmp_path / "nlu")
    sio.dump(SVC(), folder / INTENT_FILE)
    write_manifest(folder)
    with pytest.raises(ModelNotReadyError):
        Understanding.load(folder)


def test_missing_model_is_not_ready(tmp_path: Path) -> None:
    with pytest.raises(ModelNotReadyError):
        Understanding.load(tmp_path)


def test_train_and_evaluate_contract(tmp_path: Path) -> None:
    metrics = train(tmp_path / "models", tmp_path / "data", seed=0, progress=False, sizes=TINY)
    folder = tmp_path / "models" / "nlu"
    assert (folder / "MODEL_CARD.md").is_file() and (folder / "MANIFEST.json").is_file()
    result = evaluate(tmp_path / "models", tmp_path / "data")
    assert set(result) == {"intent_accuracy", "slot_f1", "joint_goal_accuracy"}
    assert all(0.0 <= v <= 1.0 for v in result.values())
    assert result == {k: metrics[k] for k in result}
    assert result["slot_f1"] > 0.8  # even a tiny model reads most slots


def test_joint_goal_counts_whole_states(tiny: Understanding) -> None:
    dialogues = simulate(5, seed=1, split="validation")
    perfect = evaluate_dialogues(tiny, dialogues)
    # Corrupt one annotated state: joint goal accuracy must drop by exactly that turn.
    first_user = next(t for t in dialogues[0]["turns"] if t["speaker"] == "user")
    n_user = len(user_turns(dialogues))
    first_user["state"] = {**first_user["state"], "age": "999"}
    worse = evaluate_dialogues(tiny, dialogues)
    assert worse["joint_goal_accuracy"] == pytest.approx(perfect["joint_goal_accuracy"] - 1 / n_user, abs=1e-3)


# --------------------------------------------------------------------------- default model
@pytest.fixture(scope="module")
def default() -> Understanding:
    return Understanding.load(BUNDLED_MODELS_DIR / "nlu")


def test_default_model_reads_the_design_example(default: Understanding) -> None:
    text = "I'd like to borrow 15,000 dollars to buy a car"
    r = default.understand(text)
    assert r.intent == "apply_loan"
    got = {m.slot: (m.value, text[m.start : m.end]) for m in r.mentions}
    product = got.pop("product")
    assert got == {"loan_amount": ("15000", "15,000"), "currency": ("USD", "dollars"), "loan_purpose": ("car", "car")}
    # The catalogue rule: a car loan's product, inferred with a lower confidence than what was said.
    assert product[0] == "auto_loan"
    inferred = next(m for m in r.mentions if m.slot == "product")
    assert inferred.confidence < min(m.confidence for m in r.mentions if m.slot != "product")


def test_default_model_tracks_a_dialogue_with_a_correction(default: Understanding) -> None:
    turns = [
        ("I'd like to borrow 15,000 dollars to buy a car", []),
        ("over 3 years", []),
        ("I earn 60000 a year", []),
        ("I'm twenty-nine and self employed", []),
        ("here is my payslip", modality_facts({"kind": "image", "image_type": "payslip",
                                               "fields": {"net_pay": "3850", "currency": "USD"}})),
        ("actually make it 12000", []),
    ]
    state: dict = {}
    for i, (text, facts) in enumerate(turns):
        state, _changed = merge_state(state, default.understand(text).mentions, facts, turn=i)
    assert slot_values(state) == {
        "loan_amount": "12000", "currency": "USD", "loan_purpose": "car", "loan_term_months": "36",
        "monthly_income": "3850", "age": "29", "employment_status": "self_employed", "product": "auto_loan",
    }
    assert state["loan_amount"]["turn"] == 5 and state["monthly_income"]["source"] == "image"


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [("I need 5k", "loan_amount", "5000"), ("I need 5K", "loan_amount", "5000"),
     ("I have 1.2 million to invest", "investment_amount", "1200000"),
     ("I'd like to borrow five thousand", "loan_amount", "5000"),
     ("my net pay is $3,850 a month", "monthly_income", "3850")],
)
def test_default_model_normalises_amounts(default: Understanding, text: str, slot: str, value: str) -> None:
    assert (slot, value) in {(m.slot, m.value) for m in default.understand(text).mentions}
