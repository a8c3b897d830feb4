"""Dialogue state store: the session state, a bounded turn history and request idempotency.

Shaped like a tracker store (an abstract store, an in-memory and a Redis implementation behind
one interface, key prefixes as constants, a TTL on every key), without the usual mistakes:

- Async all the way (``redis.asyncio``); no blocking Redis call inside the event loop.
- No ``KEYS``/``SCAN`` on the serving path: every key name of a session is derived from its id
  (:func:`session_keys`), so erasure deletes exactly those names.
- Bounded everything: the turn history, the request-id window used for idempotency, the stored
  gateway responses and the global index of recent sessions are trimmed on every write.
- Each write is ONE Lua script over keys that share the hash tag ``{<session_id>}``, so a turn is
  applied atomically (two concurrent turns lose no update and Redis never holds half a turn) and
  the script runs on a single slot of a Redis Cluster. Scripts run by EVALSHA and fall back to
  EVAL on NOSCRIPT (a restarted or failed-over node has an empty script cache).
- Redis down or slow -> :class:`StoreUnavailableError` within ``op_timeout_s``: short socket
  timeouts, one reconnect retry, and an overall deadline per operation. Retrying a turn after
  such an error is safe because ``apply_turn`` is idempotent by ``request_id``.

Backends are chosen by URL (:func:`create_state_store`):

- ``memory://`` - :class:`InMemoryStateStore`, one process only (unit tests, demos).
- ``redis://host:port/db``, ``rediss://...``, ``unix:///path.sock`` - a standalone Redis.
- ``redis+cluster://[user:pass@]host1:port1,host2:port2`` (``rediss+cluster://`` for TLS) - a
  Redis Cluster; the listed nodes are only seeds, the client discovers the rest.
- ``redis+sentinel://[user:pass@]host1:port1,host2:port2/<service_name>[/<db>]``
  (``rediss+sentinel://`` for TLS to the master) - Redis Sentinel (the Kubernetes deployment's
  HA option): the client asks the sentinels for the current master of ``service_name`` and
  follows failovers. The user/password apply to the master; a password for the sentinels
  themselves goes in the query string: ``?sentinel_password=...``.

The store receives turns that are already understood (intent and slot updates); it does not
call the NLU.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import hashlib
import json
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from finadvisor.shared.errors import (
    ConfigError,
    InvalidInputError,
    SessionNotFoundError,
    StoreUnavailableError,
)

# --------------------------------------------------------------------------------------------
# Key layout. Every key of a session carries the hash tag "{<session_id>}" so that Redis Cluster
# puts them all on one slot and a multi-key Lua script may touch them together.
# --------------------------------------------------------------------------------------------
KEY_PREFIX = "fa:"
#: Hash: active_intent, intent_confidence, turn_count, changed_slots (JSON list), and one field
#: "slot:<name>" per filled slot holding a JSON record {value, confidence, source, turn}.
STATE_SUFFIX = "state"
#: Hash: created_ms and profile (JSON object of the backend's profile attributes).
META_SUFFIX = "meta"
#: List of JSON history entries, oldest first, trimmed to ``history_max``.
HISTORY_SUFFIX = "history"
#: Hash: request_id -> JSON of the turn result (for idempotent replays).
REQUESTS_SUFFIX = "requests"
#: List of request ids in arrival order; bounds REQUESTS to ``request_window`` entries.
REQUEST_LOG_SUFFIX = "request_log"
#: Hash: request_id -> the gateway's serialised response bytes.
RESPONSES_SUFFIX = "responses"
#: List of request ids in arrival order; bounds RESPONSES to ``request_window`` entries.
RESPONSE_LOG_SUFFIX = "response_log"
#: Order matters: it is the KEYS order of the Lua scripts below.
SESSION_KEY_SUFFIXES: tuple[str, ...] = (
    STATE_SUFFIX,
    META_SUFFIX,
    HISTORY_SUFFIX,
    REQUESTS_SUFFIX,
    REQUEST_LOG_SUFFIX,
    RESPONSES_SUFFIX,
    RESPONSE_LOG_SUFFIX,
)
#: Sorted set of recent sessions (member session_id, score last activity in ms). The one key
#: outside any session's hash tag, so it is updated by its own single-key script; it is only an
#: index (``list_sessions``), never the source of truth. Trimmed by age and size, with a TTL.
INDEX_KEY = KEY_PREFIX + "index:recent_sessions"

SLOT_FIELD_PREFIX = "slot:"
#: ``turn`` of slots set from the backend's profile at session creation, before any user turn.
PROFILE_TURN = -1
SOURCES = frozenset({"text", "image", "audio", "backend"})
TEXT_SOURCES = frozenset({"text", "audio", "image", ""})

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")  # no braces: they end a hash tag
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PROFILE_KEY_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")

# Input bounds (characters unless said otherwise).
MAX_TEXT_CHARS = 4000
MAX_REPLY_CHARS = 8000
MAX_VALUE_CHARS = 256
MAX_UPDATES = 64
MAX_PROFILE_ENTRIES = 64
MAX_DEGRADED = 16
MAX_LABEL_CHARS = 64


def session_keys(session_id: str) -> tuple[str, ...]:
    """Every key name a session may own, in the KEYS order of the scripts.

    Knowing the names is what lets erasure and TTL checks work without any scan.
    """
    _check_id(session_id, "session_id")
    return tuple(f"{KEY_PREFIX}{{{session_id}}}:{suffix}" for suffix in SESSION_KEY_SUFFIXES)


# --------------------------------------------------------------------------------------------
# Domain types
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SlotUpdate:
    """One slot value understood in a turn (from text, an image, a voice note or the backend).

    ``turn`` is normally left ``None``: the store stamps the index of the turn it applies.
    """

    slot: str
    value: str
    confidence: float
    source: str
    turn: int | None = None


@dataclasses.dataclass(frozen=True)
class TurnInput:
    """An already understood user turn, ready to merge into the session state."""

    session_id: str
    request_id: str
    text: str
    text_source: str
    intent: str
    intent_confidence: float
    updates: Sequence[SlotUpdate] = ()
    #: Wall-clock time of the turn; ``None`` stamps the store's clock.
    timestamp_ms: int | None = None


@dataclasses.dataclass(frozen=True)
class SlotRecord:
    value: str
    confidence: float
    source: str
    #: Zero-based index of the user turn that set it; PROFILE_TURN (-1) for profile slots.
    turn: int


@dataclasses.dataclass(frozen=True)
class SessionState:
    active_intent: str
    intent_confidence: float
    slots: dict[str, SlotRecord]
    #: Number of user turns applied so far.
    turn_count: int
    #: Slots whose value or source the latest turn changed (new slots included).
    changed_slots: list[str]


@dataclasses.dataclass(frozen=True)
class TurnResult:
    #: State right after this turn (a replay returns the state stored with the first apply).
    state: SessionState
    #: Zero-based index of the applied turn.
    turn: int
    #: True when this request_id had been applied before and nothing changed now.
    replayed: bool
    #: The session right after the turn (history, profile), when apply_turn was asked for it.
    context: SessionSnapshot | None = None


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    turn: int
    request_id: str
    text: str
    text_source: str
    intent: str
    changed_slots: list[str]
    reply: str
    degraded: list[str]
    timestamp_ms: int
    image_type: str
    #: The advisor's acts of this turn's reply (``{"name": str, "args": {str: str}}`` each);
    #: the context in which the next turn is understood.
    acts: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class SessionSnapshot:
    """What ``get_state`` returns: state, recent history (oldest first) and the session's meta."""

    state: SessionState
    history: list[HistoryEntry]
    profile: dict[str, str]
    created_ms: int
    #: Seconds until the session expires unless it is touched again (-1: no expiry).
    ttl_seconds: int


