"""Domain exceptions and the one table that maps them to gRPC status codes.

Domain code raises these (it imports no grpc); the error interceptor turns them into statuses.
Any other exception becomes INTERNAL with a generic message: the details go to the log only,
so no customer data leaks to a client.
"""

from __future__ import annotations

import grpc


class FinadvisorError(Exception):
    """Base of every domain error. ``str(err)`` is safe to show to a client."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL


class InvalidInputError(FinadvisorError):
    """The request is malformed: a bad field, an oversized or corrupt attachment."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class SessionNotFoundError(FinadvisorError):
    code = grpc.StatusCode.NOT_FOUND


class ConflictError(FinadvisorError):
    """A concurrent update lost its race too many times, or the same request is in flight."""

    code = grpc.StatusCode.ABORTED


class StoreUnavailableError(FinadvisorError):
    """Redis (or another backing store) does not answer; safe to retry later."""

    code = grpc.StatusCode.UNAVAILABLE


class ServiceUnavailableError(FinadvisorError):
    code = grpc.StatusCode.UNAVAILABLE


class ModelNotReadyError(FinadvisorError):
    """A model is not loaded (missing, or its files fail their checksum)."""

    code = grpc.StatusCode.UNAVAILABLE


class CapabilityMissingError(FinadvisorError):
    """The capability is not built or not installed here (e.g. OCR without tesseract)."""

    code = grpc.StatusCode.UNIMPLEMENTED


class RateLimitedError(FinadvisorError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class UnauthenticatedError(FinadvisorError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDeniedError(FinadvisorError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ConfigError(FinadvisorError):
    """Bad configuration at start-up; the message is one readable line."""


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """Map an exception to (status code, client-safe message)."""
    if isinstance(exc, FinadvisorError):
        return exc.code, str(exc) or exc.__class__.__name__
    if isinstance(exc, NotImplementedError):
        return grpc.StatusCode.UNIMPLEMENTED, "not implemented by this service yet"
    if isinstance(exc, TimeoutError):
        return grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded"
    return grpc.StatusCode.INTERNAL, "internal error"
