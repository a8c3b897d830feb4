"""Erasure that erases: every key, audit entry and index entry of a session, and the
append-only file rewritten so the erased text is not kept on disk either.

Why the steps are in this order:

1. The state service erases the session's keys first. From then on the session does not
   exist: the gateway's turn-slot script refuses new turns of it, the store's turn scripts
   write nothing (they check the session's meta), and an audit entry of a turn still in
   flight is indexed only while the session exists (else it is taken back at once).
2. The session's audit entries and the gateway's own keys (owner, turn bucket) go.
3. Turns that were already past the turn slot are waited for (the session's in-flight
   counter, bounded by the turn deadline), then steps 1-2 run once more: whatever such a turn
   wrote in between (the recent-sessions index, an audit entry) is swept.
4. The append-only file is rewritten (``BGREWRITEAOF``, started after the erasure so its
   snapshot no longer holds the session) and waited for, so the erasure answers only once no
   file of Redis holds the erased text. Replicas rewrite their own files the same way on
   their schedule; RDB snapshots taken before the erasure are the operator's retention
   policy (docs/DEPLOY.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from finadvisor.services.gateway.audit import AuditLog
from finadvisor.services.gateway.auth import inflight_key, owner_key, turn_rate_key

log = logging.getLogger("finadvisor.gateway.erasure")

#: how often the in-flight counter and the rewrite are polled
POLL_S = 0.05


def _info_field(info: Any, name: str) -> str:
    if isinstance(info, dict):
        return str(info.get(name, ""))
    for line in (info.decode() if isinstance(info, bytes) else str(info)).splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return ""


async def compact_aof(redis: Any, timeout_s: float = 30.0) -> bool:
    """Rewrite the append-only file of every primary after an erasure and wait for it.

    Returns False when a node did not finish within ``timeout_s`` (the erasure stands; the
    file is compacted when that rewrite ends). Nodes without AOF are skipped.
    """
    nodes = redis.get_primaries() if hasattr(redis, "get_primaries") else [None]
    ok = True
    for node in nodes:
        kwargs = {"target_nodes": node} if node is not None else {}

        async def info(kwargs: dict[str, Any] = kwargs) -> Any:
            return await redis.execute_command("INFO", "persistence", **kwargs)

        if _info_field(await info(), "aof_enabled") != "1":
            continue
        deadline = time.monotonic() + timeout_s
        started = False
        while time.monotonic() < deadline:
            state = await info()
            busy = _info_field(state, "aof_rewrite_in_progress") == "1" or \
                _info_field(state, "aof_rewrite_scheduled") == "1"
            if started and not busy:
                break
            if not started and not busy:
                await redis.execute_command("BGREWRITEAOF", **kwargs)
                started = True
            # A rewrite already running began before the erasure: wait, then start ours.
            await asyncio.sleep(POLL_S)
        else:
            ok = False
            log.warning("append-only file rewrite after an erasure still running")
    return ok


class Eraser:
    """One session's erasure, across the state service, the audit log and the gateway."""

    def __init__(self, redis: Any, erase_state: Callable[[str], Awaitable[Any]],
                 audit: AuditLog, wait_turns_s: float) -> None:
        self.redis = redis
        self.erase_state = erase_state
        self.audit = audit
        self.wait_turns_s = wait_turns_s

    async def _sweep(self, session_id: str) -> None:
        await self.erase_state(session_id)
        await self.audit.erase_session(session_id)
        await self.redis.delete(owner_key(session_id), turn_rate_key(session_id))

    async def _turns_done(self, session_id: str) -> None:
        key = inflight_key(session_id)
        deadline = time.monotonic() + self.wait_turns_s
        while time.monotonic() < deadline:
            if int(await self.redis.get(key) or 0) <= 0:
                return
            await asyncio.sleep(POLL_S)
        log.warning("turns of an erased session still in flight at the end of the wait")

    async def erase(self, session_id: str) -> None:
        await self._sweep(session_id)
        await self._turns_done(session_id)
        await self._sweep(session_id)
        await self.redis.delete(inflight_key(session_id))
        await compact_aof(self.redis)
