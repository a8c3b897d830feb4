"""The session store's behaviour against a real redis-server and a real 3-master Redis Cluster.

Every test runs on both deployments (standalone Redis, Redis Cluster), started by the tests;
there is no in-memory store: the Lua scripts are the one implementation of the turn. The keys
themselves and Redis failing are checked in ``test_state_store_redis.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from finadvisor.sessions import (
    INDEX_KEY,
    PROFILE_TURN,
    RedisStateStore,
    SessionSettings,
    SlotUpdate,
    StateStore,
    TurnInput,
)
from finadvisor.shared.errors import (
    InvalidInputError,
    SessionNotFoundError,
)

pytestmark = pytest.mark.integration

TTL_S = 600
# Turn timestamps: now-based (the index drops entries older than the TTL), strictly increasing.
_ts = itertools.count(time.time_ns() // 1_000_000)


def backend_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The URL of the parametrised deployment: standalone Redis or Redis Cluster."""
    if backend == "redis":
        return request.getfixturevalue("redis_url")
    return request.getfixturevalue("redis_cluster").url


StoreFactory = Callable[..., StateStore]


@pytest.fixture(params=["redis", "cluster"])
async def make_store(request: pytest.FixtureRequest) -> AsyncIterator[StoreFactory]:
    """Builds stores on the parametrised backend; closes them after the test."""
    url = backend_url(request.param, request)
    made: list[StateStore] = []

    def factory(**overrides: object) -> StateStore:
        store = RedisStateStore(SessionSettings(url=url, ttl_s=TTL_S, **overrides))  # type: ignore[arg-type]  # overrides: settings fields
        made.append(store)
        return store

    yield factory
    for s in made:
        await s.close()


@pytest.fixture()
def store(make_store: StoreFactory) -> StateStore:
    return make_store()



def sid() -> str:
    return "t-" + uuid.uuid4().hex


def turn(
    session_id: str,
    request_id: str,
    *updates: SlotUpdate,
    text: str = "hello",
    intent: str = "inform",
    confidence: float = 0.9,
    timestamp_ms: int | None = None,
) -> TurnInput:
    return TurnInput(
        session_id=session_id,
        request_id=request_id,
        text=text,
        text_source="text",
        intent=intent,
        intent_confidence=confidence,
        updates=list(updates),
        timestamp_ms=next(_ts) if timestamp_ms is None else timestamp_ms,
    )


def text_slot(slot: str, value: str, confidence: float = 0.95) -> SlotUpdate:
    return SlotUpdate(slot=slot, value=value, confidence=confidence, source="text")


async def existing_keys(client: object, session_id: str) -> set[str]:
    """SCAN for the session's hash tag: test-only, to prove no key escapes the known names."""
    pattern = f"fa:{{{session_id}}}:*".replace("{", "\\{").replace("}", "\\}")
    found: set[str] = set()
    async for k in client.scan_iter(match=pattern, count=1000):  # type: ignore[attr-defined]  # a redis client
        found.add(k.decode() if isinstance(k, bytes) else k)
    return found


# ------------------------------------------------------------------------------------------
# Behaviour on every backend
# ------------------------------------------------------------------------------------------
async def test_create_session_sets_profile_slots_and_meta(store: StateStore) -> None:
    s = sid()
    state = await store.create_session(
        s, profile={"customer_id": "c-1", "locale": "en-GB"}, profile_slots={"currency": "GBP"}
    )
    assert state.turn_count == 0 and state.active_intent == ""
    assert state.slots["currency"].value == "GBP"
    assert state.slots["currency"].source == "backend"
    assert state.slots["currency"].turn == PROFILE_TURN

    snap = await store.get_state(s)
    assert snap.profile == {"customer_id": "c-1", "locale": "en-GB"}
    assert snap.created_ms > 0
    assert 0 < snap.ttl_seconds <= TTL_S
    assert snap.history == []

    # Creating it again is idempotent: the first profile stays.
    again = await store.create_session(s, profile={"customer_id": "other"}, profile_slots={})
    assert again.slots["currency"].value == "GBP"
    assert (await store.get_state(s)).profile["customer_id"] == "c-1"


async def test_unknown_session_is_not_found(store: StateStore) -> None:
    s = sid()
    with pytest.raises(SessionNotFoundError):
        await store.apply_turn(turn(s, "r1", text_slot("age", "30")))
    with pytest.raises(SessionNotFoundError):
        await store.get_state(s)
    with pytest.raises(SessionNotFoundError):
        await store.record_reply(s, "r1", "hi")
    with pytest.raises(SessionNotFoundError):
        await store.store_response(s, "r1", b"x")
    with pytest.raises(SessionNotFoundError):
        await store.get_response(s, "r1")
    assert await store.erase(s) == 0


