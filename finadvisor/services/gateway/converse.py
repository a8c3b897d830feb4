"""One customer turn through every service, under one deadline.

Order of a turn:
1. a stored answer for this request_id is returned as it was (idempotent retries);
2. vision (image) and voice (audio) run in parallel within a share of the budget; a slow, down
   or unbuilt one is listed in ``degraded`` and the turn goes on without it;
3. the state service understands the text (or the transcript) and merges it with the facts of
   the image and the voice note, atomically and idempotently; a transcript too unsure to act on
   (``DialogueManager.unsure_transcript``) has its values held, not written, until the customer
   confirms the advisor's read-back;
4. the credit-risk models score the applicant when the state holds what they need (or when
   asked; not on a turn whose transcript is held: what it says is not known yet);
5. the dialogue manager (``finadvisor.dialogue``, a library) decides the reply's acts from the
   state after the turn, the findings, the assessment, the uncertain values and the acts of the
   previous replies: what to say is decided here, by rules, not by the generator;
6. the generator words the acts (the template realisation of the acts when it is unavailable,
   so the reply still says what was decided);
7. the reply and its acts join the history together with the answer kept for replays (one
   atomic store step), and the audit records are appended.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc

from finadvisor.common.v1 import common_pb2
from finadvisor.dialogue import acts as dialogue_acts
from finadvisor.dialogue.config import DialogueConfig, default_low_transcript_confidence
from finadvisor.dialogue.manager import Candidate, CreditView, DialogueManager, Turn, main_reason
from finadvisor.dialogue.realise import realise
from finadvisor.gateway.v1 import gateway_pb2
from finadvisor.generator.v1 import generator_pb2
from finadvisor.services.gateway.audit import AuditEntry, AuditLog, sha256_hex
from finadvisor.services.gateway.clients import Backends
from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.services.gateway.credit import CreditScorer
from finadvisor.services.gateway.validation import (
    AUDIO_MIME,
    IMAGE_MIME,
    check_attachment,
    check_id,
    check_text,
)
from finadvisor.sessions import StateStore
from finadvisor.shared.errors import (
    FinadvisorError,
    InvalidInputError,
    ServiceUnavailableError,
    SessionNotFoundError,
)
from finadvisor.state.v1 import state_pb2
from finadvisor.vision.v1 import vision_pb2
from finadvisor.voice.v1 import voice_pb2

log = logging.getLogger("finadvisor.gateway")
T = TypeVar("T")

#: Status codes of a backend that mean "skip it this turn" rather than "fail the turn".
_SKIPPABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
}
#: Turns of context handed to the generator.
CONTEXT_TURNS = 3
#: Earlier replies whose acts the dialogue manager reads (has the summary been given, the
#: outcome told?); a few more than the generator's context, still one small read.
DM_HISTORY_TURNS = 8
SAFE_REPLY = ("Thank you, I have noted that. I cannot prepare a full answer right now; "
              "an advisor can follow up with you.")


@dataclass
class Budget:
    """The time left of one turn, shared by every call it makes."""

    deadline: float

    @classmethod
    def from_context(cls, remaining: float | None, default_s: float) -> Budget:
        total = default_s if remaining is None else min(remaining, 120.0)
        return cls(time.monotonic() + max(total - 0.02, 0.01))  # keep a margin for the answer

    def left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)

    def share(self, fraction: float) -> float:
        return max(self.left() * fraction, 0.001)


@dataclass
class TurnWork:
    """What a turn has gathered so far."""

    degraded: list[str] = field(default_factory=list)
    model_versions: dict[str, str] = field(default_factory=dict)
    findings: common_pb2.Findings = field(default_factory=common_pb2.Findings)
    facts: list[common_pb2.Fact] = field(default_factory=list)
    transcript: str = ""
    voice_intent: str = ""
    voice_intent_confidence: float = 0.0

    def degrade(self, name: str) -> None:
        if name not in self.degraded:
            self.degraded.append(name)


def _rpc_error(exc: grpc.aio.AioRpcError, service: str) -> FinadvisorError:
    """Map a backend's error that must fail the turn to the matching domain error."""
    code = exc.code()
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInputError(f"{service}: {exc.details()}")
    if code == grpc.StatusCode.NOT_FOUND:
        return SessionNotFoundError("session not found or expired")
    if code == grpc.StatusCode.ABORTED:
        from finadvisor.shared.errors import ConflictError

        return ConflictError(exc.details() or "conflict")
    return ServiceUnavailableError(f"{service} unavailable")


