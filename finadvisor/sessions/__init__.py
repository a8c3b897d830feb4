"""The session store: one owner of a session's keys, their Lua scripts and their configuration.

Layout: ``types`` (key schema, domain types, validation), ``config`` (:class:`SessionSettings`,
the one settings object from the environment), ``base`` (the abstract :class:`StateStore`),
``redis_store`` (:class:`RedisStateStore`), ``scripts`` + ``scripts/*.lua`` (the turn logic,
one implementation), ``pipeline`` (auto-pipelining, hiredis packing), ``urls`` (standalone,
Cluster and Sentinel URLs -> clients).

Why a library both writers import, rather than a ``FinishTurn`` RPC on the state service:
the end of a turn (the reply into the history and the answer kept for replays, one script) is
on the gateway's hot path, and one more gRPC hop in front of that one script measured 3x its
p50 latency at 1 client and 10x at 8 (``python -m finadvisor.bench.store_hop``; the figures are
in ``finadvisor/bench/README.md``), before TLS. What made two writers dangerous was two copies
of the key schema and two configurations of the same keys; one package with one
:class:`SessionSettings` (read the same way by both) removes that. The state service stays the
owner of the turn's understanding; the gateway only ends turns and reads stored answers,
through the same scripts.

The store receives turns that are already understood (intent and slot updates); it does not
call the NLU.
"""

from finadvisor.sessions.base import StateStore
from finadvisor.sessions.config import SessionSettings
from finadvisor.sessions.redis_store import RedisStateStore, turn_payload
from finadvisor.sessions.scripts import SCRIPT_NAMES, Script, ScriptRunner, run_on
from finadvisor.sessions.types import (
    INDEX_KEY,
    KEY_PREFIX,
    MAX_TEXT_CHARS,
    PROFILE_TURN,
    SESSION_KEY_SUFFIXES,
    SOURCES,
    HistoryEntry,
    SessionListing,
    SessionSnapshot,
    SessionState,
    SlotRecord,
    SlotUpdate,
    TurnInput,
    TurnResult,
    session_keys,
)

__all__ = [
    "INDEX_KEY",
    "KEY_PREFIX",
    "MAX_TEXT_CHARS",
    "PROFILE_TURN",
    "SCRIPT_NAMES",
    "SESSION_KEY_SUFFIXES",
    "SOURCES",
    "HistoryEntry",
    "RedisStateStore",
    "Script",
    "ScriptRunner",
    "SessionListing",
    "SessionSettings",
    "SessionSnapshot",
    "SessionState",
    "SlotRecord",
    "SlotUpdate",
    "StateStore",
    "TurnInput",
    "TurnResult",
    "run_on",
    "session_keys",
    "turn_payload",
]
