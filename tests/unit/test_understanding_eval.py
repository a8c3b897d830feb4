"""The hand-written evaluation: scoring, canonical values, missing sets, and that nothing on
the training side reads the hand-written files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from finadvisor.evaluation.understanding import (
    REPO_ROOT,
    SETS,
    canonical,
    evaluate_sets,
    load_jsonl,
    utterance_scores,
)
from finadvisor.services.state.nlu import Understanding
from finadvisor.shared.paths import BUNDLED_MODELS_DIR


def test_canonical_values_match_the_ontology_format() -> None:
    assert canonical(12000) == "12000" and canonical(1.5) == "1.5" and canonical(36.0) == "36"
    assert canonical("auto_loan") == "auto_loan"


def test_utterance_scores_count_intents_and_slot_pairs() -> None:
    model = Understanding.load(BUNDLED_MODELS_DIR / "nlu")
    rows = [{"text": "I'm 38", "intent": "inform", "slots": {"age": 38}},
            {"text": "hello there", "intent": "greet", "slots": {}},
            {"text": "I'm 38", "intent": "greet", "slots": {"age": 40}}]
    s = utterance_scores(model, rows)
    assert s["intent_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    # 2 gold pairs, 2 predicted (age 38 twice), 1 right: precision = recall = 0.5
    assert s["slot_f1"] == 0.5


def test_a_missing_set_gives_a_note(tmp_path: Path) -> None:
    out = evaluate_sets(BUNDLED_MODELS_DIR, {"nlu_elsewhere": tmp_path / "absent"})
    assert set(out) == {"nlu_elsewhere"} and "not measured" in out["nlu_elsewhere"]["note"]


def test_the_sets_are_where_the_evaluation_looks() -> None:
    ours = SETS["nlu_handwritten"]
    assert len(load_jsonl(ours / "utterances.jsonl")) >= 150
    assert len(load_jsonl(ours / "dialogues.jsonl")) >= 15


def test_no_training_code_reads_the_hand_written_sets() -> None:
    import inspect

    from finadvisor.services.state import training

    pattern = re.compile(r"handwritten|devset|finadvisor\.evaluation")
    for path in sorted((REPO_ROOT / "finadvisor" / "corpus").glob("*.py")):
        assert not pattern.search(path.read_text()), f"{path.name} mentions the hand-written sets"
    for fn in (training.train, Understanding.fit):
        assert not pattern.search(inspect.getsource(fn))
