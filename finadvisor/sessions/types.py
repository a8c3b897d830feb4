"""The session key schema, the domain types and their validation and (de)serialisation.

Everything here is pure Python (no Redis client): it is what the state service, the gateway
and the tests share about a session, whichever process writes it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from finadvisor import ontology
from finadvisor.ontology import ID_RE
from finadvisor.shared.errors import InvalidInputError

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
#: Order matters: it is the KEYS order of the Lua scripts (``scripts/*.lua``).
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
#: Keys of a session that the gateway writes beside the store's, under the same hash tag: who
#: started it (string: the API client's id), its turn-rate bucket (hash), its turns in flight
#: (counter) and its audit entries' ids (list). Not in the scripts' KEYS order above; erasure
#: deletes them by name.
OWNER_SUFFIX = "owner"
TURN_RATE_SUFFIX = "turn_rate"
INFLIGHT_SUFFIX = "inflight"
AUDIT_IDS_SUFFIX = "audit_ids"
GATEWAY_KEY_SUFFIXES: tuple[str, ...] = (OWNER_SUFFIX, TURN_RATE_SUFFIX, INFLIGHT_SUFFIX,
                                         AUDIT_IDS_SUFFIX)
#: Stream of the audit entries of every session (each names its session), trimmed by length.
AUDIT_STREAM_KEY = KEY_PREFIX + "audit"

SLOT_FIELD_PREFIX = "slot:"
#: ``turn`` of slots set from the backend's profile at session creation, before any user turn.
PROFILE_TURN = -1
SOURCES = frozenset(ontology.SOURCES)
TEXT_SOURCES = frozenset({"text", "audio", "image", ""})

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
    """Every key of a session that the store's scripts touch, in their KEYS order (the
    gateway's keys beside them: ``session_key`` with :data:`GATEWAY_KEY_SUFFIXES`).

    Knowing the names is what lets erasure and TTL checks work without any scan.
    """
    check_id(session_id, "session_id")
    return tuple(f"{KEY_PREFIX}{{{session_id}}}:{suffix}" for suffix in SESSION_KEY_SUFFIXES)


def session_key(session_id: str, suffix: str) -> str:
    """The key ``suffix`` (one of the store's or the gateway's) of a session whose id the caller
    has already checked (the gateway checks every id it is sent)."""
    if suffix not in SESSION_KEY_SUFFIXES and suffix not in GATEWAY_KEY_SUFFIXES:
        raise KeyError(f"no session key {suffix!r}")
    return f"{KEY_PREFIX}{{{session_id}}}:{suffix}"


def client_rate_key(client_id: str) -> str:
    """The token bucket of one API client (its own hash tag: one client, one slot)."""
    return f"{KEY_PREFIX}rl:{{{client_id}}}"


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




# --------------------------------------------------------------------------------------------
# Validation and (de)serialisation shared by both implementations
# --------------------------------------------------------------------------------------------
def check_id(value: str, name: str) -> None:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise InvalidInputError(
            f"{name} must be 1-128 characters of letters, digits, '_', '.', ':' or '-'"
        )


def check_text(value: str, name: str, limit: int) -> None:
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInputError(f"{name} must be a string of at most {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{name} is not valid unicode") from None


def check_confidence(value: float, name: str) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number in [0, 1]") from None
    if not 0.0 <= f <= 1.0:  # also rejects NaN
        raise InvalidInputError(f"{name} must be a number in [0, 1]")
    return f


def check_label(value: str, name: str) -> None:
    if value and not _NAME_RE.match(value):
        raise InvalidInputError(f"{name} must be a lower_snake_case name of at most 64 characters")


def validate_turn(turn: TurnInput) -> None:
    check_id(turn.session_id, "session_id")
    check_id(turn.request_id, "request_id")
    check_text(turn.text, "text", MAX_TEXT_CHARS)
    if turn.text_source not in TEXT_SOURCES:
        raise InvalidInputError("text_source must be one of text, audio, image")
    check_label(turn.intent, "intent")
    check_confidence(turn.intent_confidence, "intent_confidence")
    if len(turn.updates) > MAX_UPDATES:
        raise InvalidInputError(f"at most {MAX_UPDATES} slot updates per turn")
    for u in turn.updates:
        validate_update(u)
    if turn.timestamp_ms is not None and (
        not isinstance(turn.timestamp_ms, int) or not 0 <= turn.timestamp_ms < 1 << 53
    ):
        raise InvalidInputError("timestamp_ms must be a non-negative integer")


def validate_update(u: SlotUpdate) -> None:
    if not _NAME_RE.match(u.slot or ""):
        raise InvalidInputError("slot must be a lower_snake_case name of at most 64 characters")
    if not u.value:
        raise InvalidInputError(f"slot {u.slot} needs a non-empty value")
    check_text(u.value, f"value of {u.slot}", MAX_VALUE_CHARS)
    check_confidence(u.confidence, f"confidence of {u.slot}")
    if u.source not in SOURCES:
        raise InvalidInputError("slot source must be one of text, image, audio, backend")
    if u.turn is not None and (not isinstance(u.turn, int) or u.turn < PROFILE_TURN):
        raise InvalidInputError("slot turn must be an integer >= -1")


def validate_profile(profile: Mapping[str, str], profile_slots: Mapping[str, str]) -> None:
    if len(profile) > MAX_PROFILE_ENTRIES or len(profile_slots) > MAX_PROFILE_ENTRIES:
        raise InvalidInputError(f"at most {MAX_PROFILE_ENTRIES} profile entries")
    for k, v in profile.items():
        if not isinstance(k, str) or not _PROFILE_KEY_RE.match(k):
            raise InvalidInputError("profile keys must be 1-64 letters, digits, '_', '.', '-'")
        check_text(v, f"profile {k}", MAX_VALUE_CHARS)
    for k, v in profile_slots.items():
        validate_update(SlotUpdate(k, v, 1.0, "backend"))


def validate_reply(reply: str, degraded: Sequence[str], image_type: str) -> None:
    check_text(reply, "reply", MAX_REPLY_CHARS)
    if len(degraded) > MAX_DEGRADED:
        raise InvalidInputError(f"at most {MAX_DEGRADED} degraded entries")
    for d in degraded:
        check_text(d, "degraded entry", MAX_LABEL_CHARS)
    check_text(image_type, "image_type", MAX_LABEL_CHARS)


def dumps(obj: Any) -> str:
    # ensure_ascii=False: raw UTF-8 travels through Lua's cjson untouched.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def as_list(obj: Any) -> list[str]:
    """cjson encodes an empty Lua table as ``{}``; an empty list is what was meant."""
    return [str(x) for x in obj] if isinstance(obj, list) else []


def to_str(b: bytes | str) -> str:
    return b.decode("utf-8") if isinstance(b, bytes) else b


def state_from_hash(h: Mapping[str, str]) -> SessionState:
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
        changed_slots=as_list(json.loads(h.get("changed_slots") or "[]")),
    )


def history_from_json(raw: str) -> HistoryEntry:
    e = json.loads(raw)
    return HistoryEntry(
        turn=int(e["turn"]),
        request_id=str(e["request_id"]),
        text=str(e.get("text", "")),
        text_source=str(e.get("text_source", "")),
        intent=str(e.get("intent", "")),
        changed_slots=as_list(e.get("changed_slots")),
        reply=str(e.get("reply", "")),
        degraded=as_list(e.get("degraded")),
        timestamp_ms=int(e.get("timestamp_ms", 0)),
        image_type=str(e.get("image_type", "")),
        acts=acts_from_json(e.get("acts")),
    )


def _act_record(name: Any, args: Mapping[str, Any] | None) -> dict[str, Any]:
    """One act as kept in the history: string name, string arguments."""
    return {"name": str(name), "args": {str(k): str(v) for k, v in (args or {}).items()}}


def acts_from_json(raw: Any) -> list[dict[str, Any]]:
    # cjson writes an empty list as {}: anything but a list of objects is "no acts".
    if not isinstance(raw, list):
        return []
    return [_act_record(a.get("name", ""), a.get("args")) for a in raw if isinstance(a, dict)]


def acts_to_json(acts: Sequence[Mapping[str, Any]]) -> str:
    return dumps([_act_record(a["name"], a.get("args")) for a in acts])


def snapshot_from(state: SessionState, history: Sequence[bytes | str], profile_json: bytes | str,
              created_ms: bytes | str | int, pttl: bytes | str | int) -> SessionSnapshot:
    """A SessionSnapshot from what the scripts return (raw history entries, meta fields)."""
    try:
        profile = json.loads(to_str(profile_json) or "{}")
    except json.JSONDecodeError:
        profile = {}
    ttl_ms = int(pttl)
    return SessionSnapshot(
        state=state,
        history=[history_from_json(to_str(e)) for e in history],
        profile={str(k): str(v) for k, v in dict(profile or {}).items()},
        created_ms=int(created_ms or 0),
        ttl_seconds=-1 if ttl_ms < 0 else (ttl_ms + 999) // 1000,
    )


def flat_to_dict(flat: Sequence[bytes | str]) -> dict[str, str]:
    """HGETALL as a Lua script returns it (a flat field/value array) -> dict."""
    it = iter(flat)
    return {to_str(k): to_str(v) for k, v in zip(it, it)}


def now_ms() -> int:
    return time.time_ns() // 1_000_000