@dataclasses.dataclass(frozen=True)
class SessionListing:
    session_id: str
    last_active_ms: int


@dataclasses.dataclass(frozen=True)
class StoreConfig:
    """Settings of the state store. ``from_env`` reads them from ``FINADVISOR_STATE_*``."""

    url: str = "redis://127.0.0.1:6379/0"
    #: Idle lifetime of a session; every write refreshes it on every key of the session.
    ttl_s: int = 24 * 3600
    history_max: int = 50
    #: How many recent request ids (and stored responses) a session remembers for replays.
    request_window: int = 256
    #: Bound of the global recent-sessions index; 0 turns the index off (it is one key that
    #: every turn writes: a hot key on a large cluster).
    index_max: int = 10_000
    #: A session's place in that index is refreshed by its turns at most this often (per
    #: process): the index orders sessions for the console, one write per turn is not needed.
    index_refresh_s: float = 5.0
    socket_timeout_s: float = 1.0
    connect_timeout_s: float = 0.5
    #: Overall deadline of one store operation, retries included.
    op_timeout_s: float = 3.0
    #: Per Redis node; a standalone pool waits for a free connection, a cluster's does not.
    max_connections: int = 128
    #: Largest response payload ``store_response`` keeps.
    max_response_bytes: int = 1 << 20
    #: Send the script calls of one event-loop tick as one pipeline (standalone Redis only).
    auto_pipeline: bool = True

    def __post_init__(self) -> None:
        if self.ttl_s < 1:
            raise ConfigError("state store ttl_s must be >= 1")
        if self.history_max < 1:
            raise ConfigError("state store history_max must be >= 1")
        if self.request_window < self.history_max:
            raise ConfigError("state store request_window must be >= history_max")
        if self.index_max < 0:
            raise ConfigError("state store index_max must be >= 0")
        if min(self.socket_timeout_s, self.connect_timeout_s, self.op_timeout_s) <= 0:
            raise ConfigError("state store timeouts must be > 0")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StoreConfig:
        """``REDIS_URL`` plus optional ``FINADVISOR_STATE_{TTL_S,HISTORY_MAX,...}`` overrides."""
        env = os.environ if env is None else env
        kwargs: dict[str, Any] = {}
        if env.get("REDIS_URL"):
            kwargs["url"] = env["REDIS_URL"]
        for f in dataclasses.fields(cls):
            name = "FINADVISOR_STATE_" + f.name.upper()
            if f.name == "url" or name not in env:
                continue
            if f.type in ("bool", bool):
                value = env[name].strip().lower()
                if value not in ("0", "1", "true", "false", "yes", "no"):
                    raise ConfigError(f"{name} must be 1 or 0")
                kwargs[f.name] = value in ("1", "true", "yes")
                continue
            caster = float if f.type in ("float", float) else int
            try:
                kwargs[f.name] = caster(env[name])
            except ValueError:
                raise ConfigError(f"{name} must be a number") from None
        return cls(**kwargs)


# --------------------------------------------------------------------------------------------
# Validation and (de)serialisation shared by both implementations
# --------------------------------------------------------------------------------------------
def _check_id(value: str, name: str) -> None:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise InvalidInputError(
            f"{name} must be 1-128 characters of letters, digits, '_', '.', ':' or '-'"
        )


def _check_text(value: str, name: str, limit: int) -> None:
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInputError(f"{name} must be a string of at most {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{name} is not valid unicode") from None


def _check_confidence(value: float, name: str) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number in [0, 1]") from None
    if not 0.0 <= f <= 1.0:  # also rejects NaN
        raise InvalidInputError(f"{name} must be a number in [0, 1]")
    return f


def _check_label(value: str, name: str) -> None:
    if value and not _NAME_RE.match(value):
        raise InvalidInputError(f"{name} must be a lower_snake_case name of at most 64 characters")


def _validate_turn(turn: TurnInput) -> None:
    _check_id(turn.session_id, "session_id")
    _check_id(turn.request_id, "request_id")
    _check_text(turn.text, "text", MAX_TEXT_CHARS)
    if turn.text_source not in TEXT_SOURCES:
        raise InvalidInputError("text_source must be one of text, audio, image")
    _check_label(turn.intent, "intent")
    _check_confidence(turn.intent_confidence, "intent_confidence")
    if len(turn.updates) > MAX_UPDATES:
        raise InvalidInputError(f"at most {MAX_UPDATES} slot updates per turn")
    for u in turn.updates:
        _validate_update(u)
    if turn.timestamp_ms is not None and (
        not isinstance(turn.timestamp_ms, int) or not 0 <= turn.timestamp_ms < 1 << 53
    ):
        raise InvalidInputError("timestamp_ms must be a non-negative integer")


def _validate_update(u: SlotUpdate) -> None:
    if not _NAME_RE.match(u.slot or ""):
        raise InvalidInputError("slot must be a lower_snake_case name of at most 64 characters")
    if not u.value:
        raise InvalidInputError(f"slot {u.slot} needs a non-empty value")
    _check_text(u.value, f"value of {u.slot}", MAX_VALUE_CHARS)
    _check_confidence(u.confidence, f"confidence of {u.slot}")
    if u.source not in SOURCES:
        raise InvalidInputError("slot source must be one of text, image, audio, backend")
    if u.turn is not None and (not isinstance(u.turn, int) or u.turn < PROFILE_TURN):
        raise InvalidInputError("slot turn must be an integer >= -1")


