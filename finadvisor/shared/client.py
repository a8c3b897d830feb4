"""Client side of the runtime: channels with bounded messages and calls that always have a
deadline, and the caller's request id propagated as metadata."""

from __future__ import annotations

from typing import Any

import grpc

from finadvisor.shared.interceptors import REQUEST_ID_HEADER
from finadvisor.shared.logging import request_id_var

DEFAULT_DEADLINE_S = 5.0


class DeadlineInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Give every call a deadline (the default when the caller set none) and the request id."""

    def __init__(self, default_timeout_s: float = DEFAULT_DEADLINE_S,
                 metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self.default_timeout_s = default_timeout_s
        self.metadata = metadata

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        timeout = details.timeout if details.timeout is not None else self.default_timeout_s
        metadata = list(details.metadata or []) + list(self.metadata)
        rid = request_id_var.get()
        if rid and not any(k == REQUEST_ID_HEADER for k, _ in metadata):
            metadata.append((REQUEST_ID_HEADER, rid))
        new = grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )
        return await continuation(new, request)


def channel_options(max_message_bytes: int) -> list[tuple[str, Any]]:
    return [
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        # Reconnect quickly once a restarted service is back.
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 2_000),
        ("grpc.enable_retries", 0),
    ]


def make_channel(
    target: str,
    *,
    default_timeout_s: float = DEFAULT_DEADLINE_S,
    max_message_bytes: int = 16 * 1024 * 1024,
    credentials: grpc.ChannelCredentials | None = None,
    api_key: str | None = None,
) -> grpc.aio.Channel:
    """An aio channel whose every unary call carries a deadline (and the API key, if given)."""
    opts = channel_options(max_message_bytes)
    metadata = (("authorization", f"Bearer {api_key}"),) if api_key else ()
    interceptors = [DeadlineInterceptor(default_timeout_s, metadata)]
    if credentials is not None:
        return grpc.aio.secure_channel(target, credentials, options=opts,
                                       interceptors=interceptors)
    return grpc.aio.insecure_channel(target, options=opts, interceptors=interceptors)
