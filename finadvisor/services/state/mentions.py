"""What understanding reads from one turn: slot values with their confidence and span, and the
turn's intent with the values written and the values to check with the customer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mention:
    """One slot value read from the text: canonical value, confidence and character span."""

    slot: str
    value: str
    confidence: float
    start: int
    end: int
    source: str = "text"


@dataclass
class Interpretation:
    intent: str
    intent_confidence: float
    mentions: list[Mention]
    candidates: list[Mention]
