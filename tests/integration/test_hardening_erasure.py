"""Erasure that erases: an erase racing 20 in-flight turns of the session leaves no key, no
audit stream entry, no index entry and nothing in the append-only file that names the session
or holds its text, and no log line (as the services format them, every level) names the
session other than by its keyed hash. Every service in-process, a persistent Redis (AOF on) of
this test alone."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path

import grpc
import pytest
from redis.asyncio import Redis

from finadvisor.gateway.v1 import gateway_pb2
from finadvisor.shared.logging import JsonFormatter, session_ref
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ROUNDS = 3


async def _leftovers(r: Redis, sid: str, marker: str, aof_dir: Path) -> list[str]:
    found = [f"key {k!r}" async for k in r.scan_iter(match=f"*{sid}*", count=1000)]
    for entry_id, fields in await r.xrange("fa:audit"):
        if sid.encode() in b" ".join(fields.values()):
            found.append(f"audit entry {entry_id!r}")
    if await r.zscore("fa:index:recent_sessions", sid) is not None:
        found.append("index entry")
    for f in aof_dir.rglob("*.aof"):  # noqa: ASYNC240 - the check reads Redis' own files after the erase
        data = f.read_bytes()
        if sid.encode() in data or marker.encode() in data:
            found.append(f"AOF {f.name}")
    return found


class LogLines(logging.Handler):
    """Every record, formatted as the services write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter("any"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_erase_racing_twenty_turns_leaves_nothing(fresh_redis) -> None:
    lines = LogLines()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(lines)
    root.setLevel(logging.DEBUG)
    erased_ids: list[str] = []
    stack = await Stack(fresh_redis.url).start({
        "FINADVISOR_GATEWAY_MAX_TURNS_PER_SESSION": "64",
        "FINADVISOR_GATEWAY_SESSION_TURN_BURST": "200",
    })
    r = Redis.from_url(fresh_redis.url)
    gw = stack.gateway
    try:
        for _ in range(ROUNDS):
            sid = (await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=30)
                   ).session_id
            marker = f"quokka{uuid.uuid4().hex[:10]}"
            await gw.Converse(gateway_pb2.ConverseRequest(
                session_id=sid, request_id="first",
                text=f"I'd like to borrow 15000 dollars, my dog is called {marker}"),
                timeout=60)

            async def turn(i: int, sid: str = sid, marker: str = marker) -> grpc.StatusCode:
                try:
                    await gw.Converse(gateway_pb2.ConverseRequest(
                        session_id=sid, request_id=f"race-{i}",
                        text=f"my income is {3000 + i} a month, {marker}"), timeout=60)
                except grpc.aio.AioRpcError as exc:
                    return exc.code()
                return grpc.StatusCode.OK

            turns = [asyncio.create_task(turn(i)) for i in range(20)]
            deadline = time.monotonic() + 30
            while int(await r.get(f"fa:{{{sid}}}:inflight") or 0) < 3:
                assert time.monotonic() < deadline, "turns never got in flight"
                await asyncio.sleep(0.005)
            erased = await gw.EndSession(gateway_pb2.EndSessionRequest(session_id=sid,
                                                                        erase=True), timeout=60)
            assert erased.erased
            codes = await asyncio.gather(*turns)
            assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND}, codes
            assert await _leftovers(r, sid, marker, fresh_redis.data_dir) == []
            erased_ids.append(sid)
            got = await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=30)
            ended = await gw.EndSession(gateway_pb2.EndSessionRequest(
                session_id=got.session_id), timeout=30)
            # Ended without erasure: it says when its data will be gone (the session's TTL).
            assert not ended.erased
            assert ended.expires_at_ms > time.time() * 1000 + (got.ttl_seconds - 60) * 1000
        # The sessions' lines are there, under the keyed hash only.
        assert any(session_ref(sid) in line for line in lines.lines for sid in erased_ids)
        named = [line for line in lines.lines if any(sid in line for sid in erased_ids)]
        assert named == [], named[:3]
    finally:
        root.removeHandler(lines)
        root.setLevel(old_level)
        await r.aclose()
        await stack.stop()
