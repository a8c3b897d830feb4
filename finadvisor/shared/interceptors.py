"""Server interceptors: request id, logging, metrics and the error table, in one place.

Every unary RPC of every service goes through :class:`ServiceInterceptor`, so servicers stay
proto <-> domain only: they raise domain exceptions and this maps them to status codes
(``finadvisor.shared.errors.status_for``). INTERNAL never carries details; the full error goes
to the log (redacted). The access line of a call ("rpc", its method, code and duration) is
written a moment after the answer has left (``ACCESS_LOG``), not before it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from finadvisor.shared import metrics
from finadvisor.shared.errors import InvalidInputError, RateLimitedError, status_for
from finadvisor.shared.logging import ACCESS_LOG, request_id_var

log = logging.getLogger("finadvisor.rpc")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


def clean_request_id(raw: str | None) -> str:
    """Accept a caller's id only when short and plain; otherwise mint one."""
    if raw and len(raw) <= 128 and set(raw) <= _SAFE_ID_CHARS:
        return raw
    return uuid.uuid4().hex


def _metadata_value(metadata: Any, key: str) -> str | None:
    for item in metadata or ():
        k, v = item[0], item[1]
        if k == key:
            return v if isinstance(v, str) else v.decode(errors="replace")
    return None


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    """Request id, JSON access log, Prometheus metrics and exception -> status mapping."""

    def __init__(self, service: str) -> None:
        self.service = service
        #: method -> (its handler, the wrapped handler made for it): made once per method, not
        #: once per call (only registered methods get here, so it stays as small as the API)
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}
        self._in_flight = metrics.RPC_IN_FLIGHT.labels(service)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler  # streaming RPCs (health Watch, reflection) pass through untouched
        made = self._wrapped.get(details.method)
        if made is not None and made[0] is handler:
            return made[1]
        wrapped = self._wrap(handler, details.method.rsplit("/", 1)[-1])
        self._wrapped[details.method] = (handler, wrapped)
        return wrapped

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        inner = handler.unary_unary
        deserialize = handler.request_deserializer

        def safe_deserializer(raw: bytes) -> Any:
            # A request that is not the message it claims to be is the caller's error
            # (INVALID_ARGUMENT), not ours (grpc would answer INTERNAL).
            try:
                return deserialize(raw) if deserialize else raw
            except Exception:  # noqa: BLE001 - any decoding failure
                return _UNDECODABLE

        service, in_flight = self.service, self._in_flight
        latency = metrics.RPC_LATENCY.labels(service, method)
        answered = metrics.RPC_REQUESTS.labels(service, method, grpc.StatusCode.OK.name)

        async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
            incoming_id = _metadata_value(context.invocation_metadata(), REQUEST_ID_HEADER)
            token = request_id_var.set(clean_request_id(incoming_id))
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            in_flight.inc()
            try:
                if request is _UNDECODABLE:
                    raise InvalidInputError(f"the {method} request is not a valid message")
                return await inner(request, context)
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            except BaseException as exc:  # this is the one place errors map
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                if isinstance(exc, asyncio.CancelledError):  # the caller went away: no error
                    code = grpc.StatusCode.CANCELLED
                    raise
                code, message = status_for(exc)
                if code == grpc.StatusCode.INTERNAL:
                    log.error("unhandled error in %s", method, exc_info=exc)
                elif isinstance(exc, BaseException) and code == grpc.StatusCode.CANCELLED:
                    raise
                if isinstance(exc, RateLimitedError):
                    await context.abort_with_status(_rate_limited_status(message, exc))
                await context.abort(code, message)
            finally:
                elapsed = time.perf_counter() - start
                in_flight.dec()
                latency.observe(elapsed)
                (answered if code == grpc.StatusCode.OK else
                 metrics.RPC_REQUESTS.labels(service, method, code.name)).inc()
                if log.isEnabledFor(logging.INFO):  # the line is written after the answer
                    ACCESS_LOG.add(log, "rpc", method=method, code=code.name,
                                   duration_ms=round(elapsed * 1000, 2))
                request_id_var.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            wrapper,
            request_deserializer=safe_deserializer,
            response_serializer=handler.response_serializer,
        )


_UNDECODABLE = object()


def _rate_limited_status(message: str, exc: RateLimitedError) -> grpc.Status:
    retry = error_details_pb2.RetryInfo(
        retry_delay=duration_pb2.Duration(
            seconds=int(exc.retry_after_s), nanos=int((exc.retry_after_s % 1) * 1e9)
        )
    )
    detail = any_pb2.Any()
    detail.Pack(retry)
    return rpc_status.to_status(
        status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=message, details=[detail])
    )
