"""The session store's interface: public methods validate their input, backends implement hooks.

Errors: :class:`InvalidInputError` (bad input), :class:`SessionNotFoundError` (unknown or
expired session), :class:`StoreUnavailableError` (backend down or too slow; nothing was
half-written and retrying with the same request_id is safe).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from finadvisor.sessions.config import SessionSettings
from finadvisor.sessions.types import (
    SessionListing,
    SessionSnapshot,
    SessionState,
    TurnInput,
    TurnResult,
    acts_to_json,
    check_id,
    now_ms,
    validate_profile,
    validate_reply,
    validate_turn,
)
from finadvisor.shared.errors import InvalidInputError


class StateStore(abc.ABC):
    """Sessions' dialogue state. Public methods validate input, then call the backend's hook.

    Errors: :class:`InvalidInputError` (bad input), :class:`SessionNotFoundError` (unknown or
    expired session), :class:`StoreUnavailableError` (backend down or too slow; nothing was
    half-written and retrying with the same request_id is safe).
    """

    def __init__(self, config: SessionSettings) -> None:
        self.config = config

    async def create_session(
        self,
        session_id: str,
        profile: Mapping[str, str] | None = None,
        profile_slots: Mapping[str, str] | None = None,
    ) -> SessionState:
        """Create a session; profile slots enter the state with source "backend", turn -1.

        Idempotent: creating a session that exists changes nothing and returns its state, so a
        retried StartSession is harmless.
        """
        check_id(session_id, "session_id")
        profile = dict(profile or {})
        profile_slots = dict(profile_slots or {})
        validate_profile(profile, profile_slots)
        return await self._create_session(session_id, profile, profile_slots, now_ms())

    async def apply_turn(self, turn: TurnInput, history_limit: int = 0) -> TurnResult:
        """Merge one understood turn into its session atomically (idempotent by request_id).

        Merge rule: each mentioned slot is overwritten (value, confidence, source, turn); a
        later update of the same slot in one turn wins. The intent becomes the active intent
        unless it is empty. With ``history_limit`` > 0 the result also carries the session
        right after the turn (its last history entries and profile), read in the same step.
        """
        validate_turn(turn)
        if history_limit < 0:
            raise InvalidInputError("history_limit must be >= 0")
        if turn.timestamp_ms is None:
            turn = dataclasses.replace(turn, timestamp_ms=now_ms())
        limit = min(history_limit, self.config.history_max)
        result = await self._apply_turn(turn, limit)
        if limit and result.context is None:  # a replay, or a backend without the one-step form
            result = dataclasses.replace(result, context=await self._get_state(turn.session_id, limit))
        return result

    async def record_reply(
        self,
        session_id: str,
        request_id: str,
        reply: str,
        degraded: Sequence[str] = (),
        image_type: str = "",
        acts: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        """Attach the advisor's reply (and its acts) to the history entry of ``request_id``
        (idempotent).

        Returns False when that entry is not (or no longer) in the bounded history.
        """
        check_id(session_id, "session_id")
        check_id(request_id, "request_id")
        validate_reply(reply, degraded, image_type)
        return await self._record_reply(session_id, request_id, reply, list(degraded), image_type,
                                        acts_to_json(acts))

    async def finish_turn(
        self,
        session_id: str,
        request_id: str,
        reply: str,
        payload: bytes,
        degraded: Sequence[str] = (),
        image_type: str = "",
        acts: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        """``record_reply`` and ``store_response`` as one atomic step: the answer kept for
        replays of request_id exists only together with its reply in the history.

        Returns what ``record_reply`` returns (False: the entry left the bounded history; the
        answer is stored all the same).
        """
        check_id(session_id, "session_id")
        check_id(request_id, "request_id")
        validate_reply(reply, degraded, image_type)
        self._check_payload(payload)
        return await self._finish_turn(session_id, request_id, reply, list(degraded), image_type,
                                       bytes(payload), acts_to_json(acts))

    async def _finish_turn(self, session_id: str, request_id: str, reply: str,
                           degraded: list[str], image_type: str, payload: bytes,
                           acts_json: str = "[]") -> bool:
        """Backends with a single-step form override this; the default runs both in order."""
        found = await self._record_reply(session_id, request_id, reply, degraded, image_type,
                                         acts_json)
        await self._store_response(session_id, request_id, payload)
        return found

    async def get_state(self, session_id: str, history_limit: int | None = None) -> SessionSnapshot:
        """State, the last ``history_limit`` history entries (None: all kept; 0: none) and meta."""
        check_id(session_id, "session_id")
        if history_limit is not None and history_limit < 0:
            raise InvalidInputError("history_limit must be >= 0")
        limit = self.config.history_max if history_limit is None else history_limit
        return await self._get_state(session_id, min(limit, self.config.history_max))

    async def erase(self, session_id: str) -> int:
        """Delete every key of the session; returns how many existed (0 for an unknown one).

        Erasure is idempotent on purpose: a retried erasure request must not fail.
        """
        check_id(session_id, "session_id")
        return await self._erase(session_id)

    async def list_sessions(self, limit: int = 100) -> list[SessionListing]:
        """Most recently active sessions first, from the bounded index (no scan)."""
        if limit < 0:
            raise InvalidInputError("limit must be >= 0")
        return await self._list_sessions(min(limit, self.config.index_max))

    async def store_response(self, session_id: str, request_id: str, payload: bytes) -> None:
        """Keep the gateway's whole serialised response for an idempotent replay of request_id."""
        check_id(session_id, "session_id")
        check_id(request_id, "request_id")
        self._check_payload(payload)
        await self._store_response(session_id, request_id, bytes(payload))

    def _check_payload(self, payload: object) -> None:
        if not isinstance(payload, bytes | bytearray):
            raise InvalidInputError("payload must be bytes")
        if len(payload) > self.config.max_response_bytes:
            raise InvalidInputError(
                f"response payload exceeds {self.config.max_response_bytes} bytes"
            )

    async def get_response(self, session_id: str, request_id: str) -> bytes | None:
        """The payload stored for request_id, or None (never stored, or out of the window)."""
        check_id(session_id, "session_id")
        check_id(request_id, "request_id")
        return await self._get_response(session_id, request_id)

    @abc.abstractmethod
    async def ping(self) -> bool:
        """True when the backend answers (for health checks); never raises."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    async def __aenter__(self) -> StateStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # Backend hooks: input is validated already.
    @abc.abstractmethod
    async def _create_session(
        self, session_id: str, profile: dict[str, str], profile_slots: dict[str, str], now_ms: int
    ) -> SessionState: ...

    @abc.abstractmethod
    async def _apply_turn(self, turn: TurnInput, history_limit: int = 0) -> TurnResult: ...

    @abc.abstractmethod
    async def _record_reply(
        self, session_id: str, request_id: str, reply: str, degraded: list[str], image_type: str,
        acts_json: str = "[]",
    ) -> bool: ...

    @abc.abstractmethod
    async def _get_state(self, session_id: str, history_limit: int) -> SessionSnapshot: ...

    @abc.abstractmethod
    async def _erase(self, session_id: str) -> int: ...

    @abc.abstractmethod
    async def _list_sessions(self, limit: int) -> list[SessionListing]: ...

    @abc.abstractmethod
    async def _store_response(self, session_id: str, request_id: str, payload: bytes) -> None: ...

    @abc.abstractmethod
    async def _get_response(self, session_id: str, request_id: str) -> bytes | None: ...

