"""Dialogue state tracking: understand a turn, then merge it into the store in one atomic step.

The NLU runs before the store's script (it needs no state), so the atomic part stays one Lua
call. Text is redacted of personal identifiers before it reaches the stored history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from finadvisor.sessions import SlotUpdate, StateStore, TurnInput, TurnResult
from finadvisor.shared.errors import InvalidInputError
from finadvisor.shared.logging import redact

#: Below this text-intent confidence, a more confident intent from another modality wins.
BACKUP_INTENT_THRESHOLD = 0.5


class Mention(Protocol):
    slot: str
    value: str
    confidence: float
    start: int
    end: int


class NLU(Protocol):
    def understand(self, text: str) -> Any: ...


@dataclasses.dataclass(frozen=True)
class FactInput:
    slot: str
    value: str
    confidence: float
    source: str


@dataclasses.dataclass(frozen=True)
class AppliedTurn:
    result: TurnResult
    mentions: Sequence[Mention]


class DialogueTracker:
    """Understanding + store: the domain behind the state service."""

    def __init__(self, store: StateStore, nlu: NLU, version: str = "") -> None:
        self.store = store
        self.nlu = nlu
        self.version = version

    async def apply(
        self,
        session_id: str,
        request_id: str,
        text: str,
        text_source: str = "text",
        facts: Sequence[FactInput] = (),
        backup_intent: str = "",
        backup_intent_confidence: float = 0.0,
        history_limit: int = 0,
    ) -> AppliedTurn:
        if not text.strip() and not facts:
            raise InvalidInputError("a turn needs text or facts from an image or voice note")
        if text_source not in ("text", "audio"):
            raise InvalidInputError("text_source must be 'text' or 'audio'")
        mentions: Sequence[Mention] = ()
        if text.strip():
            nlu = self.nlu.understand(text)
            intent, confidence, mentions = nlu.intent, float(nlu.intent_confidence), nlu.mentions
        else:
            intent, confidence = "upload_document", 1.0
        if backup_intent and confidence < BACKUP_INTENT_THRESHOLD and \
                backup_intent_confidence > confidence:
            intent, confidence = backup_intent, float(backup_intent_confidence)
        # Text first, then document/voice evidence: a later update of a slot wins.
        updates = [SlotUpdate(m.slot, m.value, float(m.confidence), text_source)
                   for m in mentions]
        updates += [SlotUpdate(f.slot, f.value, float(f.confidence), f.source) for f in facts]
        result = await self.store.apply_turn(TurnInput(
            session_id=session_id,
            request_id=request_id,
            text=redact(text),
            text_source=text_source if text.strip() else "image",
            intent=intent,
            intent_confidence=confidence,
            updates=updates,
        ), history_limit=history_limit)
        return AppliedTurn(result=result, mentions=mentions)
