"""Audit records of every turn and every credit decision, on a Redis stream.

One global stream ``fa:audit`` (bounded by MAXLEN, with a TTL refreshed on write) is the
regulator's log: request id, session, sha256 of each input (never the raw text, image or
audio), model versions, decision and reason codes. Each session keeps the ids of its records in
``fa:{<session>}:audit_ids`` (same TTL as the session) so an analyst reads a session's records
without scanning, and erasure deletes exactly those entries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Mapping, Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from finadvisor.sessions import Script, ScriptRunner, run_on
from finadvisor.sessions.types import (
    AUDIT_IDS_SUFFIX,
    AUDIT_STREAM_KEY,
    META_SUFFIX,
    session_key,
)
from finadvisor.shared.errors import StoreUnavailableError

#: How long the global stream lives without writes.
AUDIT_STREAM_TTL_S = 400 * 24 * 3600


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    session_id: str
    request_id: str
    kind: str  # "turn" or "credit_decision"
    input_hashes: Mapping[str, str] = dataclasses.field(default_factory=dict)
    model_versions: Mapping[str, str] = dataclasses.field(default_factory=dict)
    decision: str = ""
    reasons: Sequence[str] = ()
    probability_of_default: float = 0.0
    degraded: Sequence[str] = ()
    timestamp_ms: int = 0
    id: str = ""
    #: the API client whose call wrote the record ('' = the authenticated caller of this call)
    caller: str = ""
    #: the advisor's dialogue acts of the turn's reply, as ``name(arg=value, ...)``
    acts: Sequence[str] = ()


def session_audit_key(session_id: str) -> str:
    return session_key(session_id, AUDIT_IDS_SUFFIX)


class AuditLog:
    def __init__(self, redis: Redis, max_records: int = 100_000, session_ttl_s: int = 86_400,
                 per_session_max: int = 1000,
                 run_script: ScriptRunner | None = None) -> None:
        """``run_script``: how the index script reaches Redis (the session store's
        ``run_script``, pipelined with the store's own calls); by default a call on ``redis``."""
        self.redis = redis
        self.max_records = max_records
        self.session_ttl_s = session_ttl_s
        self.per_session_max = per_session_max
        self._index_script = Script.named("audit_index")
        self._append_script = Script.named("audit_append")
        self._run = run_script or run_on(redis)

    async def _index(self, session_id: str, entry_id: str) -> int:
        meta = session_key(session_id, META_SUFFIX)
        return int(await self._run(self._index_script, [session_audit_key(session_id), meta],
                                   [entry_id, self.per_session_max, self.session_ttl_s]))

    async def append(self, entry: AuditEntry) -> str:
        return (await self.append_many([entry]))[0]

    async def append_many(self, entries: Sequence[AuditEntry]) -> list[str]:
        """Append entries (one turn's records) in two round trips whatever their number: the
        stream entries, then the per-session index that needs their ids."""
        if not entries:
            return []
        try:
            # One script per entry (XADD + the stream's TTL), issued together: with the store's
            # auto-pipeline they share one round trip with whatever else this tick sends (the
            # turn's finish_turn).
            raw_ids = await asyncio.gather(*(
                self._run(self._append_script, [AUDIT_STREAM_KEY],
                          [self.max_records, AUDIT_STREAM_TTL_S,
                           *(x for kv in self._fields(entry).items() for x in kv)])
                for entry in entries))
            ids = [i.decode() if isinstance(i, bytes) else str(i) for i in raw_ids]
            # Indexed only while the session exists (one script per entry, on the session's
            # slot); the entry of a session erased meanwhile is taken back at once.
            pairs = [(e.session_id, i) for e, i in zip(entries, ids, strict=True)
                     if e.session_id]
            indexed = await asyncio.gather(*(self._index(sid, i) for sid, i in pairs))
            orphans = [i for (_, i), ok in zip(pairs, indexed, strict=True) if not ok]
            if orphans:
                await self.redis.xdel(AUDIT_STREAM_KEY, *orphans)
        except (RedisError, OSError) as exc:
            raise StoreUnavailableError("audit log unavailable") from exc
        return ids

    @staticmethod
    def _fields(entry: AuditEntry) -> dict[str, str]:
        return {
            "session_id": entry.session_id,
            "request_id": entry.request_id,
            "kind": entry.kind,
            "ts": str(entry.timestamp_ms or int(time.time() * 1000)),
            "input_hashes": json.dumps(dict(entry.input_hashes), sort_keys=True),
            "model_versions": json.dumps(dict(entry.model_versions), sort_keys=True),
            "decision": entry.decision,
            "reasons": json.dumps(list(entry.reasons)),
            "pd": repr(float(entry.probability_of_default)),
            "degraded": json.dumps(list(entry.degraded)),
            "caller": entry.caller or _current_caller(),
            "acts": json.dumps(list(entry.acts)),
        }

    async def for_session(self, session_id: str, limit: int = 100) -> list[AuditEntry]:
        try:
            ids = await self.redis.lrange(session_audit_key(session_id), -limit, -1)
            out: list[AuditEntry] = []
            for raw_id in ids:
                entry_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
                rows = await self.redis.xrange(AUDIT_STREAM_KEY, entry_id, entry_id)
                if rows:
                    out.append(_entry_from_fields(entry_id, rows[0][1]))
            return out
        except (RedisError, OSError) as exc:
            raise StoreUnavailableError("audit log unavailable") from exc

    async def erase_session(self, session_id: str) -> int:
        """Delete the session's audit entries and their index; return how many went."""
        key = session_audit_key(session_id)
        try:
            ids = await self.redis.lrange(key, 0, -1)
            deleted = await self.redis.xdel(AUDIT_STREAM_KEY, *ids) if ids else 0
            await self.redis.delete(key)
            return int(deleted)
        except (RedisError, OSError) as exc:
            raise StoreUnavailableError("audit log unavailable") from exc


def _entry_from_fields(entry_id: str, raw: Mapping[bytes | str, bytes | str]) -> AuditEntry:
    f = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
         for k, v in raw.items()}
    return AuditEntry(
        id=entry_id,
        session_id=f.get("session_id", ""),
        request_id=f.get("request_id", ""),
        kind=f.get("kind", ""),
        timestamp_ms=int(f.get("ts", "0")),
        input_hashes=json.loads(f.get("input_hashes", "{}")),
        model_versions=json.loads(f.get("model_versions", "{}")),
        decision=f.get("decision", ""),
        reasons=json.loads(f.get("reasons", "[]")),
        probability_of_default=float(f.get("pd", "0")),
        degraded=json.loads(f.get("degraded", "[]")),
        caller=f.get("caller", ""),
        acts=json.loads(f.get("acts", "[]")),
    )


def _current_caller() -> str:
    from finadvisor.services.gateway.auth import client_var

    client = client_var.get()
    return client.client_id if client is not None else ""
