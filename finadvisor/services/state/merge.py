"""The state merge rule, as a pure function (the Redis store applies the same rule in Lua).

Rule: every new mention overwrites its slot, carrying its own confidence, source and turn; text
mentions are applied first (in text order), then facts from an image or a voice note, so for
one slot a later update wins ("actually make it 12000" overwrites the loan amount; a payslip's
net pay overwrites a typed income of the same turn). No slot is ever removed by a turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from finadvisor.ontology import SLOTS, SOURCES
from finadvisor.shared.errors import InvalidInputError

SlotState = dict[str, dict[str, Any]]


def _get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


def merge_state(
    state: Mapping[str, Mapping[str, Any]],
    mentions: Iterable[Any],
    facts: Iterable[Any] = (),
    turn: int = 0,
    text_source: str = "text",
) -> tuple[SlotState, list[str]]:
    """(new state, slots whose value changed). ``state`` maps slot -> {value, confidence, source,
    turn}; mentions and facts are objects or mappings with slot, value, confidence (and, for
    facts, source). The input state is not modified."""
    if text_source not in SOURCES:
        raise InvalidInputError(f"unknown source {text_source!r}")
    new: SlotState = {k: dict(v) for k, v in state.items()}
    before = {k: v.get("value") for k, v in state.items()}
    updates = [(m, text_source) for m in mentions]
    updates += [(f, _get(f, "source", "image") or "image") for f in facts]
    written: list[str] = []
    for item, source in updates:
        slot = _get(item, "slot")
        if slot not in SLOTS:
            raise InvalidInputError(f"unknown slot {slot!r}")
        if source not in SOURCES:
            raise InvalidInputError(f"unknown source {source!r}")
        new[slot] = {
            "value": str(_get(item, "value")),
            "confidence": float(_get(item, "confidence", 1.0) if _get(item, "confidence") is not None else 1.0),
            "source": source,
            "turn": int(turn),
        }
        if slot not in written:
            written.append(slot)
    changed = [s for s in written if before.get(s) != new[s]["value"]]
    return new, changed


def slot_values(state: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """slot -> canonical value (the annotation format of the corpus)."""
    return {k: str(v["value"]) for k, v in state.items()}