async def test_merge_rule_overwrites_and_tracks_changes(store: StateStore) -> None:
    s = sid()
    await store.create_session(s)
    r0 = await store.apply_turn(
        turn(
            s, "r0",
            text_slot("loan_amount", "15000"), text_slot("currency", "USD"),
            text_slot("loan_purpose", "car"),
            text="I'd like to borrow 15,000 dollars to buy a car", intent="apply_loan",
        )
    )
    assert r0.turn == 0 and not r0.replayed
    assert r0.state.active_intent == "apply_loan"
    assert r0.state.intent_confidence == pytest.approx(0.9)
    assert set(r0.state.changed_slots) == {"loan_amount", "currency", "loan_purpose"}

    r1 = await store.apply_turn(
        turn(
            s, "r1", text_slot("loan_amount", "12000", 0.8), text_slot("currency", "USD", 0.7),
            text="actually make it 12000", intent="inform", confidence=0.6,
        )
    )
    amount = r1.state.slots["loan_amount"]
    assert (amount.value, amount.confidence, amount.source, amount.turn) == (
        "12000", pytest.approx(0.8), "text", 1,
    )
    # currency was mentioned again with the same value: overwritten (turn, confidence), but
    # not a change.
    assert r1.state.slots["currency"].turn == 1
    assert r1.state.slots["currency"].confidence == pytest.approx(0.7)
    assert r1.state.changed_slots == ["loan_amount"]
    assert r1.state.slots["loan_purpose"].turn == 0
    assert r1.state.active_intent == "inform"

    # A payslip's net pay: a new source; an empty intent keeps the active one.
    r2 = await store.apply_turn(
        turn(
            s, "r2", SlotUpdate("monthly_income", "3850", 0.88, "image"),
            text="", intent="", confidence=0.0,
        )
    )
    assert r2.state.slots["monthly_income"].source == "image"
    assert r2.state.active_intent == "inform"
    assert r2.state.intent_confidence == pytest.approx(0.6)
    assert r2.state.turn_count == 3

    snap = await store.get_state(s)
    assert snap.state == r2.state
    assert [h.turn for h in snap.history] == [0, 1, 2]
    assert snap.history[1].text == "actually make it 12000"
    assert snap.history[1].changed_slots == ["loan_amount"]
    assert snap.history[2].changed_slots == ["monthly_income"]
    assert snap.history[0].intent == "apply_loan"


async def test_fifty_concurrent_turns_lose_no_update(store: StateStore) -> None:
    s = sid()
    await store.create_session(s)
    n = 50
    results = await asyncio.gather(
        *(
            store.apply_turn(turn(s, f"req-{i}", text_slot(f"slot_{i:02d}", str(i))))
            for i in range(n)
        )
    )
    assert sorted(r.turn for r in results) == list(range(n))
    assert not any(r.replayed for r in results)
    snap = await store.get_state(s)
    assert snap.state.turn_count == n
    assert {k: v.value for k, v in snap.state.slots.items()} == {
        f"slot_{i:02d}": str(i) for i in range(n)
    }
    # Each slot carries the turn index its own request got.
    by_request = {f"slot_{i:02d}": r.turn for i, r in enumerate(results)}
    assert {k: v.turn for k, v in snap.state.slots.items()} == by_request
    assert sorted(h.turn for h in snap.history) == list(range(n))


async def test_retried_request_applies_once(store: StateStore) -> None:
    s = sid()
    await store.create_session(s)
    first = await store.apply_turn(turn(s, "same", text_slot("age", "29")))
    # Concurrent retries and a retry carrying different content: all replay the stored result.
    retries = await asyncio.gather(
        *(store.apply_turn(turn(s, "same", text_slot("age", "99"))) for _ in range(5))
    )
    assert not first.replayed
    assert all(r.replayed for r in retries)
    assert all(r.turn == first.turn and r.state == first.state for r in retries)
    snap = await store.get_state(s)
    assert snap.state.turn_count == 1
    assert snap.state.slots["age"].value == "29"
    assert len(snap.history) == 1

    # A replay returns the state as of the first apply, not today's state.
    await store.apply_turn(turn(s, "next", text_slot("age", "30")))
    replay = await store.apply_turn(turn(s, "same", text_slot("age", "29")))
    assert replay.replayed and replay.state.slots["age"].value == "29"
    assert (await store.get_state(s)).state.turn_count == 2


