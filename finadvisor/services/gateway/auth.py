"""Authentication, authorisation and rate limits at the public gateway.

Every call but health and reflection carries ``authorization: Bearer <client_id>.<secret>``;
the role table below says which roles may call which RPC (erasure is checked again in
EndSession, since only ``admin`` may erase). A call without valid credentials is
UNAUTHENTICATED, one without the right role PERMISSION_DENIED; neither logs the secret.

Rate limits: a token bucket per client in Redis (one Lua script, so it holds across gateway
replicas) -> RESOURCE_EXHAUSTED with RetryInfo. Concurrent turns per session are bounded with
a Redis counter under the session's hash tag (with a TTL, so a crashed gateway frees it).

Ownership: a session belongs to the API client that started it (``fa:{<session>}:owner``,
written by StartSession, its TTL refreshed by every turn). Another client gets NOT_FOUND, the
same answer as for an id that never existed, so a guessed id confirms nothing. Analysts and
admins may read across clients (their job); only an admin may end or erase another client's
session; nobody writes a turn into another client's session. The check of a turn and the
session's turn slot are one script, one round trip.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from finadvisor.sessions import Script, ScriptRunner, run_on
from finadvisor.sessions.types import (
    INFLIGHT_SUFFIX,
    META_SUFFIX,
    OWNER_SUFFIX,
    TURN_RATE_SUFFIX,
    client_rate_key,
    session_key,
)
from finadvisor.shared.errors import (
    ConflictError,
    FinadvisorError,
    RateLimitedError,
    SessionNotFoundError,
    StoreUnavailableError,
    status_for,
)
from finadvisor.shared.security import Client, CredentialStore

log = logging.getLogger("finadvisor.auth")

client_var: contextvars.ContextVar[Client | None] = contextvars.ContextVar("client",
                                                                           default=None)

#: RPC -> roles allowed. Health and reflection need no credentials (probes, tooling).
METHOD_ROLES: dict[str, frozenset[str]] = {
    "StartSession": frozenset({"backend", "analyst"}),
    "Converse": frozenset({"backend", "analyst"}),
    "GetSession": frozenset({"backend", "analyst", "admin"}),
    "EndSession": frozenset({"backend", "analyst", "admin"}),
    "AssessCredit": frozenset({"backend", "analyst"}),
    "ListSessions": frozenset({"analyst", "admin"}),
    "GetAuditRecords": frozenset({"analyst", "admin"}),
    "GetInfo": frozenset({"backend", "analyst", "admin"}),
}
GATEWAY_SERVICE = "/finadvisor.gateway.v1.AdvisoryGateway/"

#: What a non-owner may do with a session, by role.
CROSS_CLIENT: dict[str, frozenset[str]] = {
    "read": frozenset({"analyst", "admin"}),
    "end": frozenset({"admin"}),
    "turn": frozenset(),
}
NOT_FOUND_MESSAGE = "session not found or expired"


def owner_key(session_id: str) -> str:
    return session_key(session_id, OWNER_SUFFIX)


def may_cross(client: Client | None, action: str) -> bool:
    """True when ``client`` may do ``action`` on any client's session (None: auth is off)."""
    return client is None or bool(client.roles & CROSS_CLIENT[action])