class Converser:
    """The Converse use case; collaborators are passed in (KServe style)."""

    def __init__(self, settings: GatewaySettings, backends: Backends, store: StateStore,
                 audit: AuditLog, credit: CreditScorer) -> None:
        self.settings = settings
        self.backends = backends
        self.store = store
        self.audit = audit
        self.credit = credit
        low = settings.low_transcript_confidence
        self.dm = DialogueManager(DialogueConfig(
            low_transcript_confidence=low if low >= 0 else default_low_transcript_confidence()))

    # -- validation ---------------------------------------------------------------------------
    def validate(self, req: gateway_pb2.ConverseRequest) -> None:
        s = self.settings
        check_id(req.session_id, "session_id")
        check_id(req.request_id, "request_id")
        check_text(req.text, s.max_text_chars)
        check_attachment(req.image.data, req.image.mime_type, "image", IMAGE_MIME,
                         s.max_image_bytes)
        check_attachment(req.audio.data, req.audio.mime_type, "audio", AUDIO_MIME,
                         s.max_audio_bytes)
        if not req.text.strip() and not req.image.data and not req.audio.data:
            raise InvalidInputError("a turn needs text, an image or an audio note")
        if not 0 <= req.n_best <= 5:
            raise InvalidInputError("n_best must be between 0 and 5")

    # -- the turn -------------------------------------------------------------------------------
    async def converse(self, req: gateway_pb2.ConverseRequest, remaining_s: float | None,
                       stored_answer: Awaitable[bytes | None] | None = None,
                       ) -> gateway_pb2.ConverseResponse:
        """One turn of a request that passed ``validate`` (the servicer checks it before the
        turn takes a session slot, so bad input never reaches Redis).

        ``stored_answer``: the answer kept for this request_id, already asked for (the servicer
        reads it together with the session's turn slot, in one round trip); read here when
        not given."""
        budget = Budget.from_context(remaining_s, self.settings.turn_deadline_s)
        stored = await (stored_answer if stored_answer is not None else
                        self.store.get_response(req.session_id, req.request_id))
        if stored is not None:
            resp = gateway_pb2.ConverseResponse.FromString(stored)
            resp.replayed = True
            return resp

        work = TurnWork()
        await self._modalities(req, work, budget)

        text, text_source = req.text, "text"
        if not text.strip() and work.transcript:
            text, text_source = work.transcript, "audio"
        elif work.transcript:
            await self._transcript_facts(work, budget)
        hold = self.dm.unsure_transcript(text_source, text,
                                         work.findings.voice.transcript_confidence or None)

        applied = await self._call(
            self.backends.state.ApplyTurn(state_pb2.ApplyTurnRequest(
                session_id=req.session_id, request_id=req.request_id, text=text,
                text_source=text_source, facts=work.facts,
                backup_intent=work.voice_intent,
                backup_intent_confidence=work.voice_intent_confidence,
                history_limit=DM_HISTORY_TURNS,  # context and earlier acts come back too
                hold_text_values=hold,
            ), timeout=budget.share(0.5)), "state")

        credit = None
        scored = _with_implied_purpose(applied.state)
        if (req.assess_credit or not hold) and \
                self.credit.should_assess(scored, req.assess_credit):
            credit = await self._assess(scored, dict(applied.profile), work)

        acts = self.dm.decide(self._dm_turn(applied, work, credit, text_source))
        history = list(applied.history)[-CONTEXT_TURNS:]
        reply, gen = await self._generate(req, applied.state, history, work, credit, acts,
                                          budget)

        resp = gateway_pb2.ConverseResponse(
            reply=reply, state=applied.state, degraded=work.degraded, findings=work.findings,
            model_versions=work.model_versions, session_id=req.session_id,
            request_id=req.request_id, turn=applied.turn,
            acts=[common_pb2.DialogueAct(name=a.name, args=dict(a.args)) for a in acts],
        )
        if credit is not None:
            resp.credit.CopyFrom(credit)
        if gen is not None:
            resp.alternatives.extend(gen.alternatives[: req.n_best])
            resp.attention.CopyFrom(gen.attention)
            resp.fallback = gen.fallback
        else:
            resp.fallback = True
        await self._finish(req, resp, work, credit, acts)
        return resp

    def _dm_turn(self, applied: state_pb2.ApplyTurnResponse, work: TurnWork,
                 credit: common_pb2.CreditAssessment | None, text_source: str) -> Turn:
        """What the dialogue manager decides from, read off this turn's responses."""
        state = applied.state
        slots = {k: v.value for k, v in state.slots.items()}
        image = work.findings.image
        voice = work.findings.voice
        view = None
        if credit is not None and credit.decision:
            # the main reason behind the decision; what is missing is said by ``needs``
            reason = main_reason([(r.description, r.source) for r in credit.reasons])
            aff = credit.affordability
            view = CreditView(decision=credit.decision, reason=reason, needs=list(credit.needs),
                              instalment=aff.monthly_instalment,
                              currency=aff.currency or slots.get("currency", ""))
        previous = [dialogue_acts.from_messages(h.acts) for h in applied.history
                    if h.turn != applied.turn]
        return Turn(
            intent=state.active_intent, slots=slots, changed_slots=list(state.changed_slots),
            previous_acts=previous, image_type=image.image_type,
            image_fields={f.name: f.value for f in image.fields if f.value},
            chart_trend=image.chart_trend,
            # proto3 has no "unset" for a double: 0.0 means vision did not measure it
            trend_change_percent=image.trend_change_percent or None,
            text_source=text_source, transcript=work.transcript if text_source == "audio" else "",
            transcript_confidence=voice.transcript_confidence or None,
            credit=view,
            candidates=[Candidate(c.slot, c.value, c.confidence, c.held)
                        for c in applied.candidates],
        )

    async def _call(self, call: Awaitable[T], service: str) -> T:
        """A call that must succeed for the turn to succeed."""
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            raise _rpc_error(exc, service) from None

    async def _optional(self, call: Awaitable[T], name: str, work: TurnWork) -> T | None:
        """A call the turn can do without: a failure is listed in ``degraded``."""
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidInputError(f"{name}: {exc.details()}") from None
            if exc.code() in _SKIPPABLE:
                log.warning("%s skipped this turn: %s", name, exc.code().name)
                work.degrade(name)
                return None
            raise _rpc_error(exc, name) from None

    async def _modalities(self, req: gateway_pb2.ConverseRequest, work: TurnWork,
                          budget: Budget) -> None:
        timeout = budget.share(self.settings.modality_budget_share)
        tasks: list[asyncio.Task[Any]] = []
        if req.image.data:
            tasks.append(asyncio.create_task(self._vision(req, work, timeout)))
        if req.audio.data:
            tasks.append(asyncio.create_task(self._voice(req, work, timeout)))
        if tasks:
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                for t in tasks:
                    t.cancel()
                raise

    async def _vision(self, req: gateway_pb2.ConverseRequest, work: TurnWork,
                      timeout: float) -> None:
        resp = await self._optional(self.backends.vision.AnalyzeImage(
            vision_pb2.AnalyzeImageRequest(image=req.image, request_id=req.request_id),
            timeout=timeout), "vision", work)
        if resp is None:
            return
        work.findings.image.CopyFrom(resp.findings)
        work.facts.extend(resp.facts)
        work.model_versions["vision"] = resp.model_version
        if not resp.ocr_available:
            work.degrade("ocr")

    async def _voice(self, req: gateway_pb2.ConverseRequest, work: TurnWork,
                     timeout: float) -> None:
        resp = await self._optional(self.backends.voice.AnalyzeAudio(
            voice_pb2.AnalyzeAudioRequest(audio=req.audio, request_id=req.request_id),
            timeout=timeout), "voice", work)
        if resp is None:
            return
        work.findings.voice.CopyFrom(resp.findings)
        work.model_versions["voice"] = resp.model_version
        work.transcript = resp.findings.transcript.strip()
        work.voice_intent = resp.findings.intent
        work.voice_intent_confidence = resp.findings.intent_confidence
        if not work.transcript:
            work.degrade("asr")

    async def _transcript_facts(self, work: TurnWork, budget: Budget) -> None:
        """Typed text and a voice note together: the voice note's slots come in as facts."""
        nlu = await self._optional(self.backends.state.Understand(
            state_pb2.UnderstandRequest(text=work.transcript), timeout=budget.share(0.3)),
            "state", work)
        if nlu is None:
            return
        work.facts.extend(common_pb2.Fact(slot=m.slot, value=m.value, confidence=m.confidence,
                                          source="audio") for m in nlu.mentions)

    async def _assess(self, state: common_pb2.DialogueState, profile: dict[str, str],
                      work: TurnWork) -> common_pb2.CreditAssessment | None:
        try:
            credit = self.credit.cached_state(state, profile)  # unchanged applicant: no thread
            if credit is None:
                credit = await asyncio.to_thread(self.credit.assess_state, state, profile)
        except InvalidInputError as exc:
            log.info("credit not assessed: %s", exc)
            work.degrade("credit")
            return None
        work.model_versions["credit"] = credit.model_version
        return credit

    async def _generate(self, req: gateway_pb2.ConverseRequest, state: common_pb2.DialogueState,
                        history: Sequence[state_pb2.HistoryEntry], work: TurnWork,
                        credit: common_pb2.CreditAssessment | None,
                        acts: Sequence[dialogue_acts.Act], budget: Budget,
                        ) -> tuple[str, generator_pb2.GenerateResponse | None]:
        turns = []
        for h in history:
            if h.text:
                turns.append(generator_pb2.ContextTurn(speaker="user", text=h.text))
            if h.reply:
                turns.append(generator_pb2.ContextTurn(speaker="advisor", text=h.reply))
        gen_req = generator_pb2.GenerateRequest(
            context=turns, state=state, findings=work.findings,
            num_beams=max(1, req.n_best), n_best=req.n_best, return_attention=True,
            request_id=req.request_id,
            acts=[common_pb2.DialogueAct(name=a.name, args=dict(a.args)) for a in acts],
        )
        if credit is not None:
            gen_req.credit.CopyFrom(credit)
        gen = await self._optional(self.backends.generator.Generate(
            gen_req, timeout=budget.share(0.8)), "generator", work)
        if gen is None:
            # The template realisation of the acts: worded plainly, but it says what was decided.
            return (realise(acts)[1] if acts else SAFE_REPLY), None
        work.model_versions["generator"] = gen.model_version
        return gen.reply, gen

    async def _finish(self, req: gateway_pb2.ConverseRequest,
                      resp: gateway_pb2.ConverseResponse, work: TurnWork,
                      credit: common_pb2.CreditAssessment | None,
                      acts: Sequence[dialogue_acts.Act] = ()) -> None:
        """The reply into the history with the answer kept for replays (one atomic step of the
        state store, so a replayed answer always has its history), and the audit records beside
        it; a failure here fails the turn (retryable).

        The gateway writes the reply through the state store's own script, as it keeps the
        answers for replays, rather than with a RecordReply call to the state service: the
        same atomic write without one more hop on every turn."""
        hashes = {}
        if req.text:
            hashes["text"] = sha256_hex(req.text)
        if req.image.data:
            hashes["image"] = sha256_hex(req.image.data)
        if req.audio.data:
            hashes["audio"] = sha256_hex(req.audio.data)
        entries = [AuditEntry(
            session_id=req.session_id, request_id=req.request_id, kind="turn",
            input_hashes=hashes, model_versions=work.model_versions,
            degraded=work.degraded, acts=[_audit_act(a) for a in acts],
        )]
        if credit is not None:
            entries.append(AuditEntry(
                session_id=req.session_id, request_id=req.request_id, kind="credit_decision",
                input_hashes=hashes, model_versions={"credit": credit.model_version},
                decision=credit.decision, reasons=[r.code for r in credit.reasons],
                probability_of_default=credit.probability_of_default,
            ))
        await asyncio.gather(
            self.store.finish_turn(req.session_id, req.request_id, resp.reply,
                                   _stored_answer(resp), degraded=work.degraded,
                                   image_type=work.findings.image.image_type,
                                   acts=dialogue_acts.to_dicts(acts)),
            self.audit.append_many(entries))


