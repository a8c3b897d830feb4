"""`finadvisor bench`'s measuring parts against a real stack and Redis: they count every turn,
report errors instead of hiding them, and leave nothing behind in Redis. (Durations are the
benchmark's output, never asserted here.)"""

from __future__ import annotations

import pytest
import pytest_asyncio
import redis.asyncio as redis

from finadvisor.bench import components
from finadvisor.bench.load import DIALOGUE, Inputs, run_dialogues, run_load
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(redis_server):
    s = await Stack(redis_server.url).start()
    yield s
    await s.stop()


async def test_run_load_counts_every_turn_and_every_error(stack: Stack) -> None:
    assert stack.channel is not None
    ok = await run_load(stack.channel, "text", Inputs(), clients=3, turns=9)
    summary = ok.summary()
    assert summary["turns"] == 9 and summary["errors"] == 0 and summary["clients"] == 3
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
    # A deadline nobody can meet is counted as an error, not dropped.
    failing = await run_load(stack.channel, "text", Inputs(), clients=2, turns=4, timeout_s=0.0001)
    assert failing.errors == 4 and failing.turns == 0


async def test_run_load_with_applicants_plays_whole_dialogues_without_errors(
        stack: Stack) -> None:
    """Every session its own applicant: two clients play two whole dialogues each, through
    the scoring of each completed application, and every turn is answered."""
    assert stack.channel is not None
    res = await run_load(stack.channel, "text", Inputs(), clients=2, turns=4 * len(DIALOGUE),
                         applicants=3)
    assert res.errors == 0 and res.turns == 4 * len(DIALOGUE)


async def test_open_loop_plays_every_dialogue_it_starts(stack: Stack) -> None:
    """The open loop starts a dialogue at 0, 50 and 100 ms (20 a second for 0.15 s) and plays
    each through; a deadline nobody can meet costs every turn of its dialogue, as errors."""
    assert stack.channel is not None
    ok = (await run_dialogues(stack.channel, rate_per_s=20, seconds=0.15)).summary()
    assert ok["clients"] == 3 and ok["errors"] == 0
    assert ok["turns"] == 3 * len(DIALOGUE)
    assert 0 < ok["p50_ms"] <= ok["p95_ms"] <= ok["p99_ms"]
    failing = await run_dialogues(stack.channel, rate_per_s=20, seconds=0.1, timeout_s=0.0001)
    assert failing.clients == 2 and failing.turns == 0
    assert failing.errors == 2 * len(DIALOGUE)


async def test_store_rate_cleans_up_its_sessions(redis_server) -> None:
    client = redis.from_url(redis_server.url)
    try:
        before = set(await client.keys("fa:{bench-*"))
        rate = await components.store_rate(redis_server.url, turns=200, workers=10)
        assert rate > 0
        assert set(await client.keys("fa:{bench-*")) == before
    finally:
        await client.aclose()


async def test_store_hop_measures_both_sides_and_cleans_up(redis_server) -> None:
    """The library-vs-RPC measurement: both sides run the real finish_turn (the hop through a
    real gRPC server) at each level, and no session is left behind."""
    from finadvisor.bench.store_hop import finish_turn_hop

    client = redis.from_url(redis_server.url)
    try:
        before = set(await client.keys("fa:{bench-*"))
        out = await finish_turn_hop(redis_server.url, calls=40, levels=(1, 3))
        for level in ("1_clients", "3_clients"):
            for side in ("direct", "one_grpc_hop"):
                assert 0 < out[level][side]["p50_ms"] <= out[level][side]["p99_ms"]
        assert set(await client.keys("fa:{bench-*")) == before
    finally:
        await client.aclose()
