"""Fill a delexicalised reply's ``[slot]`` placeholders from the dialogue state.

Why: the decoder writes words and placeholders only, never numbers. Every amount, term or rate the
customer reads is copied here from the tracked state (or the credit assessment's affordability),
so a decoding slip cannot invent a figure. A placeholder the state cannot fill is reported as
missing, never left in the text; the engine then falls back to a safe reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from finadvisor.ontology import SLOTS

# Ontology v1 slots (DESIGN.md) plus the two affordability figures of the credit assessment.
ONTOLOGY_SLOTS: tuple[str, ...] = SLOTS
CREDIT_SLOTS: tuple[str, ...] = ("monthly_instalment", "max_affordable_amount")
PLACEHOLDER_SLOTS: tuple[str, ...] = ONTOLOGY_SLOTS + CREDIT_SLOTS

PLACEHOLDER_RE = re.compile(r"\[([a-z_]+)\]")
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_MAX_VALUE_CHARS = 64


@dataclass(frozen=True)
class Lexicalized:
    """A filled reply: ``missing`` lists placeholders the values could not fill (then text is unsafe)."""

    text: str
    filled: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def placeholders(delex: str) -> list[str]:
    """Slot names of the placeholders in order of appearance (repeats kept)."""
    return PLACEHOLDER_RE.findall(delex)


def format_value(slot: str, value: str) -> str:
    """How a canonical value reads in a sentence: ``debt_consolidation`` -> ``debt consolidation``.

    Numbers stay exactly as the state holds them (canonical decimal strings), so the figure shown
    is the figure the state and the credit model used.
    """
    value = str(value).strip()[:_MAX_VALUE_CHARS]
    if NUMBER_RE.fullmatch(value):
        return value
    return value.replace("_", " ")


def lexicalize(delex: str, values: Mapping[str, str]) -> Lexicalized:
    """Replace each ``[slot]`` by its formatted value; unknown or empty slots go to ``missing``.

    A missing placeholder is removed from the text (never shown raw), and the result says so.
    """
    filled: dict[str, str] = {}
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        slot = match.group(1)
        value = values.get(slot)
        if slot not in PLACEHOLDER_SLOTS or value is None or str(value).strip() == "":
            missing.append(slot)
            return ""
        text = format_value(slot, value)
        filled[slot] = text
        return text

    text = PLACEHOLDER_RE.sub(fill, delex)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return Lexicalized(text=text, filled=filled, missing=missing)


def values_from_state(
    slots: Mapping[str, str], monthly_instalment: str = "", max_affordable_amount: str = ""
) -> dict[str, str]:
    """The fill values of one turn: ontology slots of the state plus the affordability figures."""
    values = {k: str(v) for k, v in slots.items() if k in ONTOLOGY_SLOTS and str(v).strip()}
    if monthly_instalment:
        values["monthly_instalment"] = str(monthly_instalment)
    if max_affordable_amount:
        values["max_affordable_amount"] = str(max_affordable_amount)
    return values


def align_values(delex: str, text: str) -> dict[str, str] | None:
    """Read back the value each placeholder of ``delex`` has in its lexicalised ``text``.

    Used to recover reference values (e.g. the affordability figures, which the corpus state does
    not carry) for evaluation; None when the two do not line up.
    """
    parts = PLACEHOLDER_RE.split(delex)  # literal, slot, literal, slot, ..., literal
    pattern = ""
    names: list[str] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pattern += re.escape(part)
        else:
            names.append(part)
            pattern += r"(.+?)"
    match = re.fullmatch(pattern, text.strip(), flags=re.DOTALL) or re.fullmatch(
        pattern, text, flags=re.DOTALL
    )
    if match is None:
        return None
    out: dict[str, str] = {}
    for name, value in zip(names, match.groups()):
        out.setdefault(name, value)
    return out