def _stored_answer(resp: gateway_pb2.ConverseResponse) -> bytes:
    """The answer kept for replays, without what a document said that no slot needs: OCR'd
    fields such as the employer's or the customer's name reach the client once, in this turn's
    answer, and are never written to Redis (a replay answers without them)."""
    image = resp.findings.image
    if all(f.slot for f in image.fields):
        return resp.SerializeToString()
    kept = gateway_pb2.ConverseResponse()
    kept.CopyFrom(resp)
    del kept.findings.image.fields[:]
    kept.findings.image.fields.extend(f for f in image.fields if f.slot)
    return kept.SerializeToString()


def _audit_act(a: dialogue_acts.Act) -> str:
    """An act for the audit record: its name and arguments, without the customer's own words
    (a read-back transcript) or figures (the record keeps hashes of the inputs, never them)."""
    keep = {k: v for k, v in a.args.items()
            if k in ("slot", "slots", "decision", "product", "trend", "kind", "topic", "needs",
                     "document", "rate", "task")}
    return str(dialogue_acts.Act(a.name, keep))


def _with_implied_purpose(state: common_pb2.DialogueState) -> common_pb2.DialogueState:
    """The state as the credit models read it: a mortgage is for a home and a car loan for a
    car (the catalogue), so the purpose is not asked for and not missing. The tracked state
    itself is left as the customer gave it."""
    implied = {"mortgage": "home", "auto_loan": "car"}.get(state.slots["product"].value
                                                          if "product" in state.slots else "")
    if not implied or "loan_purpose" in state.slots:
        return state
    out = common_pb2.DialogueState()
    out.CopyFrom(state)
    out.slots["loan_purpose"].CopyFrom(common_pb2.SlotValue(
        value=implied, confidence=state.slots["product"].confidence, source="text",
        turn=state.slots["product"].turn))
    return out
