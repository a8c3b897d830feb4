"""Impossible values get a question, not a decision.

Why in the state service, before the merge: a value that cannot be true (a negative income,
an age of 130, a term of 0 or 600 months, a loan of 10^30) must not enter the state, or the
gateway scores an applicant who does not exist ("-5000" income was read as 5000 and a
decision was made). Such a value is held back as a candidate (``ApplyTurnResponse.candidates``,
with the value as the customer wrote it) so the dialogue manager asks the customer to check it
(``check_value``); nothing about it is stored and no assessment runs on it.

The normalisers read digits, not signs or exponents, so the checks look at the text around
each mention too: a minus (``-5000``, ``minus 5000``, ``negative 5000``) before it, or an
exponent (``10^30``, ``1e30``, ``10**30``) after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from finadvisor.ontology import AMOUNT_SLOTS

MONEY_SLOTS = frozenset(AMOUNT_SLOTS)
#: slot -> (lowest, highest) a true value can have (inclusive).
RANGES: dict[str, tuple[float, float]] = {
    "age": (18, 110),
    "loan_term_months": (1, 480),
    "loan_amount": (1, 1e9),
    "investment_amount": (1, 1e9),
    "monthly_income": (0, 1e8),
    "monthly_debt": (0, 1e8),
    "dependents": (0, 20),
    "employment_years": (0, 70),
    "investment_horizon_years": (0, 100),
}
_NEGATIVE_BEFORE = re.compile(r"(?:[-\u2212\u2013]\s*[$\u20ac\u00a3]?\s*|\b(?:minus|negative)\s+"
                              r"[$\u20ac\u00a3]?\s*)$", re.IGNORECASE)
_EXPONENT_AFTER = re.compile(r"^\s*(?:\^|\*\*|e\+?|x\s*10\s*\^)\s*(\d{1,4})", re.IGNORECASE)
_BASE_BEFORE = re.compile(r"(\d+(?:\.\d+)?)\s*(\^|\*\*|[eE]\+?)\s*$")
#: a run of digits this long is no amount a person borrows or earns
_HUGE_NUMBER = re.compile(r"\d{13,}")


@dataclass(frozen=True)
class Implausible:
    """A mention held back: same fields as the NLU's mentions, plus why."""

    slot: str
    value: str
    confidence: float
    start: int
    end: int
    reason: str


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _power(base: float, op: str, power: int) -> str:
    """``10 ^ 30`` / ``10 ** 30`` / ``1 e 30`` as the plain value the customer wrote."""
    b: float | int = int(base) if base == int(base) else base
    try:
        meant = float(b ** power if op in "^*" else b * 10 ** power)
    except OverflowError:
        meant = float("inf")
    return _plain(meant)


def _plain(n: float) -> str:
    """``5000`` for ordinary numbers, ``1e+30`` beyond 10^15 (a string a float parses)."""
    return str(int(n)) if abs(n) < 1e15 and n == int(n) else repr(n)


def judge(text: str, slot: str, value: str, start: int = 0, end: int = 0
          ) -> tuple[str, str] | None:
    """(the value as the customer meant it, why it is impossible), or None when plausible."""
    if slot not in RANGES:
        return None
    number = _number(value)
    if number is None:
        return None
    if text and 0 <= start <= end <= len(text):
        before, after = text[max(0, start - 12):start], text[end:end + 12]
        sign = _NEGATIVE_BEFORE.search(before)
        # "3000 - 4000" is a range, not a negative 4000.
        if sign and number > 0 and not re.search(r"\d\s*$", before[:sign.start()]):
            return "-" + value, "negative"
        exp = _EXPONENT_AFTER.match(after)
        if exp and number > 0:
            return _power(number, exp.group(0).strip()[:1], int(exp.group(1))), "exponent"
        # The number read is itself the exponent of "10^30": the amount is 10^30.
        base = _BASE_BEFORE.search(before)
        if base and number == int(number) and number < 10_000:
            return _power(float(base.group(1)), base.group(2)[:1], int(number)), "exponent"
        if _HUGE_NUMBER.fullmatch(re.sub(r"[ ,.]", "", text[start:end])):
            return value, "too large"
    low, high = RANGES[slot]
    if number < low or number > high:
        return value, "out of range"
    return None


def screen(text: str, mentions: Sequence[Any]) -> tuple[list[Any], list[Implausible]]:
    """Split ``mentions`` (slot, value, confidence, start, end) into those that may be stored
    and those held back as impossible."""
    keep: list[Any] = []
    held: list[Implausible] = []
    for m in mentions:
        found = judge(text, m.slot, m.value, int(getattr(m, "start", 0) or 0),
                      int(getattr(m, "end", 0) or 0))
        if found is None:
            keep.append(m)
        else:
            held.append(Implausible(m.slot, found[0], float(m.confidence),
                                    int(getattr(m, "start", 0) or 0),
                                    int(getattr(m, "end", 0) or 0), found[1]))
    # An amount too long to be read at all still deserves the question.
    if not any(h.slot in MONEY_SLOTS for h in held):
        for huge in _HUGE_NUMBER.finditer(text):
            slot = next((m.slot for m in mentions if m.slot in MONEY_SLOTS), "loan_amount")
            held.append(Implausible(slot, huge.group(0), 0.5, huge.start(), huge.end(),
                                    "too large"))
            break
    return keep, held
