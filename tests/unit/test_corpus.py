"""The dialogue corpus: determinism, coverage, annotation consistency, splits, loader errors."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from finadvisor.corpus import (
    INTENTS,
    SLOTS,
    build_corpus,
    ensure_corpus,
    load_dialogues,
    load_split,
    modality_facts,
    simulate,
    write_dialogues,
)
from finadvisor.corpus.ontology import ADVISOR_EXTRA_PLACEHOLDERS, CATEGORICAL_VALUES, NUMERIC_SLOTS
from finadvisor.corpus.splits import held_out_template_ids, templates_for
from finadvisor.corpus.templates import USER_TEMPLATES
from finadvisor.services.state.normalize import (
    find_numbers,
    find_phrases,
    normalize_currency,
    normalize_number_for_slot,
)
from finadvisor.shared.errors import InvalidInputError


@pytest.fixture(scope="module")
def dialogues() -> list[dict[str, Any]]:
    return simulate(400, seed=7, split="train")


def _user_turns(dialogues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for d in dialogues for t in d["turns"] if t["speaker"] == "user"]


def test_simulation_is_seeded() -> None:
    assert simulate(20, seed=3, split="train") == simulate(20, seed=3, split="train")
    assert simulate(20, seed=3, split="train") != simulate(20, seed=4, split="train")


def test_every_intent_slot_and_modality_is_covered(dialogues: list[dict[str, Any]]) -> None:
    turns = _user_turns(dialogues)
    assert {t["intent"] for t in turns} == set(INTENTS)
    assert {s["slot"] for t in turns for s in t["slots"]} == set(SLOTS)
    for slot, values in CATEGORICAL_VALUES.items():
        seen = {s["value"] for t in turns for s in t["slots"] if s["slot"] == slot}
        assert seen == set(values), slot
    kinds = {(t["modality"] or {}).get("image_type") or (t["modality"] or {}).get("kind") for t in turns}
    assert {"payslip", "audio", None} <= kinds and kinds & {"line_chart", "bar_chart", "pie_chart"}


def test_hundreds_of_templates_several_per_act() -> None:
    assert sum(len(ts) for _i, ts in USER_TEMPLATES.values()) >= 400
    assert all(len(ts) >= 5 for _i, ts in USER_TEMPLATES.values())


def test_surface_variety(dialogues: list[dict[str, Any]]) -> None:
    texts = [t["text"] for t in _user_turns(dialogues)]
    joined = "\n".join(texts)
    assert re.search(r"\d+k\b", joined, re.IGNORECASE)  # shorthand
    assert re.search(r"\d,\d{3}", joined)  # separators
    assert re.search(r"\b(thousand|twenty|thirty|forty|fifty)\b", joined)  # words
    assert any(sym in joined for sym in "$€£")  # symbols
    assert re.search(r"\b(a year|per year|annually|per annum)\b", joined, re.IGNORECASE)
    assert any(t == t.lower() and re.search("[a-z]", t) for t in texts)  # casing varies
    assert any(t == t.upper() and re.search("[A-Z]{3}", t) for t in texts)


def test_spans_normalise_to_the_annotated_values(dialogues: list[dict[str, Any]]) -> None:
    """The simulator and the normalisers agree on every annotated span."""
    for t in _user_turns(dialogues):
        for s in t["slots"]:
            span = t["text"][s["start"] : s["end"]]
            assert span.strip() == span and span, (t["text"], s)
            slot, value = s["slot"], s["value"]
            if slot == "currency":
                assert normalize_currency(span) == value
            elif slot in NUMERIC_SLOTS:
                nums = find_numbers(span)
                if not nums:  # a literal zero phrase such as "no kids"
                    assert value == "0", (t["text"], s)
                    continue
                got = {normalize_number_for_slot(slot, nums[0]),
                       normalize_number_for_slot(slot, nums[0], yearly=True)}
                assert value in got, (t["text"], s)
            else:
                read = {(m.slot, m.value) for m in find_phrases(t["text"])[0]
                        if m.start < s["end"] and s["start"] < m.end}
                assert read == {(slot, value)}, (t["text"], s)


def test_state_is_the_running_merge_of_annotations(dialogues: list[dict[str, Any]]) -> None:
    for d in dialogues:
        state: dict[str, str] = {}
        for t in d["turns"]:
            if t["speaker"] != "user":
                continue
            for s in t["slots"]:
                state[s["slot"]] = s["value"]
            for f in modality_facts(t["modality"]):
                state[f["slot"]] = f["value"]
            assert t["state"] == state


def test_corrections_overwrite_and_payslips_fill_income(dialogues: list[dict[str, Any]]) -> None:
    corrections = payslips = 0
    for d in dialogues:
        prev: dict[str, str] = {}
        for t in d["turns"]:
            if t["speaker"] != "user":
                continue
            if t["template_id"].startswith("correct.loan_amount") and "loan_amount" in prev:
                corrections += 1
                assert t["state"]["loan_amount"] != prev["loan_amount"]
            if (t["modality"] or {}).get("image_type") == "payslip":
                payslips += 1
                assert t["state"]["monthly_income"] == t["modality"]["fields"]["net_pay"]
            prev = t["state"]
    assert corrections > 10 and payslips > 10


def test_yearly_incomes_are_annotated_monthly(dialogues: list[dict[str, Any]]) -> None:
    yearly = [t for t in _user_turns(dialogues) if t["template_id"].startswith("inform.monthly_income.yearly")]
    assert yearly
    for t in yearly:
        (s,) = [s for s in t["slots"] if s["slot"] == "monthly_income"]
        (n,) = find_numbers(t["text"][s["start"] : s["end"]])
        assert Decimal(s["value"]) * 12 == n.value


def test_advisor_turns_are_delexicalised(dialogues: list[dict[str, Any]]) -> None:
    allowed = set(SLOTS) | set(ADVISOR_EXTRA_PLACEHOLDERS)
    for d in dialogues:
        for t in d["turns"]:
            if t["speaker"] == "advisor":
                assert set(re.findall(r"\[(\w+)\]", t["delex"])) <= allowed
                assert not re.search(r"\[\w+\]", t["text"]), t
                assert t["act"]


def test_advisor_turns_carry_the_dialogue_managers_acts(dialogues: list[dict[str, Any]]) -> None:
    # The simulated advisor speaks the dialogue manager's acts (finadvisor.dialogue): the act
    # string names them in order, and no request asks for a slot the user's state holds.
    from finadvisor.dialogue.acts import ACT_NAMES

    for d in dialogues[:100]:
        turns = d["turns"]
        for user, advisor in zip(turns[::2], turns[1::2], strict=False):
            names = [a["name"] for a in advisor["acts"]]
            assert advisor["act"] == "+".join(names) and set(names) <= set(ACT_NAMES)
            for a in advisor["acts"]:
                if a["name"] == "request":
                    assert a["args"]["slot"] not in user["state"]


def test_splits_are_disjoint_and_test_templates_held_out() -> None:
    held = held_out_template_ids()
    assert held
    train, validation, test = (simulate(60, seed=0, split=s) for s in ("train", "validation", "test"))
    ids = [{d["dialogue_id"] for d in ds} for ds in (train, validation, test)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    for ds in (train, validation):
        assert not {t["template_id"] for t in _user_turns(ds)} & held
    assert {t["template_id"] for t in _user_turns(test)} <= held
    assert {tid for group in templates_for("test").values() for tid, _t in group} == held


def test_build_and_ensure_corpus(tmp_path: Path) -> None:
    sizes = {"train": 8, "validation": 3, "test": 4}
    folder = build_corpus(tmp_path, seed=1, sizes=sizes)
    assert len(load_split(tmp_path, "train")) == 8 and len(load_split(tmp_path, "test")) == 4
    stamp = (folder / "train.jsonl").stat().st_mtime_ns
    ensure_corpus(tmp_path, seed=1, sizes=sizes)
    assert (folder / "train.jsonl").stat().st_mtime_ns == stamp  # built once
    ensure_corpus(tmp_path, seed=2, sizes=sizes)
    assert json.loads((folder / "meta.json").read_text())["seed"] == 2


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "bank.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD_USER = {"speaker": "user", "text": "I need 5k", "intent": "apply_loan",
             "slots": [{"slot": "loan_amount", "value": "5000", "start": 7, "end": 9}],
             "modality": None, "state": {"loan_amount": "5000"}}


def _dialogue(**user: Any) -> str:
    return json.dumps({"dialogue_id": "bank-1", "turns": [{**GOOD_USER, **user},
                       {"speaker": "advisor", "delex": "For how long?", "text": "For how long?"}]})


def test_loader_reads_a_banks_own_transcripts(tmp_path: Path) -> None:
    (d,) = load_dialogues(_write(tmp_path, [_dialogue()]))
    assert d["turns"][0]["slots"][0]["value"] == "5000"
    out = write_dialogues(tmp_path / "copy.jsonl", simulate(3, seed=0, split="validation"))
    assert len(load_dialogues(out)) == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        (_dialogue(intent="buy_boat"), "unknown intent"),
        (_dialogue(slots=[{"slot": "loan_amount", "value": "5000", "start": 7, "end": 99}]), "outside the text"),
        (_dialogue(slots=[{"slot": "loan_amount", "value": "5k", "start": 7, "end": 9}]), "plain number"),
        (_dialogue(slots=[{"slot": "housing", "value": "castle", "start": 0, "end": 1}]), "canonical housing"),
        (_dialogue(state={"shoe_size": "9"}), "unknown slot"),
        (_dialogue(state={"currency": "dollars"}), "ISO 4217"),
        (_dialogue(speaker="robot"), "speaker"),
        (_dialogue(modality={"kind": "video"}), "modality.kind"),
        (json.dumps({"turns": []}), "dialogue_id"),
    ],
)
def test_loader_errors_name_the_line_and_the_problem(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, [_dialogue(), line])
    with pytest.raises(InvalidInputError, match=message) as err:
        load_dialogues(path)
    assert "bank.jsonl:2" in str(err.value)


def test_loader_rejects_duplicates_bad_placeholders_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="duplicate"):
        load_dialogues(_write(tmp_path, [_dialogue(), _dialogue()]))
    bad = json.dumps({"dialogue_id": "x", "turns": [{"speaker": "advisor", "text": "t", "delex": "[password]"}]})
    with pytest.raises(InvalidInputError, match="placeholder"):
        load_dialogues(_write(tmp_path, [bad]))
    with pytest.raises(InvalidInputError, match="no such"):
        load_dialogues(tmp_path / "missing.jsonl")
