"""gRPC servicer of the public AdvisoryGateway: proto <-> use cases only."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable
from typing import TypeVar

import grpc

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from finadvisor.services.gateway.audit import AuditEntry, AuditLog
from finadvisor.services.gateway.auth import Ownership, RateLimiter, client_var
from finadvisor.services.gateway.clients import Backends
from finadvisor.services.gateway.converse import Converser, _rpc_error
from finadvisor.services.gateway.credit import CreditScorer
from finadvisor.services.gateway.erasure import Eraser
from finadvisor.services.gateway.validation import check_id, check_profile
from finadvisor.shared.errors import InvalidInputError
from finadvisor.shared.info import service_info
from finadvisor.shared.logging import session_id_var
from finadvisor.shared.security import require_role
from finadvisor.state.v1 import state_pb2

STATE_CALL_S = 2.0
#: the bank's own customer reference: opaque, bounded
MAX_CUSTOMER_ID_CHARS = 128
T = TypeVar("T")


def _history(h: state_pb2.HistoryEntry) -> gateway_pb2.HistoryTurn:
    return gateway_pb2.HistoryTurn(
        turn=h.turn, request_id=h.request_id, text=h.text, reply=h.reply, intent=h.intent,
        changed_slots=h.changed_slots, degraded=h.degraded, timestamp_ms=h.timestamp_ms,
        text_source=h.text_source, image_type=h.image_type, acts=h.acts)


def _audit(e: AuditEntry) -> gateway_pb2.AuditRecord:
    return gateway_pb2.AuditRecord(
        id=e.id, session_id=e.session_id, request_id=e.request_id, kind=e.kind,
        timestamp_ms=e.timestamp_ms, input_hashes=dict(e.input_hashes),
        model_versions=dict(e.model_versions), decision=e.decision, reasons=list(e.reasons),
        probability_of_default=e.probability_of_default, degraded=list(e.degraded),
        caller=e.caller)


class AdvisoryGatewayServicer(gateway_pb2_grpc.AdvisoryGatewayServicer):
    """The public API over what GatewayApp.start() built inside the serving event loop."""

    def __init__(self, backends: Backends, converser: Converser, audit: AuditLog,
                 credit: CreditScorer, limiter: RateLimiter,
                 ownership: Ownership | None = None) -> None:
        self.backends = backends
        self.converser = converser
        self.audit = audit
        self.credit = credit
        self.limiter = limiter
        #: who started each session (None: authentication is off, no owners)
        self.ownership = ownership

    async def _check_owner(self, session_id: str, action: str) -> None:
        if self.ownership is not None:
            await self.ownership.check(session_id, client_var.get(), action)

    async def _state(self, call: Awaitable[T], name: str = "state") -> T:
        """A call of the state service (any of its methods), its failure mapped to the turn's
        domain error."""
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            raise _rpc_error(exc, name) from None

    async def StartSession(self, request: gateway_pb2.StartSessionRequest,
                           context: grpc.aio.ServicerContext) -> gateway_pb2.StartSessionResponse:
        from finadvisor.ontology import SLOTS

        backends = self.backends
        profile = dict(request.profile)
        check_profile(profile, frozenset(SLOTS))
        if request.currency:
            if len(request.currency) != 3 or not request.currency.isalpha():
                raise InvalidInputError("currency must be an ISO 4217 code such as EUR")
            profile.setdefault("currency", request.currency.upper())
        if request.locale:
            if len(request.locale) > 35:
                raise InvalidInputError("locale is longer than 35 characters")
        if len(request.customer_id) > MAX_CUSTOMER_ID_CHARS or not request.customer_id.isprintable():
            raise InvalidInputError(f"customer_id must be at most {MAX_CUSTOMER_ID_CHARS} "
                                    "printable characters")
        session_id = uuid.uuid4().hex
        session_id_var.set(session_id)
        if self.ownership is not None:  # owned before it exists: no window without an owner
            await self.ownership.claim(session_id, client_var.get())
        created = await self._state(backends.state.CreateSession(
            state_pb2.CreateSessionRequest(session_id=session_id, profile=profile),
            timeout=STATE_CALL_S))
        return gateway_pb2.StartSessionResponse(session_id=session_id, state=created.state,
                                                ttl_seconds=created.ttl_seconds)

    async def Converse(self, request: gateway_pb2.ConverseRequest,
                       context: grpc.aio.ServicerContext) -> gateway_pb2.ConverseResponse:
        converser = self.converser
        session_id_var.set(request.session_id)
        converser.validate(request)
        # The answer kept for a replay is read beside the turn slot (one round trip with the
        # store's auto-pipeline) and used only once the slot is granted to the session's owner.
        stored = asyncio.ensure_future(converser.store.get_response(request.session_id,
                                                                    request.request_id))
        try:
            async with self.limiter.session_turn(request.session_id, client_var.get(),
                                                 self.ownership):
                return await converser.converse(request, context.time_remaining(), stored)
        finally:
            if not stored.done():
                stored.cancel()
            elif not stored.cancelled():
                stored.exception()  # retrieved: a slot refused first leaves it unread

    async def GetSession(self, request: gateway_pb2.GetSessionRequest,
                         context: grpc.aio.ServicerContext) -> gateway_pb2.GetSessionResponse:
        backends = self.backends
        check_id(request.session_id, "session_id")
        if request.history_limit < 0:
            raise InvalidInputError("history_limit must not be negative")
        session_id_var.set(request.session_id)
        await self._check_owner(request.session_id, "read")
        got = await self._state(backends.state.GetState(state_pb2.GetStateRequest(
            session_id=request.session_id, history_limit=request.history_limit),
            timeout=STATE_CALL_S))
        return gateway_pb2.GetSessionResponse(
            session_id=request.session_id, state=got.state,
            history=[_history(h) for h in got.history], profile=got.profile,
            created_ms=got.created_ms, ttl_seconds=got.ttl_seconds)

    async def EndSession(self, request: gateway_pb2.EndSessionRequest,
                         context: grpc.aio.ServicerContext) -> gateway_pb2.EndSessionResponse:
        backends, audit = self.backends, self.audit
        check_id(request.session_id, "session_id")
        session_id_var.set(request.session_id)
        await self._check_owner(request.session_id, "end")
        if not request.erase:
            # Closing without erasure: the session expires by its TTL; say when.
            got = await self._state(backends.state.GetState(state_pb2.GetStateRequest(
                session_id=request.session_id, history_limit=1), timeout=STATE_CALL_S))
            return gateway_pb2.EndSessionResponse(
                erased=False, expires_at_ms=int(time.time() * 1000) + got.ttl_seconds * 1000)
        require_role(client_var.get(), "admin")

        async def erase_state(session_id: str) -> None:
            await self._state(backends.state.EraseSession(
                state_pb2.EraseSessionRequest(session_id=session_id), timeout=STATE_CALL_S))

        await Eraser(self.limiter.redis, erase_state, audit,
                     wait_turns_s=self.converser.settings.turn_deadline_s + 1.0
                     ).erase(request.session_id)
        return gateway_pb2.EndSessionResponse(erased=True)

    async def AssessCredit(self, request: gateway_pb2.AssessCreditRequest,
                           context: grpc.aio.ServicerContext) -> gateway_pb2.AssessCreditResponse:
        audit, credit = self.audit, self.credit
        if not request.HasField("applicant"):
            raise InvalidInputError("applicant is required")
        result = await asyncio.to_thread(credit.assess_applicant, request.applicant)
        await audit.append(AuditEntry(
            session_id="", request_id=uuid.uuid4().hex, kind="credit_decision",
            model_versions={"credit": result.model_version}, decision=result.decision,
            reasons=[r.code for r in result.reasons],
            probability_of_default=result.probability_of_default))
        return gateway_pb2.AssessCreditResponse(credit=result)

    async def ListSessions(self, request: gateway_pb2.ListSessionsRequest,
                           context: grpc.aio.ServicerContext) -> gateway_pb2.ListSessionsResponse:
        backends = self.backends
        if request.limit < 0:
            raise InvalidInputError("limit must not be negative")
        if request.client_id:
            check_id(request.client_id, "client_id")
        limit = min(request.limit or 50, 500)
        # With a client filter the index is read deeper, so the filter still finds `limit`.
        listing = await self._state(backends.state.ListSessions(
            state_pb2.ListSessionsRequest(limit=500 if request.client_id else limit),
            timeout=STATE_CALL_S))
        sessions = list(listing.sessions)
        owners = (await self.ownership.owners([s.session_id for s in sessions])
                  if self.ownership is not None else [""] * len(sessions))
        owner_of = dict(zip((s.session_id for s in sessions), owners, strict=True))
        if request.client_id:
            sessions = [s for s in sessions if owner_of[s.session_id] == request.client_id]
        sessions = sessions[:limit]

        async def summary(s: state_pb2.SessionSummary) -> gateway_pb2.SessionSummary | None:
            try:
                got = await backends.state.GetState(state_pb2.GetStateRequest(
                    session_id=s.session_id, history_limit=1), timeout=STATE_CALL_S)
            except grpc.aio.AioRpcError:
                return None  # expired between the listing and now
            return gateway_pb2.SessionSummary(
                session_id=s.session_id, updated_ms=s.last_active_ms,
                turn_count=got.state.turn_count, active_intent=got.state.active_intent,
                client_id=owner_of[s.session_id])

        found = await asyncio.gather(*(summary(s) for s in sessions))
        return gateway_pb2.ListSessionsResponse(sessions=[s for s in found if s is not None])

    async def GetAuditRecords(self, request: gateway_pb2.GetAuditRecordsRequest,
                              context: grpc.aio.ServicerContext,
                              ) -> gateway_pb2.GetAuditRecordsResponse:
        audit = self.audit
        check_id(request.session_id, "session_id")
        if request.limit < 0:
            raise InvalidInputError("limit must not be negative")
        await self._check_owner(request.session_id, "read")
        entries = await audit.for_session(request.session_id, min(request.limit or 100, 1000))
        return gateway_pb2.GetAuditRecordsResponse(records=[_audit(e) for e in entries])

    async def GetInfo(self, request: common_pb2.GetInfoRequest,
                      context: grpc.aio.ServicerContext) -> gateway_pb2.GatewayInfo:
        return gateway_pb2.GatewayInfo(
            gateway=service_info("gateway", {"credit": self.credit.version}),
            services=await self.backends.infos())
