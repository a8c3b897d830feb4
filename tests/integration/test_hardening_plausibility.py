"""Impossible values get a question, not a decision: through the gateway (every service
in-process, real Redis), a negative income or debt, an age outside 18-110, a term of 0 or over
480 months and an amount of 10^30 are not stored, no credit assessment runs on them, and the
advisor asks the customer to check the value."""

from __future__ import annotations

import pytest
import pytest_asyncio

from finadvisor.gateway.v1 import gateway_pb2
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

#: Everything the credit model needs, so a plausible value completes the applicant.
APPLICANT = {"loan_amount": "15000", "loan_term_months": "36", "loan_purpose": "car",
             "monthly_income": "4000", "monthly_debt": "200", "age": "34",
             "employment_status": "employed", "housing": "rent"}

#: What the credit model needs before it decides (age is not among them: it is not stored and
#: so never used, but other facts may still be assessed).
REQUIRED = frozenset({"loan_amount", "loan_term_months", "monthly_income", "monthly_debt"})

CASES = [
    ("monthly_income", "My monthly income is -5000", "5000"),
    ("monthly_income", "my income is minus 5000 a month", "5000"),
    ("monthly_debt", "I pay -300 a month on my other debts", "300"),
    ("age", "I am 15 years old", "15"),
    ("age", "I'm 130 years old", "130"),
    ("loan_term_months", "I want to repay it over 0 months", "0"),
    ("loan_term_months", "I want to repay it over 600 months", "600"),
    ("loan_amount", "I want to borrow 10^30 dollars", "10"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(redis_server):
    s = await Stack(redis_server.url).start()
    yield s
    await s.stop()


async def _turn(stack: Stack, profile: dict[str, str], text: str):
    gw = stack.gateway
    sid = (await gw.StartSession(gateway_pb2.StartSessionRequest(profile=profile),
                                 timeout=30)).session_id
    await gw.Converse(gateway_pb2.ConverseRequest(
        session_id=sid, request_id="t0", text="I'd like a loan for a car"), timeout=60)
    resp = await gw.Converse(gateway_pb2.ConverseRequest(
        session_id=sid, request_id="t1", text=text), timeout=60)
    got = await gw.GetSession(gateway_pb2.GetSessionRequest(session_id=sid), timeout=30)
    return resp, got


async def test_a_plausible_value_completes_the_applicant(stack: Stack) -> None:
    profile = {k: v for k, v in APPLICANT.items() if k != "monthly_income"}
    resp, got = await _turn(stack, profile, "My monthly income is 5000")
    assert got.state.slots["monthly_income"].value == "5000"
    assert resp.HasField("credit") and resp.credit.decision


@pytest.mark.parametrize(("slot", "text", "read_as"), CASES)
async def test_impossible_values_are_asked_not_used(stack: Stack, slot: str, text: str,
                                                    read_as: str) -> None:
    profile = {k: v for k, v in APPLICANT.items() if k != slot}
    resp, got = await _turn(stack, profile, text)
    assert slot not in got.state.slots, (text, got.state.slots[slot].value)
    assert slot not in resp.state.slots
    if slot in REQUIRED:  # it would have completed the applicant: no decision without it
        assert not resp.HasField("credit"), text
    names = [a.name for a in resp.acts]
    assert "check_value" in names or "clarify" in names, (text, names, resp.reply)