def _validate_profile(profile: Mapping[str, str], profile_slots: Mapping[str, str]) -> None:
    if len(profile) > MAX_PROFILE_ENTRIES or len(profile_slots) > MAX_PROFILE_ENTRIES:
        raise InvalidInputError(f"at most {MAX_PROFILE_ENTRIES} profile entries")
    for k, v in profile.items():
        if not isinstance(k, str) or not _PROFILE_KEY_RE.match(k):
            raise InvalidInputError("profile keys must be 1-64 letters, digits, '_', '.', '-'")
        _check_text(v, f"profile {k}", MAX_VALUE_CHARS)
    for k, v in profile_slots.items():
        _validate_update(SlotUpdate(k, v, 1.0, "backend"))


def _validate_reply(reply: str, degraded: Sequence[str], image_type: str) -> None:
    _check_text(reply, "reply", MAX_REPLY_CHARS)
    if len(degraded) > MAX_DEGRADED:
        raise InvalidInputError(f"at most {MAX_DEGRADED} degraded entries")
    for d in degraded:
        _check_text(d, "degraded entry", MAX_LABEL_CHARS)
    _check_text(image_type, "image_type", MAX_LABEL_CHARS)


def _dumps(obj: Any) -> str:
    # ensure_ascii=False: raw UTF-8 travels through Lua's cjson untouched.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _as_list(obj: Any) -> list[str]:
    """cjson encodes an empty Lua table as ``{}``; an empty list is what was meant."""
    return [str(x) for x in obj] if isinstance(obj, list) else []


def _str(b: bytes | str) -> str:
    return b.decode("utf-8") if isinstance(b, bytes) else b


def _state_from_hash(h: Mapping[str, str]) -> SessionState:
    slots: dict[str, SlotRecord] = {}
    for field, raw in h.items():
        if field.startswith(SLOT_FIELD_PREFIX):
            r = json.loads(raw)
            slots[field[len(SLOT_FIELD_PREFIX):]] = SlotRecord(
                value=str(r["value"]),
                confidence=float(r["confidence"]),
                source=str(r["source"]),
                turn=int(r["turn"]),
            )
    return SessionState(
        active_intent=h.get("active_intent", ""),
        intent_confidence=float(h.get("intent_confidence") or 0.0),
        slots=dict(sorted(slots.items())),
        turn_count=int(h.get("turn_count") or 0),
        changed_slots=_as_list(json.loads(h.get("changed_slots") or "[]")),
    )


def _history_from_json(raw: str) -> HistoryEntry:
    e = json.loads(raw)
    return HistoryEntry(
        turn=int(e["turn"]),
        request_id=str(e["request_id"]),
        text=str(e.get("text", "")),
        text_source=str(e.get("text_source", "")),
        intent=str(e.get("intent", "")),
        changed_slots=_as_list(e.get("changed_slots")),
        reply=str(e.get("reply", "")),
        degraded=_as_list(e.get("degraded")),
        timestamp_ms=int(e.get("timestamp_ms", 0)),
        image_type=str(e.get("image_type", "")),
        acts=_acts_from_json(e.get("acts")),
    )


def _acts_from_json(raw: Any) -> list[dict[str, Any]]:
    # cjson writes an empty list as {}: anything but a list of objects is "no acts".
    if not isinstance(raw, list):
        return []
    return [{"name": str(a.get("name", "")), "args": {str(k): str(v) for k, v in
             (a.get("args") or {}).items()}} for a in raw if isinstance(a, dict)]


def _acts_json(acts: Sequence[Mapping[str, Any]]) -> str:
    return _dumps([{"name": str(a["name"]), "args": {str(k): str(v) for k, v in
                    (a.get("args") or {}).items()}} for a in acts])


def _snapshot(state: SessionState, history: Sequence[bytes | str], profile_json: bytes | str,
              created_ms: bytes | str | int, pttl: bytes | str | int) -> SessionSnapshot:
    """A SessionSnapshot from what the scripts return (raw history entries, meta fields)."""
    try:
        profile = json.loads(_str(profile_json) or "{}")
    except json.JSONDecodeError:
        profile = {}
    ttl_ms = int(pttl)
    return SessionSnapshot(
        state=state,
        history=[_history_from_json(_str(e)) for e in history],
        profile={str(k): str(v) for k, v in dict(profile or {}).items()},
        created_ms=int(created_ms or 0),
        ttl_seconds=-1 if ttl_ms < 0 else (ttl_ms + 999) // 1000,
    )


def _flat_to_dict(flat: Sequence[bytes | str]) -> dict[str, str]:
    """HGETALL as a Lua script returns it (a flat field/value array) -> dict."""
    it = iter(flat)
    return {_str(k): _str(v) for k, v in zip(it, it)}


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# --------------------------------------------------------------------------------------------
# The interface
# --------------------------------------------------------------------------------------------
class StateStore(abc.ABC):
    """Sessions' dialogue state. Public methods validate input, then call the backend's hook.

    Errors: :class:`InvalidInputError` (bad input), :class:`SessionNotFoundError` (unknown or
    expired session), :class:`StoreUnavailableError` (backend down or too slow; nothing was
    half-written and retrying with the same request_id is safe).
    """

    def __init__(self, config: StoreConfig | None = None) -> None:
        self.config = config or StoreConfig(url="memory://")

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
        _check_id(session_id, "session_id")
        profile = dict(profile or {})
        profile_slots = dict(profile_slots or {})
        _validate_profile(profile, profile_slots)
        return await self._create_session(session_id, profile, profile_slots, _now_ms())

    async def apply_turn(self, turn: TurnInput, history_limit: int = 0) -> TurnResult:
        """Merge one understood turn into its session atomically (idempotent by request_id).

        Merge rule: each mentioned slot is overwritten (value, confidence, source, turn); a
        later update of the same slot in one turn wins. The intent becomes the active intent
        unless it is empty. With ``history_limit`` > 0 the result also carries the session
        right after the turn (its last history entries and profile), read in the same step.
        """
        _validate_turn(turn)
        if history_limit < 0:
            raise InvalidInputError("history_limit must be >= 0")
        if turn.timestamp_ms is None:
            turn = dataclasses.replace(turn, timestamp_ms=_now_ms())
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
        _check_id(session_id, "session_id")
        _check_id(request_id, "request_id")
        _validate_reply(reply, degraded, image_type)
        return await self._record_reply(session_id, request_id, reply, list(degraded), image_type,
                                        _acts_json(acts))

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
        _check_id(session_id, "session_id")
        _check_id(request_id, "request_id")
        _validate_reply(reply, degraded, image_type)
        self._check_payload(payload)
        return await self._finish_turn(session_id, request_id, reply, list(degraded), image_type,
                                       bytes(payload), _acts_json(acts))

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
        _check_id(session_id, "session_id")
        if history_limit is not None and history_limit < 0:
            raise InvalidInputError("history_limit must be >= 0")
        limit = self.config.history_max if history_limit is None else history_limit
        return await self._get_state(session_id, min(limit, self.config.history_max))

    async def erase(self, session_id: str) -> int:
        """Delete every key of the session; returns how many existed (0 for an unknown one).

        Erasure is idempotent on purpose: a retried erasure request must not fail.
        """
        _check_id(session_id, "session_id")
        return await self._erase(session_id)

    async def list_sessions(self, limit: int = 100) -> list[SessionListing]:
        """Most recently active sessions first, from the bounded index (no scan)."""
        if limit < 0:
            raise InvalidInputError("limit must be >= 0")
        return await self._list_sessions(min(limit, self.config.index_max))

    async def store_response(self, session_id: str, request_id: str, payload: bytes) -> None:
        """Keep the gateway's whole serialised response for an idempotent replay of request_id."""
        _check_id(session_id, "session_id")
        _check_id(request_id, "request_id")
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
        _check_id(session_id, "session_id")
        _check_id(request_id, "request_id")
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


