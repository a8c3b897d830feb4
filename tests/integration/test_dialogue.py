"""The dialogue manager through the real stack: acts in every response and in the history,
answers first, hand-offs alone, uploads said back, and the template realisation of the acts
when the generator is down."""

from __future__ import annotations

import pytest
import pytest_asyncio

from finadvisor.common.v1 import common_pb2
from finadvisor.dialogue import guard
from finadvisor.dialogue.acts import from_messages
from finadvisor.gateway.v1 import gateway_pb2
from finadvisor.shared.client import make_channel
from finadvisor.state.v1 import state_pb2, state_pb2_grpc
from tests.integration.stack import Stack
from tests.integration.test_gateway import new_session, payslip_png, turn

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(redis_server):
    s = await Stack(redis_server.url).start()
    yield s
    await s.stop()


def requested(resp: gateway_pb2.ConverseResponse) -> list[str]:
    return [a.args["slot"] for a in resp.acts if a.name == "request"]


async def test_a_loan_conversation_keeps_the_thread(stack: Stack) -> None:
    sid = await new_session(stack)
    lines = ["hello there", "I want to borrow money to buy a car", "what interest rate do you charge?",
             "15000 dollars", "over 4 years", "my net salary is 4200 a month",
             "I have no other debts", "I am 38 years old"]
    earlier = []
    for i, text in enumerate(lines):
        resp = await turn(stack, sid, f"l{i}", text)
        acts = from_messages(resp.acts)
        assert acts, text
        held = {k for k, v in resp.state.slots.items() if v.value}
        assert not set(requested(resp)) & held, (text, resp.acts)
        assert guard.faithful(reply_only(resp), acts), resp.reply
        if resp.state.active_intent == "ask_rate":
            assert acts[0].name == "answer_rate"
            assert "%" in resp.reply.split("?")[0]  # the rate comes before any question
        earlier.append(acts)
    assert any(a.name == "greet" for a in earlier[0])
    # the acts are kept on the reply's history entry (context for the next turn's understanding)
    channel = make_channel(f"127.0.0.1:{stack.ports['state']}", default_timeout_s=10)
    try:
        got = await state_pb2_grpc.StateTrackerStub(channel).GetState(
            state_pb2.GetStateRequest(session_id=sid, history_limit=3), timeout=10)
    finally:
        await channel.close()
    assert [a.name for a in got.history[-1].acts] == [a.name for a in earlier[-1]]


async def test_a_request_for_a_person_is_a_handoff_and_nothing_else(stack: Stack) -> None:
    sid = await new_session(stack)
    await turn(stack, sid, "h1", "I'd like a personal loan of 3000 euros")
    resp = await turn(stack, sid, "h2", "I want to talk to a human advisor please")
    assert [a.name for a in resp.acts] == ["handoff"]
    assert "?" not in resp.reply


async def test_a_payslip_is_said_back_with_the_income_read(stack: Stack) -> None:
    png, fields = payslip_png()
    sid = await new_session(stack)
    await turn(stack, sid, "p1", "I'd like a car loan")
    resp = await turn(stack, sid, "p2", "here is my payslip",
                      image=common_pb2.Attachment(data=png, mime_type="image/png"))
    acts = from_messages(resp.acts)
    income = resp.state.slots["monthly_income"].value if "monthly_income" in resp.state.slots else ""
    if income:
        assert acts[0].name == "ack_payslip" and acts[0].get("monthly_income") == income
        assert income in resp.reply
    else:
        assert acts[0].name == "ack_unreadable"


async def test_without_the_generator_the_reply_is_the_acts_template(stack: Stack) -> None:
    sid = await new_session(stack)
    await stack.stop_backend("generator")
    try:
        resp = await turn(stack, sid, "g1", "what rate do you charge for a mortgage?")
        acts = from_messages(resp.acts)
        assert resp.fallback and "generator" in resp.degraded
        assert acts and guard.faithful(resp.reply, acts), resp.reply
    finally:
        await stack.start_backend("generator", stack.ports["generator"])


def reply_only(resp: gateway_pb2.ConverseResponse) -> str:
    from finadvisor.services.generator.policy import CompliancePolicy

    return CompliancePolicy.load().without_disclaimers(resp.reply)


async def test_the_audit_record_of_a_turn_names_its_acts(stack: Stack, redis_server) -> None:
    from redis.asyncio import Redis

    from finadvisor.services.gateway.audit import AuditLog

    sid = await new_session(stack)
    resp = await turn(stack, sid, "a1", "what is your mortgage rate?")
    client = Redis.from_url(redis_server.url)
    try:
        records = await AuditLog(client).for_session(sid)
    finally:
        await client.aclose()
    (record,) = [r for r in records if r.kind == "turn"]
    assert [a.split("(")[0] for a in record.acts] == [a.name for a in resp.acts]


async def test_get_session_history_carries_each_replys_acts(stack: Stack) -> None:
    sid = await new_session(stack)
    resp = await turn(stack, sid, "s1", "hello")
    got = await stack.gateway.GetSession(gateway_pb2.GetSessionRequest(session_id=sid), timeout=10)
    assert [a.name for a in got.history[-1].acts] == [a.name for a in resp.acts] != []
