"""Authentication, authorisation and rate limits at the public gateway.

Every call but health and reflection carries ``authorization: Bearer <client_id>.<secret>``;
the role table below says which roles may call which RPC (erasure is checked again in
EndSession, since only ``admin`` may erase). A call without valid credentials is
UNAUTHENTICATED, one without the right role PERMISSION_DENIED; neither logs the secret.

Rate limits: a token bucket per client in Redis (one Lua script, so it holds across gateway
replicas) -> RESOURCE_EXHAUSTED with RetryInfo. Concurrent turns per session are bounded with
a Redis counter under the session's hash tag (with a TTL, so a crashed gateway frees it).
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from finadvisor.shared.errors import (
    ConflictError,
    FinadvisorError,
    RateLimitedError,
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

_TOKEN_BUCKET = """
-- KEYS[1] bucket hash; ARGV: rate per s, burst, now ms, ttl ms
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
local allowed = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {allowed, wait_ms}
"""


class RateLimiter:
    """Per-client token bucket and per-session concurrent-turn bound, both in Redis."""

    def __init__(self, redis: Any, rate_per_s: float, burst: int,
                 max_turns_per_session: int) -> None:
        self.redis = redis
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_turns_per_session = max_turns_per_session
        self._script = redis.register_script(_TOKEN_BUCKET)
        #: decrement the in-flight counter and drop it at zero (no key outlives its turns)
        self.release = redis.register_script(
            "if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end")

    async def take(self, client_id: str) -> None:
        if self.rate_per_s <= 0:
            return
        ttl_ms = int(max(self.burst / self.rate_per_s, 1.0) * 1000) + 1000
        try:
            allowed, wait_ms = await self._script(
                keys=[f"fa:rl:{{{client_id}}}"],
                args=[self.rate_per_s, self.burst, int(time.time() * 1000), ttl_ms])
        except Exception as exc:  # noqa: BLE001 - redis errors of every flavour
            raise StoreUnavailableError("rate limiter unavailable") from exc
        if not int(allowed):
            raise RateLimitedError("rate limit exceeded, retry later",
                                   retry_after_s=int(wait_ms) / 1000)

    def session_turn(self, session_id: str) -> "_TurnSlot":
        return _TurnSlot(self, session_id)


class _TurnSlot:
    """``async with limiter.session_turn(sid)``: at most N turns of a session at once."""

    def __init__(self, limiter: RateLimiter, session_id: str) -> None:
        self.limiter = limiter
        self.key = f"fa:{{{session_id}}}:inflight"
        self.held = False

    async def __aenter__(self) -> None:
        try:
            async with self.limiter.redis.pipeline(transaction=True) as pipe:
                pipe.incr(self.key)
                pipe.expire(self.key, 60)
                count, _ = await pipe.execute()
        except Exception as exc:  # noqa: BLE001
            raise StoreUnavailableError("session store unavailable") from exc
        self.held = True
        if int(count) > self.limiter.max_turns_per_session:
            await self.__aexit__()
            raise ConflictError("too many concurrent turns on this session; retry")

    async def __aexit__(self, *exc: object) -> None:
        if self.held:
            self.held = False
            try:
                await self.limiter.release(keys=[self.key])
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
                    await limiter.take(client.client_id)
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