async def test_history_and_request_window_are_bounded(make_store: StoreFactory) -> None:
    store = make_store(history_max=5, request_window=5)
    s = sid()
    await store.create_session(s)
    for i in range(8):
        await store.apply_turn(turn(s, f"r{i}", text_slot("age", str(20 + i)), text=f"t{i}"))
    snap = await store.get_state(s)
    assert [h.turn for h in snap.history] == [3, 4, 5, 6, 7]
    assert [h.text for h in snap.history] == ["t3", "t4", "t5", "t6", "t7"]
    assert [h.turn for h in (await store.get_state(s, history_limit=2)).history] == [6, 7]
    assert (await store.get_state(s, history_limit=0)).history == []
    # A request inside the window replays; its state is the one after that turn.
    replay = await store.apply_turn(turn(s, "r4", text_slot("age", "0")))
    assert replay.replayed and replay.turn == 4 and replay.state.slots["age"].value == "24"
    assert (await store.get_state(s)).state.turn_count == 8


async def test_record_reply_updates_the_history_entry(make_store: StoreFactory) -> None:
    store = make_store(history_max=3, request_window=3)
    s = sid()
    await store.create_session(s)
    for i in range(4):
        await store.apply_turn(turn(s, f"r{i}", text=f"t{i}"))
    for _ in range(2):  # idempotent
        assert await store.record_reply(
            s, "r2", "You asked for [loan_amount].", ["vision"], image_type="payslip"
        )
    assert not await store.record_reply(s, "r0", "gone")  # trimmed from the history
    assert not await store.record_reply(s, "never", "x")
    hist = {h.request_id: h for h in (await store.get_state(s)).history}
    assert set(hist) == {"r1", "r2", "r3"}
    assert hist["r2"].reply == "You asked for [loan_amount]."
    assert hist["r2"].degraded == ["vision"]
    assert hist["r2"].image_type == "payslip"
    assert hist["r2"].text == "t2" and hist["r2"].turn == 2
    assert hist["r3"].reply == "" and hist["r3"].degraded == []
    # An empty degraded list stays a list after a rewrite.
    assert await store.record_reply(s, "r3", "ok", [])
    assert (await store.get_state(s)).history[-1].degraded == []


async def test_text_round_trips_exactly(store: StateStore) -> None:
    s = sid()
    await store.create_session(s)
    text = 'Ünïcödé 💶 "quoted" \\ back/slash\nnew line \u2028 £3,850'
    await store.apply_turn(turn(s, "r0", text_slot("loan_amount", "3850"), text=text))
    await store.record_reply(s, "r0", text)
    (entry,) = (await store.get_state(s)).history
    assert entry.text == text and entry.reply == text


async def test_stored_responses_replay_and_are_bounded(make_store: StoreFactory) -> None:
    store = make_store(history_max=2, request_window=2)
    s = sid()
    await store.create_session(s)
    payload = bytes(range(256)) * 4  # binary-safe
    await store.store_response(s, "a", payload)
    assert await store.get_response(s, "a") == payload
    assert await store.get_response(s, "missing") is None
    await store.store_response(s, "b", b"B")
    await store.store_response(s, "c", b"C")
    assert await store.get_response(s, "a") is None  # out of the window of 2
    assert await store.get_response(s, "c") == b"C"
    with pytest.raises(InvalidInputError):
        await store.store_response(s, "d", b"x" * (store.config.max_response_bytes + 1))


async def test_list_sessions_is_recent_first_and_bounded(make_store: StoreFactory) -> None:
    store = make_store(index_max=3)
    ids = [sid() for _ in range(5)]
    base = next(_ts) + 10_000_000
    for i, s in enumerate(ids):
        await store.create_session(s)
        await store.apply_turn(turn(s, "r", timestamp_ms=base + i))
    listed = await store.list_sessions(limit=10)
    assert [x.session_id for x in listed] == ids[::-1][:3]
    assert [x.last_active_ms for x in listed] == [base + 4, base + 3, base + 2]
    await store.erase(ids[-1])
    assert ids[-1] not in [x.session_id for x in await store.list_sessions(limit=10)]


@pytest.mark.parametrize(
    "bad",
    [
        lambda s: turn("bad{tag}", "r"),
        lambda s: turn(s, ""),
        lambda s: turn(s, "r", text="x" * 5000),
        lambda s: turn(s, "r", confidence=1.5),
        lambda s: turn(s, "r", confidence=float("nan")),
        lambda s: turn(s, "r", SlotUpdate("age", "30", 0.5, "fax")),
        lambda s: turn(s, "r", SlotUpdate("Age!", "30", 0.5, "text")),
        lambda s: turn(s, "r", SlotUpdate("age", "", 0.5, "text")),
        lambda s: turn(s, "r", intent="Not An Intent"),
        lambda s: turn(s, "r", text="\ud800"),
    ],
)
async def test_invalid_turns_are_rejected_and_change_nothing(
    store: StateStore, bad: Callable[[str], TurnInput]
) -> None:
    s = sid()
    await store.create_session(s)
    with pytest.raises(InvalidInputError):
        await store.apply_turn(bad(s))
    assert (await store.get_state(s)).state.turn_count == 0


