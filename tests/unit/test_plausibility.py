"""Impossible values are held back with the value as the customer meant it
(finadvisor/services/state/plausibility.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from finadvisor.services.state.plausibility import judge, screen


@dataclass(frozen=True)
class M:
    slot: str
    value: str
    confidence: float
    start: int
    end: int


def _mention(text: str, slot: str, value: str) -> M:
    start = text.rindex(value)  # the last mention: "15000 ... -5000"
    return M(slot, value, 0.9, start, start + len(value))


@pytest.mark.parametrize(("text", "slot", "value", "meant"), [
    ("my monthly income is -5000", "monthly_income", "5000", "-5000"),
    ("my income is minus 5000", "monthly_income", "5000", "-5000"),
    ("I pay negative 300 in debts", "monthly_debt", "300", "-300"),
    ("debts of \u2212300 a month", "monthly_debt", "300", "-300"),
    ("I am 15", "age", "15", "15"),
    ("I am 111", "age", "111", "111"),
    ("over 0 months", "loan_term_months", "0", "0"),
    ("over 481 months", "loan_term_months", "481", "481"),
    ("borrow 10^30", "loan_amount", "10", "1e+30"),
    ("borrow 10**30", "loan_amount", "10", "1e+30"),
    ("borrow 1e30 dollars", "loan_amount", "1", "1e+30"),
    ("borrow 10^30", "loan_amount", "30", "1e+30"),
    ("borrow 2000000000", "loan_amount", "2000000000", "2000000000"),
])
def test_impossible(text: str, slot: str, value: str, meant: str) -> None:
    found = judge(text, slot, value, text.index(value), text.index(value) + len(value))
    assert found is not None and found[0] == meant


@pytest.mark.parametrize(("text", "slot", "value"), [
    ("my monthly income is 5000", "monthly_income", "5000"),
    ("I earn 3000 - 4000 a month", "monthly_income", "4000"),
    ("I am 18", "age", "18"),
    ("I am 110", "age", "110"),
    ("over 480 months", "loan_term_months", "480"),
    ("over 1 month", "loan_term_months", "1"),
    ("no debts, 0 a month", "monthly_debt", "0"),
    ("borrow 15000 for a car", "loan_amount", "15000"),
])
def test_plausible(text: str, slot: str, value: str) -> None:
    assert judge(text, slot, value, text.index(value), text.index(value) + len(value)) is None


def test_screen_splits_and_catches_unreadable_amounts() -> None:
    text = "I want 15000 and my income is -5000"
    keep, held = screen(text, [_mention(text, "loan_amount", "15000"),
                               _mention(text, "monthly_income", "5000")])
    assert [m.slot for m in keep] == ["loan_amount"]
    assert [(h.slot, h.value, h.reason) for h in held] == [("monthly_income", "-5000",
                                                            "negative")]
    keep, held = screen("borrow 999999999999999999999 euros", [])
    assert keep == [] and [(h.slot, h.reason) for h in held] == [("loan_amount", "too large")]
