"""gRPC servicer of the state service: proto <-> domain only."""

from __future__ import annotations

import grpc

from finadvisor.common.v1 import common_pb2
from finadvisor.services.state.tracker import DialogueTracker, FactInput
from finadvisor.sessions import HistoryEntry, SessionState
from finadvisor.shared.info import service_info
from finadvisor.shared.logging import session_id_var
from finadvisor.state.v1 import state_pb2, state_pb2_grpc

#: Largest history a caller may ask for in one call.
MAX_HISTORY = 200


def state_to_proto(state: SessionState) -> common_pb2.DialogueState:
    return common_pb2.DialogueState(
        active_intent=state.active_intent,
        intent_confidence=state.intent_confidence,
        turn_count=state.turn_count,
        changed_slots=list(state.changed_slots),
        slots={
            name: common_pb2.SlotValue(value=r.value, confidence=r.confidence, source=r.source,
                                       turn=r.turn)
            for name, r in state.slots.items()
        },
    )


def history_to_proto(h: HistoryEntry) -> state_pb2.HistoryEntry:
    return state_pb2.HistoryEntry(
        turn=h.turn, request_id=h.request_id, text=h.text, text_source=h.text_source,
        intent=h.intent, changed_slots=list(h.changed_slots), reply=h.reply,
        degraded=list(h.degraded), timestamp_ms=h.timestamp_ms, image_type=h.image_type,
        acts=[common_pb2.DialogueAct(name=a["name"], args=a["args"]) for a in h.acts],
    )


class StateTrackerServicer(state_pb2_grpc.StateTrackerServicer):
    """The state service's API over the tracker StateApp.start() built (NLU + Redis store)."""

    def __init__(self, tracker: DialogueTracker) -> None:
        self.tracker = tracker

    async def CreateSession(self, request: state_pb2.CreateSessionRequest,
                            context: grpc.aio.ServicerContext) -> state_pb2.CreateSessionResponse:
        from finadvisor.ontology import SLOTS

        session_id_var.set(request.session_id)
        profile = dict(request.profile)
        slots = {k: v for k, v in profile.items() if k in SLOTS}
        store = self.tracker.store
        state = await store.create_session(request.session_id, profile, slots)
        return state_pb2.CreateSessionResponse(state=state_to_proto(state),
                                               ttl_seconds=store.config.ttl_s)

    async def ApplyTurn(self, request: state_pb2.ApplyTurnRequest,
                        context: grpc.aio.ServicerContext) -> state_pb2.ApplyTurnResponse:
        from finadvisor.shared.errors import InvalidInputError

        session_id_var.set(request.session_id)
        if request.history_limit < 0:
            raise InvalidInputError("history_limit must not be negative")
        applied = await self.tracker.apply(
            session_id=request.session_id,
            request_id=request.request_id,
            text=request.text,
            text_source=request.text_source or "text",
            facts=[FactInput(f.slot, f.value, f.confidence, f.source or "image")
                   for f in request.facts],
            backup_intent=request.backup_intent,
            backup_intent_confidence=request.backup_intent_confidence,
            history_limit=min(request.history_limit, MAX_HISTORY),
            hold_text_values=request.hold_text_values,
        )
        resp = state_pb2.ApplyTurnResponse(
            state=state_to_proto(applied.result.state),
            turn=applied.result.turn,
            replayed=applied.result.replayed,
            mentions=[state_pb2.SlotMention(slot=m.slot, value=m.value, confidence=m.confidence,
                                            start=m.start, end=m.end)
                      for m in applied.mentions],
            candidates=[state_pb2.SlotMention(slot=m.slot, value=m.value, confidence=m.confidence,
                                              start=m.start, end=m.end, held=getattr(m, "held", False))
                        for m in applied.candidates],
        )
        snap = applied.result.context
        if snap is not None:
            # The context the caller needs next, read with the turn rather than by a GetState.
            resp.history.extend(history_to_proto(h) for h in snap.history)
            resp.profile.update(snap.profile)
        return resp

    async def RecordReply(self, request: state_pb2.RecordReplyRequest,
                          context: grpc.aio.ServicerContext) -> state_pb2.RecordReplyResponse:
        session_id_var.set(request.session_id)
        await self.tracker.store.record_reply(
            request.session_id, request.request_id, request.reply, list(request.degraded),
            request.image_type)
        return state_pb2.RecordReplyResponse()

    async def GetState(self, request: state_pb2.GetStateRequest,
                       context: grpc.aio.ServicerContext) -> state_pb2.GetStateResponse:
        session_id_var.set(request.session_id)
        limit = min(request.history_limit, MAX_HISTORY) if request.history_limit > 0 else None
        snap = await self.tracker.store.get_state(request.session_id, limit)
        return state_pb2.GetStateResponse(
            state=state_to_proto(snap.state),
            history=[history_to_proto(h) for h in snap.history],
            profile=snap.profile, created_ms=snap.created_ms, ttl_seconds=snap.ttl_seconds,
        )

    async def EraseSession(self, request: state_pb2.EraseSessionRequest,
                           context: grpc.aio.ServicerContext) -> state_pb2.EraseSessionResponse:
        session_id_var.set(request.session_id)
        deleted = await self.tracker.store.erase(request.session_id)
        return state_pb2.EraseSessionResponse(deleted_keys=deleted)

    async def ListSessions(self, request: state_pb2.ListSessionsRequest,
                           context: grpc.aio.ServicerContext) -> state_pb2.ListSessionsResponse:
        limit = max(1, min(request.limit or 50, 500))
        listing = await self.tracker.store.list_sessions(limit)
        return state_pb2.ListSessionsResponse(sessions=[
            state_pb2.SessionSummary(session_id=s.session_id, last_active_ms=s.last_active_ms)
            for s in listing
        ])

    async def Understand(self, request: state_pb2.UnderstandRequest,
                         context: grpc.aio.ServicerContext) -> state_pb2.UnderstandResponse:
        from finadvisor.shared.errors import InvalidInputError

        if len(request.text) > 4000:
            raise InvalidInputError("text is longer than 4000 characters")
        nlu = self.tracker.nlu.understand(request.text)
        return state_pb2.UnderstandResponse(
            intent=nlu.intent, intent_confidence=nlu.intent_confidence,
            intent_probabilities=dict(nlu.intent_probabilities),
            mentions=[state_pb2.SlotMention(slot=m.slot, value=m.value, confidence=m.confidence,
                                            start=m.start, end=m.end) for m in nlu.mentions],
        )

    async def GetInfo(self, request: common_pb2.GetInfoRequest,
                      context: grpc.aio.ServicerContext) -> common_pb2.ServiceInfo:
        return service_info("state", {"nlu": self.tracker.version})
