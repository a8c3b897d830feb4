"""The session store's keys and failures on real Redis deployments, started by the tests.

Every key of a session is one the store names and carries the TTL; erasure leaves none; a
flushed script cache, Redis or a cluster going down (and coming back), a hung server, Sentinel
and the auto-pipeline. The store's behaviour on every backend is in ``test_state_store.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from finadvisor.sessions import (
    INDEX_KEY,
    RedisStateStore,
    SessionSettings,
    StateStore,
    session_keys,
)
from finadvisor.shared.errors import SessionNotFoundError, StoreUnavailableError
from finadvisor.shared.redis_local import LocalRedis
from tests.integration.test_state_store import (
    TTL_S,
    backend_url,
    existing_keys,
    sid,
    text_slot,
    turn,
)

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "cluster"])
async def redis_store(request: pytest.FixtureRequest) -> AsyncIterator[RedisStateStore]:
    store = RedisStateStore(SessionSettings(url=backend_url(request.param, request), ttl_s=TTL_S))
    assert isinstance(store, RedisStateStore)
    yield store
    await store.close()


# ------------------------------------------------------------------------------------------
# Keys on the Redis backends
# ------------------------------------------------------------------------------------------
async def _use_every_key(store: StateStore, s: str) -> None:
    await store.create_session(s, profile={"customer_id": "c"}, profile_slots={"age": "41"})
    await store.apply_turn(turn(s, "r0", text_slot("loan_amount", "5000")))
    await store.apply_turn(turn(s, "r1", text_slot("currency", "EUR")))
    await store.record_reply(s, "r1", "ok")
    await store.store_response(s, "r1", b"response")


async def test_every_key_has_a_ttl_refreshed_on_each_turn(redis_store: RedisStateStore) -> None:
    s = sid()
    client = redis_store.client
    await _use_every_key(redis_store, s)
    keys = set(session_keys(s))
    assert await existing_keys(client, s) == keys  # every key is one we know the name of
    for k in keys:
        assert 0 < await client.ttl(k) <= TTL_S, k
    assert 0 < await client.ttl(INDEX_KEY) <= TTL_S

    for k in keys:
        await client.expire(k, 5)
    await redis_store.apply_turn(turn(s, "r2", text_slot("age", "42")))
    for k in keys:
        assert await client.ttl(k) > 5, k


async def test_erase_leaves_no_key(redis_store: RedisStateStore) -> None:
    s = sid()
    other = sid()
    await _use_every_key(redis_store, s)
    await _use_every_key(redis_store, other)
    assert await redis_store.erase(s) == len(session_keys(s))
    assert await existing_keys(redis_store.client, s) == set()
    assert await redis_store.client.zscore(INDEX_KEY, s) is None
    with pytest.raises(SessionNotFoundError):
        await redis_store.get_state(s)
    assert await redis_store.erase(s) == 0
    # The neighbour is untouched.
    assert (await redis_store.get_state(other)).state.turn_count == 2


async def test_script_cache_flush_falls_back_to_eval(redis_store: RedisStateStore) -> None:
    s = sid()
    await redis_store.create_session(s)
    await redis_store.client.script_flush()
    result = await redis_store.apply_turn(turn(s, "r0", text_slot("age", "30")))
    assert result.state.slots["age"].value == "30"
    assert (await redis_store.get_state(s)).state.turn_count == 1


async def test_ping_answers(redis_store: RedisStateStore) -> None:
    assert await redis_store.ping()


# ------------------------------------------------------------------------------------------
# Redis down, then back
# ------------------------------------------------------------------------------------------
async def _down_then_back(
    store: StateStore, stop: Callable[[], None], start: Callable[[], None]
) -> None:
    s = sid()
    await store.create_session(s)
    await store.apply_turn(turn(s, "r0", text_slot("loan_amount", "9000")))
    stop()
    # Bounded by a timeout here; the store's own deadline must fire well inside it.
    with pytest.raises(StoreUnavailableError):
        await asyncio.wait_for(store.apply_turn(turn(s, "r1", text_slot("age", "30"))), 20)
    with pytest.raises(StoreUnavailableError):
        await asyncio.wait_for(store.get_state(s), 20)
    assert not await asyncio.wait_for(store.ping(), 20)
    start()
    assert await store.ping()
    # Nothing of the failed turn was written: r1 applies now, as turn 1.
    result = await store.apply_turn(turn(s, "r1", text_slot("age", "30")))
    assert not result.replayed and result.turn == 1
    assert {k: v.value for k, v in result.state.slots.items()} == {
        "loan_amount": "9000", "age": "30",
    }


async def test_redis_down_is_unavailable_then_session_resumes(fresh_redis: LocalRedis) -> None:
    store = RedisStateStore(SessionSettings(url=fresh_redis.url, op_timeout_s=2.0))
    try:
        await _down_then_back(store, fresh_redis.stop, fresh_redis.start)
    finally:
        await store.close()


async def test_cluster_down_is_unavailable_then_session_resumes(fresh_cluster: object) -> None:
    store = RedisStateStore(SessionSettings(url=fresh_cluster.url, op_timeout_s=2.0))  # type: ignore[attr-defined]  # a LocalCluster
    try:
        await _down_then_back(store, fresh_cluster.stop, fresh_cluster.restart)  # type: ignore[attr-defined]  # a LocalCluster
    finally:
        await store.close()


async def test_sentinel_url_reaches_the_master(redis_sentinel: object, redis_url: str) -> None:
    via_sentinel = RedisStateStore(SessionSettings(url=redis_sentinel.url))  # type: ignore[attr-defined]  # a sentinel fixture
    direct = RedisStateStore(SessionSettings(url=redis_url))
    try:
        s = sid()
        await via_sentinel.create_session(s)
        result = await via_sentinel.apply_turn(turn(s, "r0", text_slot("age", "33")))
        assert result.state.slots["age"].value == "33"
        assert (await direct.get_state(s)).state.slots["age"].value == "33"
        assert await via_sentinel.ping()
    finally:
        await via_sentinel.close()
        await direct.close()


async def test_hung_redis_is_unavailable_within_the_deadline(fresh_redis: LocalRedis) -> None:
    """A server that accepts but never answers (SIGSTOP) must not hang a request."""
    import os
    import signal

    store = RedisStateStore(SessionSettings(url=fresh_redis.url, op_timeout_s=1.0))
    try:
        s = sid()
        await store.create_session(s)
        assert fresh_redis.proc is not None
        os.kill(fresh_redis.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(StoreUnavailableError):
                await asyncio.wait_for(store.apply_turn(turn(s, "r0")), 20)
        finally:
            os.kill(fresh_redis.proc.pid, signal.SIGCONT)
        # The timed-out command may still run once the server wakes; a retry of the same
        # request_id is safe either way: the turn is applied exactly once.
        await store.apply_turn(turn(s, "r0"))
        await store.apply_turn(turn(s, "r0"))
        assert (await store.get_state(s)).state.turn_count == 1
    finally:
        await store.close()


async def test_pipeline_cut_off_by_its_deadline_leaves_no_reply_for_the_next_caller(fresh_redis: LocalRedis) -> None:
    """Calls pipelined while the server is frozen time out; once it answers again, every later
    call gets its own reply (none of the timed-out batch's replies is read by another call)."""
    import os
    import signal

    store = RedisStateStore(SessionSettings(url=fresh_redis.url, op_timeout_s=1.0))
    try:
        sessions = [sid() for _ in range(12)]
        await asyncio.gather(*(store.create_session(s) for s in sessions))
        assert fresh_redis.proc is not None
        os.kill(fresh_redis.proc.pid, signal.SIGSTOP)
        try:
            frozen = await asyncio.wait_for(asyncio.gather(
                *(store.apply_turn(turn(s, "r0", text_slot("age", "40"))) for s in sessions),
                return_exceptions=True), 20)
        finally:
            os.kill(fresh_redis.proc.pid, signal.SIGCONT)
        assert all(isinstance(r, StoreUnavailableError) for r in frozen), frozen
        amounts = {s: str(2000 + i) for i, s in enumerate(sessions)}
        for _ in range(3):
            results = await asyncio.gather(*(
                store.apply_turn(turn(s, f"r{n}", text_slot("loan_amount", amounts[s])))
                for s in sessions for n in (1, 2)))
            for res, s in zip(results, [s for s in sessions for _ in (1, 2)], strict=True):
                assert res.state.slots["loan_amount"].value == amounts[s]
        for s in sessions:  # the frozen turn ran at most once, its retry is a replay
            assert (await store.apply_turn(turn(s, "r0", text_slot("age", "40")))).turn in (0, 2)
            assert (await store.get_state(s)).state.slots["loan_amount"].value == amounts[s]
    finally:
        await store.close()


async def test_auto_pipeline_sends_concurrent_turns_together_and_keeps_errors_apart(redis_url: str) -> None:
    """Concurrent calls on a standalone Redis share pipelines; each keeps its own result, a bad
    call (unknown session) fails alone, and a flushed script cache is recovered by EVAL."""
    store = RedisStateStore(SessionSettings(url=redis_url, ttl_s=TTL_S))
    plain = RedisStateStore(SessionSettings(url=redis_url, ttl_s=TTL_S, auto_pipeline=False))
    assert isinstance(store, RedisStateStore) and isinstance(plain, RedisStateStore)
    try:
        sessions = [sid() for _ in range(20)]
        await asyncio.gather(*(store.create_session(s) for s in sessions))
        pipeline = store._pipeline
        assert pipeline is not None and plain._pipeline is None
        before_pipes, before_calls = pipeline.pipelines, pipeline.calls
        amounts = {s: str(1000 + i) for i, s in enumerate(sessions)}
        results = await asyncio.gather(
            *(store.apply_turn(turn(s, "r1", text_slot("loan_amount", amounts[s]))) for s in sessions),
            store.apply_turn(turn(sid(), "r1")),  # no such session
            return_exceptions=True)
        assert isinstance(results[-1], SessionNotFoundError)
        for s, res in zip(sessions, results[:-1], strict=True):
            assert not isinstance(res, BaseException), res
            assert res.state.slots["loan_amount"].value == amounts[s] and res.turn == 0
        sent = pipeline.calls - before_calls
        assert sent >= 21 and pipeline.pipelines - before_pipes < sent  # shared pipelines
        # The same state is read back by a store that sends every call on its own.
        for s in sessions:
            assert (await plain.get_state(s)).state.slots["loan_amount"].value == amounts[s]

        await store.client.script_flush()  # as after a Redis restart: NOSCRIPT on EVALSHA
        again = await asyncio.gather(*(store.apply_turn(turn(s, "r2", text_slot("loan_amount", "5"))) for s in sessions))
        assert [r.turn for r in again] == [1] * len(sessions)
        # Multi-word commands still work with the hiredis packer.
        assert await store.client.config_get("maxmemory-policy")
    finally:
        await store.close()
        await plain.close()
