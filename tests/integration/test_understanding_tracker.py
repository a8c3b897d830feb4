"""The tracker understands each turn in the context it reads from the store (real Redis): the
advisor's acts kept on the previous reply and the state; uncertain values and an upload's
currency that would overwrite the loan's come back as candidates."""

from __future__ import annotations

import uuid

import pytest

from finadvisor.services.state.nlu import Understanding
from finadvisor.services.state.tracker import DialogueTracker, FactInput
from finadvisor.sessions import RedisStateStore, SessionSettings
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def nlu() -> Understanding:
    return Understanding.load(BUNDLED_MODELS_DIR / "nlu")


@pytest.fixture()
async def tracker(redis_url: str, nlu: Understanding):
    store = RedisStateStore(SessionSettings(url=redis_url, ttl_s=300))
    yield DialogueTracker(store, nlu)
    await store.close()


async def turn(tracker: DialogueTracker, sid: str, text: str, acts=(), facts=()):
    rid = uuid.uuid4().hex
    applied = await tracker.apply(sid, rid, text, facts=list(facts))
    if acts:
        await tracker.store.record_reply(sid, rid, "reply", acts=list(acts))
    return applied


def values(applied) -> dict[str, str]:
    return {k: r.value for k, r in applied.result.state.slots.items()}


async def test_the_stored_act_decides_what_a_bare_answer_fills(tracker: DialogueTracker) -> None:
    sid = uuid.uuid4().hex
    await tracker.store.create_session(sid)
    await turn(tracker, sid, "I'd like a personal loan", acts=[{"name": "request", "args": {"slot": "age"}}])
    applied = await turn(tracker, sid, "52", acts=[{"name": "request", "args": {"slot": "monthly_debt"}}])
    assert values(applied)["age"] == "52"
    applied = await turn(tracker, sid, "52")
    assert values(applied)["monthly_debt"] == "52" and values(applied)["age"] == "52"


async def test_unasked_contradiction_and_foreign_currency_are_candidates(tracker: DialogueTracker) -> None:
    sid = uuid.uuid4().hex
    await tracker.store.create_session(sid)
    await turn(tracker, sid, "I want to borrow 6,000 pounds for a holiday",
               acts=[{"name": "request", "args": {"slot": "monthly_income"}}])
    payslip = [FactInput("monthly_income", "2450", 0.9, "image"), FactInput("currency", "EUR", 0.9, "image")]
    applied = await turn(tracker, sid, "here's my payslip", facts=payslip)
    state = applied.result.state.slots
    assert state["currency"].value == "GBP" and state["loan_amount"].value == "6000"
    assert state["monthly_income"].value == "2450" and state["monthly_income"].source == "image"
    assert ("currency", "EUR") in [(c.slot, c.value) for c in applied.candidates]
    applied = await turn(tracker, sid, "I could do 9000")
    assert values(applied)["loan_amount"] == "6000"
    assert ("loan_amount", "9000") in [(c.slot, c.value) for c in applied.candidates]