class Ownership:
    """Which API client started a session; kept in Redis beside the session's keys."""

    def __init__(self, redis: Any, ttl_s: int) -> None:
        self.redis = redis
        #: a little longer than the session's TTL: an owner key must never expire first
        self.ttl_s = ttl_s + max(60, ttl_s // 10)

    async def claim(self, session_id: str, client: Client | None) -> None:
        if client is None:
            return
        try:
            await self.redis.set(owner_key(session_id), client.client_id, ex=self.ttl_s)
        except Exception as exc:  # redis errors of every flavour
            raise StoreUnavailableError("session store unavailable") from exc

    async def owners(self, session_ids: list[str]) -> list[str]:
        """The owner of each session ('' when unknown), one round trip (cluster-safe)."""
        if not session_ids:
            return []
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for sid in session_ids:
                    pipe.get(owner_key(sid))
                raw = await pipe.execute()
        except Exception as exc:  # redis errors of every flavour
            raise StoreUnavailableError("session store unavailable") from exc
        return [(r.decode() if isinstance(r, bytes) else r) or "" for r in raw]

    async def check(self, session_id: str, client: Client | None, action: str) -> None:
        """SessionNotFoundError unless ``client`` owns the session or its role may cross."""
        if may_cross(client, action):
            return
        assert client is not None
        owner = (await self.owners([session_id]))[0]
        if owner != client.client_id:
            raise SessionNotFoundError(NOT_FOUND_MESSAGE)

    async def forget(self, session_id: str) -> None:
        try:
            await self.redis.delete(owner_key(session_id))
        except Exception as exc:  # redis errors of every flavour
            raise StoreUnavailableError("session store unavailable") from exc


def turn_rate_key(session_id: str) -> str:
    return session_key(session_id, TURN_RATE_SUFFIX)


def inflight_key(session_id: str) -> str:
    return session_key(session_id, INFLIGHT_SUFFIX)


class RateLimiter:
    """Per-client token bucket and per-session concurrent-turn bound, both in Redis."""

    def __init__(self, redis: Any, rate_per_s: float, burst: int,
                 max_turns_per_session: int, session_turns_per_min: float = 60.0,
                 session_turn_burst: int = 20, run_script: ScriptRunner | None = None) -> None:
        """``run_script``: how a script reaches Redis (the session store's ``run_script``,
        which pipelines it with the store's own calls); by default one call on ``redis``."""
        self.redis = redis
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_turns_per_session = max_turns_per_session
        self.session_turns_per_s = session_turns_per_min / 60.0
        self.session_turn_burst = session_turn_burst
        self._run: ScriptRunner = run_script or run_on(redis)
        self._bucket = Script.named("token_bucket")
        self._turn_slot = Script.named("turn_slot")
        self._release = Script.named("release_turn")

    def release(self, keys: list[str]) -> Awaitable[Any]:
        """Give back a turn slot (``keys``: the session's in-flight counter)."""
        return self._run(self._release, keys, [])

    async def take(self, client_id: str, rate_per_s: float | None = None,
                   burst: int | None = None) -> None:
        """One call of ``client_id``, at its own rate/burst (credentials file) or the default."""
        rate = self.rate_per_s if rate_per_s is None else rate_per_s
        burst = self.burst if burst is None else burst
        if rate <= 0:
            return
        ttl_ms = int(max(burst / rate, 1.0) * 1000) + 1000
        try:
            allowed, wait_ms = await self._run(
                self._bucket, [client_rate_key(client_id)],
                [rate, burst, int(time.time() * 1000), ttl_ms])
        except Exception as exc:  # redis errors of every flavour
            raise StoreUnavailableError("rate limiter unavailable") from exc
        if not int(allowed):
            raise RateLimitedError("rate limit exceeded, retry later",
                                   retry_after_s=int(wait_ms) / 1000)

    def session_turn(self, session_id: str, client: Client | None = None,
                     ownership: Ownership | None = None) -> _TurnSlot:
        """The session's turn slot; with ``ownership``, only for the session's owner."""
        return _TurnSlot(self, session_id, client, ownership)


class _TurnSlot:
    """``async with limiter.session_turn(sid)``: at most N turns of a session at once."""

    def __init__(self, limiter: RateLimiter, session_id: str, client: Client | None = None,
                 ownership: Ownership | None = None) -> None:
        self.limiter = limiter
        self.key = inflight_key(session_id)
        self.owner_key = owner_key(session_id)
        self.rate_key = turn_rate_key(session_id)
        self.meta_key = session_key(session_id, META_SUFFIX)  # the session exists while it does
        checked = ownership is not None and not may_cross(client, "turn")
        self.caller = client.client_id if checked and client is not None else ""
        self.owner_ttl_s = ownership.ttl_s if ownership is not None else 0
        self.held = False

    async def __aenter__(self) -> None:
        lim = self.limiter
        try:
            count, wait_ms = await lim._run(
                lim._turn_slot, [self.key, self.owner_key, self.rate_key, self.meta_key],
                [self.caller, self.owner_ttl_s, lim.session_turns_per_s,
                 lim.session_turn_burst, int(time.time() * 1000)])
        except Exception as exc:  # redis errors of every flavour
            raise StoreUnavailableError("session store unavailable") from exc
        if int(count) == -1:
            raise SessionNotFoundError(NOT_FOUND_MESSAGE)
        if int(count) == -2:
            raise RateLimitedError("too many turns on this session, retry later",
                                   retry_after_s=int(wait_ms) / 1000)
        self.held = True
        if int(count) > self.limiter.max_turns_per_session:
            await self.__aexit__()
            raise ConflictError("too many concurrent turns on this session; retry")

    async def __aexit__(self, *exc: object) -> None:
        if self.held:
            self.held = False
            try:
                await self.limiter.release([self.key])
            except Exception:  # noqa: BLE001 - the TTL frees it anyway
                log.warning("could not release a session turn slot")


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Authenticate and authorise gateway calls; rate-limit per client."""

    def __init__(self, credentials: CredentialStore,
                 limiter: Callable[[], RateLimiter | None]) -> None:
        self.credentials = credentials
        self.limiter = limiter

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not details.method.startswith(GATEWAY_SERVICE):
            return handler  # health, reflection
        method = details.method[len(GATEWAY_SERVICE):]
        header = next((v for k, v in details.invocation_metadata or ()
                       if k == "authorization"), None)
        inner = handler.unary_unary
        interceptor = self

        async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                client = interceptor.credentials.authenticate(
                    header if isinstance(header, str) or header is None else header.decode())
                if not client.roles & METHOD_ROLES.get(method, frozenset()):
                    from finadvisor.shared.errors import PermissionDeniedError

                    raise PermissionDeniedError(f"{method} needs the role "
                                                f"{' or '.join(sorted(METHOD_ROLES[method]))}")
                limiter = interceptor.limiter()
                if limiter is not None:
                    await limiter.take(client.client_id, client.rate_per_s, client.burst)
            except FinadvisorError as exc:
                code, message = status_for(exc)
                log.warning("call refused", extra={"fields": {"method": method,
                                                              "code": code.name}})
                raise
            token = client_var.set(client)
            try:
                return await inner(request, context)
            finally:
                client_var.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            guarded, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)
