"""Dialogue state tracking: understand a turn in its context, then merge it into the store in
one atomic step.

The turn is understood with the advisor's last acts and the current state (one read of the
session before the NLU: ``TurnContext``); the merge itself stays one Lua call. Values the
understanding is unsure of, and facts from an upload that would overwrite what the customer
said about something else (a payslip's currency is the income's, not the loan's), are not
written: they come back as candidates for the advisor to ask about. Text is redacted of
personal identifiers before it reaches the stored history.

A held text (``hold_text_values``: a voice note whose transcript the advisor reads back before
acting on it) writes none of its values: each comes back as a candidate marked ``held``; the
turn's intent is recorded as understood (the history says what was heard) and the facts of an
upload in the same turn are merged as usual. The advisor's ``confirm_heard`` act carries the
held values, so a "yes" on the next turn writes them (``TurnContext.heard``) and a "no" or a
correction writes nothing of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from finadvisor.services.state.context import EMPTY_CONTEXT, TurnContext
from finadvisor.services.state.plausibility import screen as screen_impossible
from finadvisor.services.state.redaction import redact as redact_identifiers
from finadvisor.sessions import SessionSnapshot, SlotUpdate, StateStore, TurnInput, TurnResult
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
    def understand(self, text: str, source: str = "text", context: TurnContext | None = None) -> Any: ...


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
    #: Understood but not written (uncertain slot, unasked contradiction, an upload's fact
    #: about something else): ``slot``, ``value``, ``confidence``, ``start``, ``end``.
    candidates: Sequence[Mention] = ()


@dataclasses.dataclass(frozen=True)
class HeldMention:
    """A value read from a held text: a candidate until the customer confirms the read-back."""

    slot: str
    value: str
    confidence: float
    start: int
    end: int
    held: bool = True


@dataclasses.dataclass(frozen=True)
class HeldFact:
    """A fact from an upload that is kept as a candidate instead of being written."""

    slot: str
    value: str
    confidence: float
    start: int = 0
    end: int = 0


#: Earlier replies read before a turn is understood: the last one's acts; the task and the
#: slots of the latest questions among them, and whether an outcome was told.
CONTEXT_TURNS = 3


def context_of(snapshot: SessionSnapshot) -> TurnContext:
    """The context of the next turn: the state's values, the last reply's acts and those of
    the replies before it that were read."""
    acts = snapshot.history[-1].acts if snapshot.history else []
    return TurnContext.build({k: r.value for k, r in snapshot.state.slots.items()}, acts,
                             snapshot.state.active_intent, [h.acts for h in snapshot.history[:-1]])


def held_facts(facts: Sequence[FactInput], mentions: Sequence[Mention],
               context: TurnContext) -> tuple[list[FactInput], list[HeldFact]]:
    """Facts to write, and those kept back: an upload's currency is the currency of what it
    shows (a payslip's income), so it does not replace a currency the customer gave for the
    loan, in this turn's text or before (the advisor can ask; both stay known)."""
    said = next((m.value for m in mentions if m.slot == "currency"), None) or context.state.get("currency")
    keep: list[FactInput] = []
    held: list[HeldFact] = []
    for f in facts:
        if f.slot == "currency" and f.source == "image" and said and said != f.value:
            held.append(HeldFact(f.slot, f.value, float(f.confidence)))
        else:
            keep.append(f)
    return keep, held


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
        hold_text_values: bool = False,
    ) -> AppliedTurn:
        if not text.strip() and not facts:
            raise InvalidInputError("a turn needs text or facts from an image or voice note")
        if text_source not in ("text", "audio"):
            raise InvalidInputError("text_source must be 'text' or 'audio'")
        text = redact_identifiers(text).text  # identifiers reach neither the NLU nor the store
        mentions: Sequence[Mention] = ()
        candidates: list[Any] = []
        context = EMPTY_CONTEXT
        if text.strip() or facts:
            # One read before the understanding: what the advisor just asked, what is known.
            context = context_of(await self.store.get_state(session_id, history_limit=CONTEXT_TURNS))
        if text.strip():
            nlu = self.nlu.understand(text, context=context)
            intent, confidence, mentions = nlu.intent, float(nlu.intent_confidence), nlu.mentions
            candidates.extend(getattr(nlu, "candidates", ()))
            mentions, impossible = screen_impossible(text, mentions)  # asked, never stored
            candidates.extend(impossible)
        else:
            intent, confidence = "upload_document", 1.0
        if backup_intent and confidence < BACKUP_INTENT_THRESHOLD and \
                backup_intent_confidence > confidence:
            intent, confidence = backup_intent, float(backup_intent_confidence)
        facts, held = held_facts(facts, mentions, context)
        candidates.extend(held)
        if hold_text_values and mentions:
            # Read back before acted on: nothing the text says is written this turn.
            candidates.extend(HeldMention(m.slot, m.value, float(m.confidence), m.start, m.end)
                              for m in mentions)
            mentions = ()
        # Text first, then document/voice evidence: a later update of a slot wins. A value the
        # customer confirmed from an earlier voice note keeps that note's source.
        updates = [SlotUpdate(m.slot, m.value, float(m.confidence),
                              "audio" if getattr(m, "source", "") == "audio" else text_source)
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
        return AppliedTurn(result=result, mentions=mentions, candidates=candidates)