async def test_index_can_be_turned_off(make_store: StoreFactory) -> None:
    store = make_store(index_max=0)
    s = sid()
    await store.create_session(s)
    await store.apply_turn(turn(s, "r0"))
    assert await store.list_sessions(limit=10) == []
    if isinstance(store, RedisStateStore):
        assert await store.client.zscore(INDEX_KEY, s) is None


async def test_finish_turn_records_the_reply_and_keeps_the_answer_together(store: StateStore) -> None:
    """finish_turn: the reply lands on its history entry and the answer is kept for replays,
    in one step; an entry that left the history still gets its answer kept; an unknown session
    is refused and keeps nothing."""
    s = sid()
    await store.create_session(s)
    await store.apply_turn(turn(s, "r0", text="I'd like to borrow 12000"))
    await store.apply_turn(turn(s, "r1", text="over 3 years"))
    assert await store.finish_turn(s, "r0", "How long would you like to repay over?", b"answer-0",
                                   degraded=["vision"], image_type="payslip")
    snap = await store.get_state(s)
    first, second = snap.history
    assert (first.reply, first.degraded, first.image_type) == (
        "How long would you like to repay over?", ["vision"], "payslip")
    assert second.reply == ""
    assert await store.get_response(s, "r0") == b"answer-0"
    assert await store.get_response(s, "r1") is None
    # Idempotent: finishing the same request again changes nothing but the same fields.
    assert await store.finish_turn(s, "r0", "How long would you like to repay over?", b"answer-0",
                                   degraded=["vision"], image_type="payslip")
    assert [h.reply for h in (await store.get_state(s)).history] == [first.reply, ""]
    assert not await store.finish_turn(s, "gone", "A reply", b"answer-gone")
    assert await store.get_response(s, "gone") == b"answer-gone"
    with pytest.raises(SessionNotFoundError):
        await store.finish_turn(sid(), "r0", "A reply", b"x")
    with pytest.raises(InvalidInputError):
        await store.finish_turn(s, "r1", "A reply", "not bytes")  # type: ignore[arg-type]  # on purpose


async def test_finish_turn_keeps_the_advisor_acts_on_the_history_entry(store: StateStore) -> None:
    """The acts of a reply are kept with it (the next turn is understood in their context); a
    reply without acts reads back as an empty list, not as cjson's empty object."""
    s = sid()
    await store.create_session(s)
    await store.apply_turn(turn(s, "r0", text="I'd like a car loan"))
    await store.apply_turn(turn(s, "r1", text="12000"))
    acts = [{"name": "request", "args": {"slot": "loan_amount"}},
            {"name": "offer", "args": {"product": "auto_loan"}}]
    assert await store.finish_turn(s, "r0", "How much would you like to borrow?", b"a0", acts=acts)
    assert await store.finish_turn(s, "r1", "Noted.", b"a1")
    first, second = (await store.get_state(s)).history
    assert first.acts == acts
    assert second.acts == []
    assert await store.record_reply(s, "r1", "Noted.", acts=[{"name": "ack", "args": {}}])
    assert (await store.get_state(s)).history[-1].acts == [{"name": "ack", "args": {}}]


async def test_apply_turn_can_return_the_context_read_in_the_same_step(store: StateStore) -> None:
    """apply_turn(history_limit=n) carries what get_state(n) returns right after the turn; a
    replay carries it too; without the limit there is none."""
    s = sid()
    await store.create_session(s, {"age": "41"}, {})
    texts = ["I'd like to borrow 12000", "over 3 years", "I rent"]
    for i, text in enumerate(texts):
        res = await store.apply_turn(turn(s, f"r{i}", text_slot("loan_amount", str(1000 + i)),
                                          text=text), history_limit=2)
        after = await store.get_state(s, 2)
        assert res.context is not None
        assert [h.text for h in res.context.history] == [h.text for h in after.history]
        assert res.context.history[-1].text == text and res.context.profile == {"age": "41"}
        assert res.context.state == after.state == res.state
        assert res.context.created_ms == after.created_ms > 0
    replay = await store.apply_turn(turn(s, "r1", text="over 3 years"), history_limit=5)
    assert replay.replayed and replay.context is not None and len(replay.context.history) == 3
    plain = await store.apply_turn(turn(s, "r9", text="thanks"))
    assert plain.context is None
    with pytest.raises(InvalidInputError):
        await store.apply_turn(turn(s, "r10"), history_limit=-1)