# --------------------------------------------------------------------------------------------
# In-memory implementation (one process; same semantics, same bounds, TTL by an injected clock)
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _MemSession:
    created_ms: int
    profile: dict[str, str]
    active_intent: str = ""
    intent_confidence: float = 0.0
    turn_count: int = 0
    changed_slots: list[str] = dataclasses.field(default_factory=list)
    slots: dict[str, SlotRecord] = dataclasses.field(default_factory=dict)
    history: list[HistoryEntry] = dataclasses.field(default_factory=list)
    requests: OrderedDict[str, TurnResult] = dataclasses.field(default_factory=OrderedDict)
    responses: OrderedDict[str, bytes] = dataclasses.field(default_factory=OrderedDict)
    expires_at: float = 0.0
    last_active_ms: int = 0

    def snapshot_state(self) -> SessionState:
        return SessionState(
            active_intent=self.active_intent,
            intent_confidence=self.intent_confidence,
            slots=dict(sorted(self.slots.items())),
            turn_count=self.turn_count,
            changed_slots=list(self.changed_slots),
        )


class InMemoryStateStore(StateStore):
    """The store in a dict, for unit tests and single-process demos (no persistence).

    ``clock`` (seconds, monotonic) is injectable so expiry can be tested without waiting.
    """

    def __init__(
        self, config: StoreConfig | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(config)
        self._clock = clock
        self._sessions: dict[str, _MemSession] = {}
        self._lock = asyncio.Lock()

    def _live(self, session_id: str) -> _MemSession:
        s = self._sessions.get(session_id)
        if s is not None and s.expires_at <= self._clock():
            del self._sessions[session_id]
            s = None
        if s is None:
            raise SessionNotFoundError("session not found")
        return s

    def _touch(self, s: _MemSession, now_ms: int | None = None) -> None:
        s.expires_at = self._clock() + self.config.ttl_s
        if now_ms is not None:
            s.last_active_ms = now_ms

    async def ping(self) -> bool:
        return True

    async def _create_session(
        self, session_id: str, profile: dict[str, str], profile_slots: dict[str, str], now_ms: int
    ) -> SessionState:
        async with self._lock:
            try:
                return self._live(session_id).snapshot_state()
            except SessionNotFoundError:
                pass
            s = _MemSession(created_ms=now_ms, profile=dict(profile))
            for k, v in profile_slots.items():
                s.slots[k] = SlotRecord(v, 1.0, "backend", PROFILE_TURN)
            self._touch(s, now_ms)
            self._sessions[session_id] = s
            return s.snapshot_state()

    async def _apply_turn(self, turn: TurnInput, history_limit: int = 0) -> TurnResult:
        async with self._lock:
            s = self._live(turn.session_id)
            prior = s.requests.get(turn.request_id)
            if prior is not None:
                return dataclasses.replace(prior, replayed=True)
            index = s.turn_count
            s.turn_count += 1
            changed: list[str] = []
            for u in turn.updates:
                old = s.slots.get(u.slot)
                s.slots[u.slot] = SlotRecord(
                    u.value, float(u.confidence), u.source, index if u.turn is None else u.turn
                )
                if (old is None or (old.value, old.source) != (u.value, u.source)) and (
                    u.slot not in changed
                ):
                    changed.append(u.slot)
            if turn.intent:
                s.active_intent = turn.intent
                s.intent_confidence = float(turn.intent_confidence)
            s.changed_slots = changed
            s.history.append(
                HistoryEntry(
                    turn=index,
                    request_id=turn.request_id,
                    text=turn.text,
                    text_source=turn.text_source,
                    intent=turn.intent,
                    changed_slots=list(changed),
                    reply="",
                    degraded=[],
                    timestamp_ms=int(turn.timestamp_ms or 0),
                    image_type="",
                )
            )
            del s.history[: -self.config.history_max]
            result = TurnResult(state=s.snapshot_state(), turn=index, replayed=False)
            s.requests[turn.request_id] = result
            while len(s.requests) > self.config.request_window:
                s.requests.popitem(last=False)
            self._touch(s, int(turn.timestamp_ms or _now_ms()))
            return result

    async def _record_reply(
        self, session_id: str, request_id: str, reply: str, degraded: list[str], image_type: str,
        acts_json: str = "[]",
    ) -> bool:
        async with self._lock:
            s = self._live(session_id)
            for i in range(len(s.history) - 1, -1, -1):
                if s.history[i].request_id == request_id:
                    s.history[i] = dataclasses.replace(
                        s.history[i], reply=reply, degraded=list(degraded), image_type=image_type,
                        acts=_acts_from_json(json.loads(acts_json)),
                    )
                    self._touch(s)
                    return True
            return False

    async def _get_state(self, session_id: str, history_limit: int) -> SessionSnapshot:
        async with self._lock:
            s = self._live(session_id)
            history = s.history[-history_limit:] if history_limit else []  # all when fewer
            return SessionSnapshot(
                state=s.snapshot_state(),
                history=list(history),
                profile=dict(s.profile),
                created_ms=s.created_ms,
                ttl_seconds=max(0, int(round(s.expires_at - self._clock()))),
            )

    async def _erase(self, session_id: str) -> int:
        async with self._lock:
            s = self._sessions.pop(session_id, None)
            if s is None or s.expires_at <= self._clock():
                return 0
            # Count the keys the Redis layout would hold (state and meta; history and the two
            # request keys once a turn is applied; two response keys once one is stored), so
            # both backends report alike.
            return 2 + (3 if s.turn_count else 0) + (2 if s.responses else 0)

    async def _list_sessions(self, limit: int) -> list[SessionListing]:
        async with self._lock:
            now = self._clock()
            live = [(sid, s) for sid, s in self._sessions.items() if s.expires_at > now]
            live.sort(key=lambda kv: kv[1].last_active_ms, reverse=True)
            return [SessionListing(sid, s.last_active_ms) for sid, s in live[:limit]]

    async def _store_response(self, session_id: str, request_id: str, payload: bytes) -> None:
        async with self._lock:
            s = self._live(session_id)
            s.responses[request_id] = payload
            while len(s.responses) > self.config.request_window:
                s.responses.popitem(last=False)
            self._touch(s)

    async def _get_response(self, session_id: str, request_id: str) -> bytes | None:
        async with self._lock:
            return self._live(session_id).responses.get(request_id)


# --------------------------------------------------------------------------------------------
# Redis implementation
# --------------------------------------------------------------------------------------------
# Every script below takes the seven session keys (SESSION_KEY_SUFFIXES order) as KEYS, checks
# before it writes (a Lua error after a write would leave a partial change), and refreshes the
# TTL of all seven keys after any write so they expire together.
_LUA_TOUCH = """
local function touch(ttl)
  for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
end
"""

# ARGV: ttl_ms, created_ms, profile_json, then field/value pairs of the profile slots.
_LUA_CREATE = _LUA_TOUCH + """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {0, redis.call('HGETALL', KEYS[1])}
end
redis.call('HSET', KEYS[2], 'created_ms', ARGV[2], 'profile', ARGV[3])
redis.call('HSET', KEYS[1], 'turn_count', '0', 'active_intent', '', 'intent_confidence', '0',
           'changed_slots', '[]')
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
touch(tonumber(ARGV[1]))
return {1, redis.call('HGETALL', KEYS[1])}
"""

# ARGV: request_id, turn_json, ttl_ms, history_max, request_window[, history_limit].
# Returns {replayed (0/1), result_json} where result_json = {"turn": n, "h": <state hash>};
# with history_limit > 0 a fresh turn also returns {.., history, profile_json, created_ms, pttl}.
_LUA_APPLY = _LUA_TOUCH + """
local rid = ARGV[1]
local prior = redis.call('HGET', KEYS[4], rid)
if prior then return {1, prior} end
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
local t = cjson.decode(ARGV[2])
local turn = redis.call('HINCRBY', KEYS[1], 'turn_count', 1) - 1
local changed, seen = {}, {}
for _, u in ipairs(t.updates) do
  local field = 'slot:' .. u.slot
  local old = redis.call('HGET', KEYS[1], field)
  local differs = true
  if old then
    local o = cjson.decode(old)
    differs = (o.value ~= u.value) or (o.source ~= u.source)
  end
  local ut = u.turn
  if ut == nil then ut = turn end
  redis.call('HSET', KEYS[1], field, cjson.encode(
    {value = u.value, confidence = u.confidence, source = u.source, turn = ut}))
  if differs and not seen[u.slot] then
    seen[u.slot] = true
    changed[#changed + 1] = u.slot
  end
end
local changed_json = '[]'
if #changed > 0 then changed_json = cjson.encode(changed) end
redis.call('HSET', KEYS[1], 'changed_slots', changed_json)
if t.intent ~= '' then
  redis.call('HSET', KEYS[1], 'active_intent', t.intent,
             'intent_confidence', string.format('%.17g', t.intent_confidence))
end
-- cjson writes an empty table as {}; the reader treats that as an empty list.
local entry = cjson.encode({turn = turn, request_id = rid, text = t.text,
  text_source = t.text_source, intent = t.intent, reply = '', image_type = '',
  timestamp_ms = t.timestamp_ms, changed_slots = changed, degraded = {}})
redis.call('RPUSH', KEYS[3], entry)
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
local h = redis.call('HGETALL', KEYS[1])
local map = {}
for i = 1, #h, 2 do map[h[i]] = h[i + 1] end
local result = cjson.encode({turn = turn, h = map})
redis.call('HSET', KEYS[4], rid, result)
redis.call('RPUSH', KEYS[5], rid)
local window = tonumber(ARGV[5])
while redis.call('LLEN', KEYS[5]) > window do
  redis.call('HDEL', KEYS[4], redis.call('LPOP', KEYS[5]))
end
touch(tonumber(ARGV[3]))
local limit = tonumber(ARGV[6] or '0')
if limit > 0 then
  -- The caller's next read (context for the reply), in the same step.
  local meta = redis.call('HMGET', KEYS[2], 'profile', 'created_ms')
  return {0, result, redis.call('LRANGE', KEYS[3], -limit, -1), meta[1] or '{}', meta[2] or '0',
          redis.call('PTTL', KEYS[1])}
end
return {0, result}
"""

# The steps the reply and replay-answer scripts share (Lua functions over the session's KEYS).
_LUA_REPLY_FN = """
local function set_reply(rid, reply, degraded_json, image_type, acts_json)
  local n = redis.call('LLEN', KEYS[3])
  for i = n - 1, 0, -1 do
    local e = cjson.decode(redis.call('LINDEX', KEYS[3], i))
    if e.request_id == rid then
      e.reply = reply
      e.image_type = image_type
      e.degraded = cjson.decode(degraded_json)
      if acts_json and acts_json ~= '' then e.acts = cjson.decode(acts_json) end
      redis.call('LSET', KEYS[3], i, cjson.encode(e))
      return 1
    end
  end
  return 0
end
"""
_LUA_RESPONSE_FN = """
local function keep_response(rid, payload, window)
  if redis.call('HSET', KEYS[6], rid, payload) == 1 then
    redis.call('RPUSH', KEYS[7], rid)
    while redis.call('LLEN', KEYS[7]) > window do
      redis.call('HDEL', KEYS[6], redis.call('LPOP', KEYS[7]))
    end
  end
end
"""

# ARGV: request_id, reply, degraded_json, image_type, ttl_ms, acts_json. Returns 1 when updated,
# else 0.
_LUA_RECORD_REPLY = _LUA_TOUCH + _LUA_REPLY_FN + """
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
if set_reply(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]) == 1 then
  touch(tonumber(ARGV[5]))
  return 1
end
return 0
"""

# ARGV: request_id, reply, degraded_json, image_type, ttl_ms, payload, request_window, acts_json.
# The reply into the history entry of request_id (when it is still there) and the answer into
# the replay window, in one step. Returns 1 when the history entry was found, else 0.
_LUA_FINISH_TURN = _LUA_TOUCH + _LUA_REPLY_FN + _LUA_RESPONSE_FN + """
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
local found = set_reply(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[8])
keep_response(ARGV[1], ARGV[6], tonumber(ARGV[7]))
touch(tonumber(ARGV[5]))
return found
"""

# KEYS: state, meta, history. ARGV: history_limit. Returns {state, meta, history, pttl}.
_LUA_GET = """
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
local limit = tonumber(ARGV[1])
local history = {}
if limit > 0 then history = redis.call('LRANGE', KEYS[3], -limit, -1) end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), history,
        redis.call('PTTL', KEYS[1])}
"""

_LUA_ERASE = """
return redis.call('DEL', unpack(KEYS))
"""

# ARGV: request_id, payload, ttl_ms, request_window.
_LUA_STORE_RESPONSE = _LUA_TOUCH + _LUA_RESPONSE_FN + """
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
keep_response(ARGV[1], ARGV[2], tonumber(ARGV[4]))
touch(tonumber(ARGV[3]))
return 1
"""

# KEYS: meta, responses. ARGV: request_id.
_LUA_GET_RESPONSE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('FA_NOSESSION') end
return {redis.call('HGET', KEYS[2], ARGV[1])}
"""

# KEYS: index. ARGV: session_id, now_ms, index_max, ttl_ms.
_LUA_INDEX_TOUCH = """
local now, ttl = tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - ttl))
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""

