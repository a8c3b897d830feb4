"""Value normalisers: every normalisation example of DESIGN.md, and the merge rule."""

from __future__ import annotations

import pytest

from finadvisor.services.state.merge import merge_state, slot_values
from finadvisor.services.state.normalize import (
    find_numbers,
    find_phrases,
    fold,
    normalize_amount,
    normalize_count,
    normalize_currency,
    normalize_duration_months,
    normalize_income,
    normalize_number_for_slot,
    normalize_phrase,
    one_edit,
    words_to_number,
)
from finadvisor.shared.errors import InvalidInputError


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("5k", "5000"),
        ("5K", "5000"),
        ("1.2 million", "1200000"),
        ("1.2m", "1200000"),
        ("five thousand", "5000"),
        ("$3,850", "3850"),
        ("15,000", "15000"),
        ("3,850.50", "3850.5"),
        ("fifteen thousand five hundred", "15500"),
        ("one hundred and fifty thousand", "150000"),
        ("15 thousand", "15000"),
        ("0", "0"),
    ],
)
def test_amounts(surface: str, expected: str) -> None:
    assert normalize_amount(surface) == expected


def test_dollar_sign_gives_amount_and_currency() -> None:
    text = "$3,850"
    mentions, _ = find_phrases(text)
    assert [(m.slot, m.value, text[m.start : m.end]) for m in mentions] == [("currency", "USD", "$")]
    (number,) = find_numbers(text)
    assert text[number.start : number.end] == "3,850"
    assert normalize_number_for_slot("monthly_income", number) == "3850"


@pytest.mark.parametrize(
    ("surface", "code"),
    [("$", "USD"), ("€", "EUR"), ("£", "GBP"), ("euros", "EUR"), ("EUR", "EUR"), ("eur", "EUR"),
     ("dollars", "USD"), ("RMB", "CNY"), ("pounds", "GBP"), ("Swiss francs", "CHF")],
)
def test_currencies(surface: str, code: str) -> None:
    assert normalize_currency(surface) == code


def test_unknown_currency_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        normalize_currency("doubloons")


def test_yearly_income_becomes_monthly() -> None:
    assert normalize_income("60000", period="yearly") == "5000"
    assert normalize_income("60000", period="monthly") == "60000"
    assert normalize_income("50000", period="yearly") == "4166.67"
    with pytest.raises(InvalidInputError):
        normalize_income("60000", period="weekly")


@pytest.mark.parametrize(
    ("surface", "expected"), [("twenty-nine", "29"), ("twenty nine", "29"), ("29", "29"), ("three", "3")]
)
def test_counts(surface: str, expected: str) -> None:
    assert normalize_count(surface) == expected


@pytest.mark.parametrize(
    ("surface", "months"), [("3 years", "36"), ("36 months", "36"), ("two years", "24"), ("1 year", "12"),
                            ("5-year", "60"), ("18 months", "18"), ("30 yrs", "360")]
)
def test_durations_in_months(surface: str, months: str) -> None:
    assert normalize_duration_months(surface) == months


def test_years_slots_keep_years_and_convert_months() -> None:
    (n,) = find_numbers("18 months")
    assert normalize_number_for_slot("employment_years", n) == "1.5"
    (n,) = find_numbers("5 years")
    assert normalize_number_for_slot("investment_horizon_years", n) == "5"


def test_words_to_number_rejects_other_words() -> None:
    assert words_to_number("ninety-nine") == 99
    with pytest.raises(InvalidInputError):
        words_to_number("banana")


def test_find_numbers_spans_units_and_words() -> None:
    text = "I want $15k over 3 years and I'm twenty-nine years old"
    nums = find_numbers(text)
    assert [text[n.start : n.end] for n in nums] == ["15k", "3", "twenty-nine"]
    assert [n.unit for n in nums] == [None, "year", "year"]
    assert nums[0].shorthand and nums[2].words


@pytest.mark.parametrize(
    ("slot", "surface", "value"),
    [("employment_status", "Self employed", "self_employed"), ("employment_status", "between jobs", "unemployed"),
     ("housing", "live with my parents", "living_with_family"), ("product", "home loan", "mortgage"),
     ("product", "car loan", "auto_loan"), ("loan_purpose", "consolidate my debts", "debt_consolidation"),
     ("risk_tolerance", "cautious", "low"), ("risk_tolerance", "medium", "medium")],
)
def test_phrases(slot: str, surface: str, value: str) -> None:
    assert normalize_phrase(slot, surface) == value


def test_longest_phrase_wins_and_ignored_phrases() -> None:
    mentions, _ = find_phrases("I take home 3000 and I own my home, I'd like a home loan")
    assert [(m.slot, m.value) for m in mentions] == [("housing", "own"), ("product", "mortgage")]


def test_bare_risk_level_needs_risk_in_text() -> None:
    assert [m.value for m in find_phrases("low risk please")[0]] == ["low"]
    assert find_phrases("a low rate please")[0] == []
    assert [m.value for m in find_phrases("I prefer high rsik")[0]] == ["high"]


def test_zero_phrases() -> None:
    got = [(m.slot, m.value) for m in find_phrases("I have no kids and no debts")[0]]
    assert got == [("dependents", "0"), ("monthly_debt", "0")]


def test_fold_keeps_offsets_and_one_edit() -> None:
    text = "I’d LIKE €5K"
    assert len(fold(text)) == len(text) and fold(text) == "i'd like €5k"
    assert one_edit("rsik", "risk") and one_edit("inccome", "income") and not one_edit("cat", "dog")


# --------------------------------------------------------------------------- merge rule
def test_new_mention_overwrites_with_its_confidence_source_and_turn() -> None:
    state, changed = merge_state({}, [{"slot": "loan_amount", "value": "15000", "confidence": 0.9}], turn=0)
    assert changed == ["loan_amount"]
    new, changed = merge_state(state, [{"slot": "loan_amount", "value": "12000", "confidence": 0.8}],
                               turn=3, text_source="audio")
    assert new["loan_amount"] == {"value": "12000", "confidence": 0.8, "source": "audio", "turn": 3}
    assert changed == ["loan_amount"]
    assert state["loan_amount"]["value"] == "15000"  # the input is not modified


def test_facts_apply_after_text_and_unchanged_values_are_not_changes() -> None:
    state = {"currency": {"value": "USD", "confidence": 1.0, "source": "text", "turn": 0}}
    new, changed = merge_state(
        state,
        [{"slot": "monthly_income", "value": "4000", "confidence": 0.7}, {"slot": "currency", "value": "USD"}],
        facts=[{"slot": "monthly_income", "value": "3850", "confidence": 0.99, "source": "image"}],
        turn=2,
    )
    assert new["monthly_income"]["value"] == "3850" and new["monthly_income"]["source"] == "image"
    assert changed == ["monthly_income"]
    assert slot_values(new) == {"currency": "USD", "monthly_income": "3850"}


def test_merge_rejects_unknown_slots_and_sources() -> None:
    with pytest.raises(InvalidInputError):
        merge_state({}, [{"slot": "shoe_size", "value": "9"}])
    with pytest.raises(InvalidInputError):
        merge_state({}, [], facts=[{"slot": "age", "value": "30", "source": "telepathy"}])
