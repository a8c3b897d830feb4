"""Dialogue acts: what the advisor says in a reply, as names with string arguments.

An act is ``{"name": str, "args": {str: str}}``; list-valued arguments are comma-joined,
values are canonical ontology strings (``loan_term_months``, ``15000``, ``EUR``). The names are
shared by every part of finadvisor (the dialogue manager decides them, the generator words them,
the state service reads the previous reply's acts as context for understanding the next turn,
the console shows them), so they are fixed here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Every act name, with the arguments it carries (beyond these, ``confirm`` carries the value
#: of each confirmed slot under the slot's name, so the reply can say it; ``confirm_heard``
#: carries ``heard``, the values read from the transcript and held until the customer confirms
#: them as ``slot=value`` items (``heard_arg``), and ``intent``, what the transcript asked).
ACT_ARGS: dict[str, tuple[str, ...]] = {
    "request": ("slot",),
    "confirm": ("slots",),
    "clarify": ("slot", "value"),
    "check_value": ("slot", "value"),
    "confirm_heard": ("transcript",),
    "answer_rate": ("product", "rate"),
    "ack_payslip": ("monthly_income", "currency"),
    "ack_unreadable": ("kind",),
    "describe_chart": ("trend", "change_percent"),
    "inform_decision": ("decision", "reason", "needs", "instalment", "currency"),
    "handoff": (),
    "offer": ("product",),
    "greet": (),
    "goodbye": (),
    "welcome": (),
    "out_of_scope": (),
    "explain": ("topic",),
    "ack": (),
}
ACT_NAMES: tuple[str, ...] = tuple(ACT_ARGS)
#: Acts that ask the customer something (the guard allows a question only for these).
QUESTION_ACTS: frozenset[str] = frozenset({"request", "confirm", "clarify", "check_value",
                                           "confirm_heard"})
MAX_ACTS = 8
MAX_ARG_CHARS = 400


@dataclass(frozen=True)
class Act:
    """One act of a reply; ``args`` values are strings (lists comma-joined)."""

    name: str
    args: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in ACT_ARGS:
            raise ValueError(f"unknown dialogue act {self.name!r}")

    def get(self, key: str, default: str = "") -> str:
        return str(self.args.get(key, default))

    def items(self, key: str) -> list[str]:
        """A list-valued argument split back into its items."""
        raw = self.get(key)
        return [p for p in raw.split(",") if p] if raw else []

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "args": {str(k): str(v) for k, v in self.args.items()}}

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"{self.name}({inner})"


def act(name: str, **args: Any) -> Act:
    """``act("request", slot="age")``; list/tuple values are comma-joined, None/"" dropped."""
    clean: dict[str, str] = {}
    for key, value in args.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        text = str(value)
        if text != "":
            clean[key] = text[:MAX_ARG_CHARS]
    return Act(name, clean)


def from_dict(raw: Mapping[str, Any]) -> Act:
    """An act read back from JSON or a proto's fields (unknown names raise ValueError)."""
    args = raw.get("args") or {}
    return Act(str(raw.get("name", "")), {str(k): str(v)[:MAX_ARG_CHARS] for k, v in dict(args).items()})


def from_messages(messages: Iterable[Any]) -> list[Act]:
    """Acts from ``common.v1.DialogueAct`` messages (or anything with name/args), skipping
    names this version does not know (a newer writer must not break an older reader)."""
    out: list[Act] = []
    for m in messages:
        name = str(getattr(m, "name", ""))
        if name in ACT_ARGS:
            out.append(Act(name, {str(k): str(v)[:MAX_ARG_CHARS]
                                  for k, v in dict(getattr(m, "args", {})).items()}))
    return out


def heard_arg(values: Iterable[tuple[str, str]]) -> str:
    """``confirm_heard``'s ``heard`` argument: ``slot=value`` items, comma-joined (canonical
    values carry neither commas nor ``=``)."""
    return ",".join(f"{slot}={value}" for slot, value in values
                    if slot and value and "," not in value and "=" not in value)


def heard_values(raw: str) -> dict[str, str]:
    """The held values of a ``confirm_heard`` act's ``heard`` argument (``heard_arg``)."""
    out: dict[str, str] = {}
    for item in str(raw or "").split(","):
        slot, sep, value = item.partition("=")
        if sep and slot.strip() and value.strip():
            out[slot.strip()] = value.strip()
    return out


def to_dicts(acts: Sequence[Act]) -> list[dict[str, Any]]:
    return [a.to_dict() for a in acts]


def names(acts: Sequence[Act]) -> list[str]:
    return [a.name for a in acts]


def render(acts: Sequence[Act]) -> str:
    """``request(slot=age) + confirm(...)``: how logs, the audit record and the console show them."""
    return " + ".join(str(a) for a in acts)