_NO_SESSION = "FA_NOSESSION"


class _Script:
    """A Lua script run by EVALSHA, falling back to EVAL (which also caches it) on NOSCRIPT.

    EVAL rather than SCRIPT LOAD for the fallback: on a cluster it is routed by the keys to the
    node that needs the script, and it runs the script in the same round trip.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()

    async def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)


T = TypeVar("T")


class _HiredisPacking:
    """Commands packed by hiredis (C) instead of redis-py's Python packer.

    redis-py's asyncio connections pack every argument in Python; a turn's script call has
    fourteen of them and the packing was the largest single cost of a store call. Multi-word
    command names ("SCRIPT LOAD") are split the way redis-py splits them.
    """

    def pack_command(self, *args: Any) -> list[bytes]:
        import hiredis

        if isinstance(args[0], str) and " " in args[0]:
            args = (*args[0].split(), *args[1:])
        elif isinstance(args[0], bytes) and b" " in args[0]:
            args = (*args[0].split(), *args[1:])
        return [hiredis.pack_command(args)]


def _packing_connection_class(scheme: str) -> type | None:
    """The connection class for a standalone Redis URL, with hiredis packing when installed."""
    try:
        import hiredis

        if not hasattr(hiredis, "pack_command"):
            return None
    except ImportError:
        return None
    from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection

    base = {"redis": Connection, "rediss": SSLConnection, "unix": UnixDomainSocketConnection}[scheme]
    return type(f"Hiredis{base.__name__}", (_HiredisPacking, base), {})


class _AutoPipeline:
    """Script calls made in the same event-loop tick go to Redis as one pipeline.

    Under load the store serves many sessions at once; sending each call on its own costs a
    write, a read and several event-loop wake-ups per call. Here every call made before the
    loop next runs its callbacks is queued, and the queue goes out as one non-transactional
    pipeline: one write, one read, the replies handed back to their callers in order (the
    technique of ioredis' auto-pipelining). A lone call waits for nothing: it goes out on the
    next tick. Each call stays its own atomic script; an error reply fails only its own call;
    a script the server lost (NOSCRIPT after a restart) is run again by EVAL.
    """

    #: results handed back per event-loop turn (see _send)
    DELIVERY_CHUNK = 8

    def __init__(self, client: Any, timeout_s: float, max_batch: int = 128) -> None:
        self._client = client
        self._timeout_s = timeout_s
        self._max_batch = max_batch
        self._pending: list[tuple[_Script, Sequence[str], Sequence[Any], asyncio.Future[Any]]] = []
        self._scheduled = False
        self._sending: set[asyncio.Task[None]] = set()
        self.pipelines = 0  # pipelines sent (tests and the benchmark read it)
        self.calls = 0  # calls sent through them

    def call(self, script: _Script, keys: Sequence[str], args: Sequence[Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((script, keys, args, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        batch = [item for item in batch if not item[3].done()]  # callers that gave up
        for i in range(0, len(batch), self._max_batch):
            task = asyncio.ensure_future(self._send(batch[i:i + self._max_batch]))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[_Script, Sequence[str], Sequence[Any], asyncio.Future[Any]]]) -> None:
        from redis.exceptions import NoScriptError

        try:
            # A caller gives up at its own deadline; this bounds the pipeline itself, so a hung
            # server cannot keep a connection and this task forever.
            async with asyncio.timeout(self._timeout_s):
                pipe = self._client.pipeline(transaction=False)
                for script, keys, args, _future in batch:
                    pipe.evalsha(script.sha, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
        except asyncio.CancelledError:
            for *_, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.pipelines += 1
        self.calls += len(batch)
        for i, ((script, keys, args, future), result) in enumerate(zip(batch, results, strict=True)):
            if i and i % self.DELIVERY_CHUNK == 0:
                # Let the callers answered so far run and queue their next calls: those leave
                # as the next pipeline while the rest of this one is handed back, so this
                # process and Redis work side by side instead of in turns.
                await asyncio.sleep(0)
            if isinstance(result, NoScriptError):
                try:
                    result = await script(self._client, keys, args)
                except Exception as exc:  # noqa: BLE001 - this call's own error
                    result = exc
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)


def _split_hosts(netloc_hosts: str, default_port: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for part in netloc_hosts.split(","):
        part = part.strip()
        if not part:
            continue
        host, _, port = part.rpartition(":") if part.count(":") == 1 else (part, "", "")
        if not host:
            host, port = part, ""
        try:
            out.append((host, int(port) if port else default_port))
        except ValueError:
            raise ConfigError(f"bad Redis host:port {part!r}") from None
    if not out:
        raise ConfigError("the Redis URL names no host")
    return out


def _userinfo(netloc: str) -> tuple[str | None, str | None, str]:
    """Split ``user:pass@hosts`` -> (user, password, hosts)."""
    if "@" not in netloc:
        return None, None, netloc
    userinfo, _, hosts = netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    return (unquote(user) or None), (unquote(password) if sep else None), hosts


class RedisStateStore(StateStore):
    """The store on a standalone Redis, a Redis Cluster or a Sentinel-managed master."""

    def __init__(self, config: StoreConfig, client: Any | None = None) -> None:
        super().__init__(config)
        self._sentinel: Any = None
        self._client = client if client is not None else self._build_client(config)
        self._create = _Script(_LUA_CREATE)
        self._apply = _Script(_LUA_APPLY)
        self._reply = _Script(_LUA_RECORD_REPLY)
        self._get = _Script(_LUA_GET)
        self._erase_script = _Script(_LUA_ERASE)
        self._store_resp = _Script(_LUA_STORE_RESPONSE)
        self._get_resp = _Script(_LUA_GET_RESPONSE)
        self._finish = _Script(_LUA_FINISH_TURN)
        self._index = _Script(_LUA_INDEX_TOUCH)
        self._index_touched: OrderedDict[str, float] = OrderedDict()
        from redis import exceptions as rx

        self._rx = rx
        # Auto-pipelining on a standalone Redis; a cluster client routes each call itself.
        scheme = urlsplit(config.url).scheme.lower()
        self._pipeline: _AutoPipeline | None = None
        self._pipeline_client: Any = None
        if config.auto_pipeline and scheme in ("redis", "rediss", "unix"):
            # A pool of its own without a per-read socket timer: every pipeline is bounded by
            # op_timeout_s as a whole, and a cancelled read drops its connection.
            self._pipeline_client = (client if client is not None
                                     else self._build_client(config, read_timeout=False))
            self._pipeline = _AutoPipeline(self._pipeline_client, config.op_timeout_s)

    def _eval(self, script: _Script, keys: Sequence[str], args: Sequence[Any]) -> Awaitable[Any]:
        """Run one script: through the auto-pipeline when there is one, else on its own."""
        if self._pipeline is not None:
            return self._pipeline.call(script, keys, args)
        return script(self._client, keys, args)

    @property
    def client(self) -> Any:
        """The underlying ``redis.asyncio`` client (tests inspect keys through it)."""
        return self._client

    def _build_client(self, cfg: StoreConfig, read_timeout: bool = True) -> Any:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff

        # One quick retry: enough to reconnect a pooled connection after a Redis restart, not
        # enough to hang a request. op_timeout_s bounds the whole operation anyway.
        retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=1)
        common: dict[str, Any] = {
            "socket_timeout": cfg.socket_timeout_s if read_timeout else None,
            "socket_connect_timeout": cfg.connect_timeout_s,
            "retry": retry,
            "decode_responses": False,
            "max_connections": cfg.max_connections,
        }
        parts = urlsplit(cfg.url)
        scheme = parts.scheme.lower()
        if scheme in ("redis", "rediss", "unix"):
            from redis.asyncio import BlockingConnectionPool

            # Blocking pool: a burst beyond max_connections waits (within the deadline) for a
            # free connection instead of failing with "Too many connections".
            packing = _packing_connection_class(scheme)
            if packing is not None:
                common["connection_class"] = packing
            pool = BlockingConnectionPool.from_url(cfg.url, timeout=cfg.op_timeout_s, **common)
            client = Redis(connection_pool=pool)
            client.auto_close_connection_pool = True  # aclose() closes the pool we made
            return client
        user, password, hosts = _userinfo(parts.netloc)
        ssl = scheme.startswith("rediss+")
        if scheme in ("redis+cluster", "rediss+cluster"):
            import redis
            from redis.asyncio.cluster import ClusterNode, RedisCluster

            nodes = [ClusterNode(h, p) for h, p in _split_hosts(hosts, 6379)]
            extra: dict[str, Any] = {}
            if int(redis.__version__.split(".")[0]) < 6:
                # redis-py 5 retries cluster errors 3x by default; 6+ takes it from `retry`.
                extra["cluster_error_retry_attempts"] = 1
            return RedisCluster(
                startup_nodes=nodes,
                username=user,
                password=password,
                ssl=ssl,
                **extra,
                **common,
            )
        if scheme in ("redis+sentinel", "rediss+sentinel"):
            from redis.asyncio.sentinel import Sentinel

            path = [p for p in parts.path.split("/") if p]
            if not path:
                raise ConfigError("redis+sentinel:// URL needs the service name: .../<service>")
            db = int(path[1]) if len(path) > 1 and path[1].isdigit() else 0
            query = parse_qs(parts.query)
            sentinel_kwargs: dict[str, Any] = {
                "socket_timeout": cfg.socket_timeout_s,
                "socket_connect_timeout": cfg.connect_timeout_s,
            }
            if "sentinel_password" in query:
                sentinel_kwargs["password"] = query["sentinel_password"][0]
            self._sentinel = Sentinel(
                _split_hosts(hosts, 26379), sentinel_kwargs=sentinel_kwargs
            )
            return self._sentinel.master_for(
                path[0],
                db=db,
                username=user,
                password=password,
                ssl=ssl,
                **{k: v for k, v in common.items() if k != "max_connections"},
            )
        raise ConfigError(
            f"unsupported state store URL scheme {scheme!r}: use memory://, redis://, "
            "rediss://, unix://, redis+cluster:// or redis+sentinel://"
        )

    async def _call(self, op: Callable[[], Awaitable[T]], pipelined: bool = False) -> T:
        """Run one store operation under the deadline, mapping backend errors.

        ``pipelined``: the operation's Redis calls all go through the auto-pipeline, which
        bounds every round trip by ``op_timeout_s`` itself; a second timer per call is skipped
        (it was a fifth of a turn's Python time in the store benchmark).
        """
        rx = self._rx
        try:
            if pipelined and self._pipeline is not None:
                return await op()
            async with asyncio.timeout(self.config.op_timeout_s):
                return await op()
        except TimeoutError:
            raise StoreUnavailableError("session store timed out") from None
        except (rx.ClusterDownError, rx.TryAgainError, rx.ReadOnlyError) as exc:
            raise StoreUnavailableError("session store unavailable") from exc
        except rx.ResponseError as exc:
            if _NO_SESSION in str(exc):
                raise SessionNotFoundError("session not found") from None
            raise
        except (rx.ConnectionError, rx.TimeoutError, rx.RedisClusterException, OSError) as exc:
            raise StoreUnavailableError("session store unavailable") from exc

    async def ping(self) -> bool:
        try:
            return bool(await self._call(self._client.ping))
        except Exception:  # noqa: BLE001 - health must answer, not raise
            return False

    async def close(self) -> None:
        clients = [self._client]
        if self._pipeline_client is not None and self._pipeline_client is not self._client:
            clients.append(self._pipeline_client)
        if self._sentinel is not None:
            clients += list(self._sentinel.sentinels)
        for c in clients:
            closer = getattr(c, "aclose", None) or c.close
            await closer()

    def _index_due(self, session_id: str) -> bool:
        """True when this session's turns have not refreshed the index lately (bounded memory)."""
        now = time.monotonic()
        last = self._index_touched.get(session_id)
        if last is not None and now - last < self.config.index_refresh_s:
            return False
        self._index_touched[session_id] = now
        self._index_touched.move_to_end(session_id)
        while len(self._index_touched) > 100_000:
            self._index_touched.popitem(last=False)
        return True

    async def _touch_index(self, session_id: str, now_ms: int) -> None:
        if self.config.index_max == 0:
            return
        await self._eval(
            self._index,
            [INDEX_KEY],
            [session_id, now_ms, self.config.index_max, self.config.ttl_s * 1000],
        )

    async def _create_session(
        self, session_id: str, profile: dict[str, str], profile_slots: dict[str, str], now_ms: int
    ) -> SessionState:
        args: list[Any] = [self.config.ttl_s * 1000, now_ms, _dumps(profile)]
        for slot, value in sorted(profile_slots.items()):
            record = {"value": value, "confidence": 1.0, "source": "backend", "turn": PROFILE_TURN}
            args += [SLOT_FIELD_PREFIX + slot, _dumps(record)]

        async def op() -> SessionState:
            created, flat = await self._eval(self._create, session_keys(session_id), args)
            if created:
                await self._touch_index(session_id, now_ms)
            return _state_from_hash(_flat_to_dict(flat))

        return await self._call(op)

    async def _apply_turn(self, turn: TurnInput, history_limit: int = 0) -> TurnResult:
        payload = _dumps(
            {
                "text": turn.text,
                "text_source": turn.text_source,
                "intent": turn.intent,
                "intent_confidence": float(turn.intent_confidence),
                "timestamp_ms": turn.timestamp_ms,
                "updates": [
                    {
                        "slot": u.slot,
                        "value": u.value,
                        "confidence": float(u.confidence),
                        "source": u.source,
                        **({} if u.turn is None else {"turn": u.turn}),
                    }
                    for u in turn.updates
                ],
            }
        )
        args = [
            turn.request_id,
            payload,
            self.config.ttl_s * 1000,
            self.config.history_max,
            self.config.request_window,
        ]
        if history_limit:
            args.append(history_limit)

        async def op() -> TurnResult:
            replayed, raw, *context = await self._eval(self._apply, session_keys(turn.session_id),
                                                       args)
            if not replayed and self._index_due(turn.session_id):
                await self._touch_index(turn.session_id, int(turn.timestamp_ms or _now_ms()))
            result = json.loads(_str(raw))
            h = result["h"] if isinstance(result["h"], dict) else {}
            state = _state_from_hash(h)
            snapshot = None
            if context:
                history, profile_json, created_ms, pttl = context
                snapshot = _snapshot(state, history, profile_json, created_ms, pttl)
            return TurnResult(state=state, turn=int(result["turn"]), replayed=bool(replayed),
                              context=snapshot)

        return await self._call(op, pipelined=True)

    async def _record_reply(
        self, session_id: str, request_id: str, reply: str, degraded: list[str], image_type: str,
        acts_json: str = "[]",
    ) -> bool:
        args = [request_id, reply, _dumps(degraded), image_type, self.config.ttl_s * 1000,
                acts_json]

        async def op() -> bool:
            return bool(await self._eval(self._reply, session_keys(session_id), args))

        return await self._call(op, pipelined=True)

    async def _finish_turn(self, session_id: str, request_id: str, reply: str,
                           degraded: list[str], image_type: str, payload: bytes,
                           acts_json: str = "[]") -> bool:
        args = [request_id, reply, _dumps(degraded), image_type, self.config.ttl_s * 1000,
                payload, self.config.request_window, acts_json]

        async def op() -> bool:
            return bool(await self._eval(self._finish, session_keys(session_id), args))

        return await self._call(op, pipelined=True)

    async def _get_state(self, session_id: str, history_limit: int) -> SessionSnapshot:
        keys = session_keys(session_id)[:3]

        async def op() -> SessionSnapshot:
            flat_state, flat_meta, history, pttl = await self._eval(
                self._get, keys, [history_limit]
            )
            meta = _flat_to_dict(flat_meta)
            return _snapshot(_state_from_hash(_flat_to_dict(flat_state)), history,
                             meta.get("profile") or "{}", meta.get("created_ms") or 0, pttl)

        return await self._call(op, pipelined=True)

    async def _erase(self, session_id: str) -> int:
        async def op() -> int:
            deleted = int(await self._eval(self._erase_script, session_keys(session_id), []))
            await self._client.zrem(INDEX_KEY, session_id)
            return deleted

        return await self._call(op)

    async def _list_sessions(self, limit: int) -> list[SessionListing]:
        if limit == 0:
            return []
        min_score = _now_ms() - self.config.ttl_s * 1000

        async def op() -> list[SessionListing]:
            rows = await self._client.zrevrangebyscore(
                INDEX_KEY, "+inf", min_score, start=0, num=limit, withscores=True
            )
            return [SessionListing(_str(m), int(score)) for m, score in rows]

        return await self._call(op)

    async def _store_response(self, session_id: str, request_id: str, payload: bytes) -> None:
        args = [request_id, payload, self.config.ttl_s * 1000, self.config.request_window]

        async def op() -> None:
            await self._eval(self._store_resp, session_keys(session_id), args)

        await self._call(op)

    async def _get_response(self, session_id: str, request_id: str) -> bytes | None:
        keys = session_keys(session_id)
        meta, responses = keys[1], keys[5]

        async def op() -> bytes | None:
            (payload,) = await self._eval(self._get_resp, [meta, responses], [request_id])
            return payload if payload else None

        return await self._call(op, pipelined=True)


def create_state_store(config: StoreConfig) -> StateStore:
    """The store the URL asks for: ``memory://`` in process, anything else on Redis."""
    if urlsplit(config.url).scheme.lower() == "memory":
        return InMemoryStateStore(config)
    return RedisStateStore(config)
