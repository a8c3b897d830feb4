"""Proto fuzzing of every public RPC over a real gateway: random fields, huge strings, random
bytes as images and voice notes, negative amounts, unknown category values. Every answer must
be a clear status (never INTERNAL or UNKNOWN), and the gateway keeps serving."""

from __future__ import annotations

import asyncio
import os

import grpc
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2
from tests.integration.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.asyncio(loop_scope="session")]

#: Cases per RPC (the acceptance floor is 2000).
CASES = int(os.environ.get("FINADVISOR_FUZZ_CASES", "2000"))
FUZZ = settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
BAD_CODES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}

text = st.one_of(st.text(max_size=64), st.text(min_size=1900, max_size=2100),
                 st.just("x" * 100_000), st.sampled_from(["", " ", "\x00", "I want 5k"]))
ids = st.one_of(st.text(max_size=140), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,40}",
                                                     fullmatch=True))
blob = st.one_of(st.binary(max_size=256), st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
                 st.just(b"RIFF\x00\x00\x00\x00WAVE"), st.binary(min_size=1, max_size=1) )
mime = st.sampled_from(["", "image/png", "image/jpeg", "image/webp", "audio/wav",
                        "audio/ogg", "text/plain", "application/x-evil", "image/png\x00"])
attachment = st.builds(common_pb2.Attachment, data=blob, mime_type=mime,
                       filename=st.text(max_size=20))
money = st.one_of(st.just(""), st.sampled_from(["-500", "0", "1e9", "NaN", "12,000", "5k",
                                                "99999999999999999999"]),
                  st.integers(-10**7, 10**7).map(str), st.text(max_size=12))
category = st.one_of(st.sampled_from(["car", "home", "", "spaceship", "CAR", "other"]),
                     st.text(max_size=12))
small_int = st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1))


def applicant():
    def build(loan_amount, term, purpose, age, years, status, housing, dependents, income,
              debt, currency, profile) -> gateway_pb2.Applicant:
        a = gateway_pb2.Applicant(loan_amount=loan_amount, loan_purpose=purpose,
                                  employment_status=status, housing=housing,
                                  monthly_income=income, monthly_debt=debt, currency=currency,
                                  profile=profile)
        if term is not None:
            a.loan_term_months = term
        if age is not None:
            a.age = age
        if dependents is not None:
            a.dependents = dependents
        if years is not None:
            a.employment_years = years
        return a

    return st.builds(build, money, small_int, category, small_int,
                     st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
                     category, category, small_int, money, money,
                     st.sampled_from(["", "EUR", "usd", "XXXX", "€"]),
                     st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=4))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fuzz_stack(redis_server):
    s = await Stack(redis_server.url).start()
    sessions = [(await s.gateway.StartSession(gateway_pb2.StartSessionRequest(), timeout=10)
                 ).session_id for _ in range(3)]
    yield s, sessions
    await s.stop()


def run_on(loop: asyncio.AbstractEventLoop, coro) -> None:
    """Hypothesis drives a sync function in a thread; each example runs on the test's loop."""
    asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)


async def _expect_clear_status(call) -> None:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        assert exc.code() not in BAD_CODES, (exc.code(), exc.details())


async def _still_serving(stack: Stack) -> None:
    health = health_pb2_grpc.HealthStub(stack.channel)
    resp = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING


RPCS = ["StartSession", "Converse", "GetSession", "EndSession", "AssessCredit",
        "ListSessions", "GetAuditRecords", "GetInfo"]


@pytest.mark.parametrize("rpc", RPCS)
async def test_fuzz_rpc(fuzz_stack, rpc: str) -> None:
    stack, sessions = fuzz_stack
    gw = stack.gateway
    known = st.sampled_from(sessions)
    strategies = {
        "StartSession": st.builds(gateway_pb2.StartSessionRequest, customer_id=text,
                                  locale=text, currency=st.text(max_size=5),
                                  profile=st.dictionaries(st.text(max_size=30),
                                                          st.text(max_size=200), max_size=40)),
        "Converse": st.builds(gateway_pb2.ConverseRequest,
                              session_id=st.one_of(known, ids), request_id=ids, text=text,
                              image=st.one_of(st.none(), attachment),
                              audio=st.one_of(st.none(), attachment),
                              assess_credit=st.booleans(), n_best=st.integers(-3, 9)),
        "GetSession": st.builds(gateway_pb2.GetSessionRequest,
                                session_id=st.one_of(known, ids),
                                history_limit=st.integers(-(2**31), 2**31 - 1)),
        "EndSession": st.builds(gateway_pb2.EndSessionRequest, session_id=ids,
                                erase=st.booleans()),
        "AssessCredit": st.builds(gateway_pb2.AssessCreditRequest,
                                  applicant=st.one_of(st.none(), applicant())),
        "ListSessions": st.builds(gateway_pb2.ListSessionsRequest,
                                  limit=st.integers(-(2**31), 2**31 - 1)),
        "GetAuditRecords": st.builds(gateway_pb2.GetAuditRecordsRequest,
                                     session_id=st.one_of(known, ids),
                                     limit=st.integers(-(2**31), 2**31 - 1)),
        "GetInfo": st.just(common_pb2.GetInfoRequest()),
    }
    method = getattr(gw, rpc)
    loop = asyncio.get_running_loop()
    count = 0

    @FUZZ
    @given(request=strategies[rpc])
    def case(request) -> None:
        nonlocal count
        count += 1
        run_on(loop, _expect_clear_status(method(request, timeout=30)))

    await asyncio.to_thread(case)
    if rpc != "GetInfo":  # an empty message has one form only; its bytes are fuzzed below
        assert count >= CASES
    await _still_serving(stack)


@pytest.mark.parametrize("rpc", RPCS)
async def test_fuzz_wire_bytes(fuzz_stack, rpc: str) -> None:
    """Arbitrary bytes as the request of each RPC: a clear status, never INTERNAL."""
    stack, _ = fuzz_stack
    call = stack.channel.unary_unary(f"/finadvisor.gateway.v1.AdvisoryGateway/{rpc}",
                                     request_serializer=None, response_deserializer=None)
    loop = asyncio.get_running_loop()
    count = 0

    @FUZZ
    @given(raw=st.binary(max_size=512))
    def case(raw: bytes) -> None:
        nonlocal count
        count += 1
        run_on(loop, _expect_clear_status(call(raw, timeout=30)))

    await asyncio.to_thread(case)
    assert count >= CASES
    await _still_serving(stack)
