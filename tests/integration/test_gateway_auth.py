"""Authentication, roles, rate limits and the per-session turn bound at the gateway, over real
channels with the real credential store and a real Redis."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from google.rpc import error_details_pb2, status_pb2

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from finadvisor.shared.security import generate_dev_credentials, new_api_key
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def secured(redis_server, tmp_path_factory: pytest.TempPathFactory):
    store, keys = generate_dev_credentials(tmp_path_factory.mktemp("credentials"))
    # More clients, so each test spends its own token bucket.
    data = json.loads(store.read_text())
    extra = {}
    for client_id, role in (("turns-client", "backend"), ("owner-client", "backend"),
                            ("intruder-client", "backend"), ("stranger-client", "backend"),
                            ("auditor", "analyst"), ("bank-client", "backend")):
        extra[client_id], digest = new_api_key(client_id)
        data["clients"].append({"id": client_id, "roles": [role], "key_sha256": digest})
    # A bank backend with limits of its own (the file's defaults are tiny on purpose).
    data["clients"][-1].update({"rate_limit_per_s": 1000, "rate_burst": 1000})
    store.write_text(json.dumps(data))
    stack = await Stack(redis_server.url).start({
        "FINADVISOR_CREDENTIALS_FILE": str(store),
        "FINADVISOR_GATEWAY_RATE_LIMIT_PER_S": "0.5",
        "FINADVISOR_GATEWAY_RATE_BURST": "4",
        "FINADVISOR_GATEWAY_MAX_TURNS_PER_SESSION": "1",
        "FINADVISOR_GATEWAY_SESSION_TURNS_PER_MIN": "1",
        "FINADVISOR_GATEWAY_SESSION_TURN_BURST": "3",
    })
    auth = {role: [("authorization", f"Bearer {Path(p).read_text().strip()}")]  # noqa: ASYNC240 - small local key files, read once at set-up
            for role, p in keys.items()}
    for client_id, key in extra.items():
        auth[client_id.removesuffix("-client")] = [("authorization", f"Bearer {key}")]
    yield stack, auth
    await stack.stop()


async def _code(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def test_credentials_and_roles(secured) -> None:
    stack, auth = secured
    gw = stack.gateway
    assert await _code(gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=10)) == \
        grpc.StatusCode.UNAUTHENTICATED
    forged = [("authorization", "Bearer dev-backend.not-the-secret")]
    assert await _code(gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=10,
                                       metadata=forged)) == grpc.StatusCode.UNAUTHENTICATED
    sid = (await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=10,
                                 metadata=auth["backend"])).session_id
    assert await _code(gw.ListSessions(gateway_pb2.ListSessionsRequest(), timeout=10,
                                       metadata=auth["backend"])) == \
        grpc.StatusCode.PERMISSION_DENIED
    assert await _code(gw.EndSession(gateway_pb2.EndSessionRequest(session_id=sid, erase=True),
                                     timeout=10, metadata=auth["backend"])) == \
        grpc.StatusCode.PERMISSION_DENIED
    erased = await gw.EndSession(gateway_pb2.EndSessionRequest(session_id=sid, erase=True),
                                 timeout=10, metadata=auth["admin"])
    assert erased.erased


async def test_rate_limit_is_resource_exhausted_with_retry_info(secured) -> None:
    stack, auth = secured
    gw = stack.gateway
    codes = []
    for _ in range(4):  # the analyst's burst
        codes.append(await _code(gw.GetInfo(common_pb2.GetInfoRequest(), timeout=10,
                                            metadata=auth["analyst"])))
    assert codes == [grpc.StatusCode.OK] * 4
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await gw.GetInfo(common_pb2.GetInfoRequest(), timeout=10, metadata=auth["analyst"])
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = dict(err.value.trailing_metadata())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    retry = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(retry)
    assert retry.retry_delay.seconds + retry.retry_delay.nanos / 1e9 > 0


async def test_concurrent_turns_of_one_session_are_bounded(secured) -> None:
    stack, auth = secured
    gw = stack.gateway
    sid = (await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=10,
                                 metadata=auth["turns"])
           ).session_id
    from redis.asyncio import Redis

    r = Redis.from_url(stack.redis_url)
    key = f"fa:{{{sid}}}:inflight"
    try:
        await r.set(key, 1, ex=60)  # another replica holds the session's only turn slot
        assert await _code(gw.Converse(gateway_pb2.ConverseRequest(
            session_id=sid, request_id="c1", text="hello"), timeout=20,
            metadata=auth["turns"])) == grpc.StatusCode.ABORTED
        await r.delete(key)  # that turn ended
        resp = await gw.Converse(gateway_pb2.ConverseRequest(
            session_id=sid, request_id="c1", text="hello"), timeout=20,
            metadata=auth["turns"])
        assert resp.reply
        assert await r.exists(key) == 0  # the slot was given back
    finally:
        await r.aclose()


async def test_sessions_belong_to_the_client_that_started_them(secured) -> None:
    stack, auth = secured
    gw = stack.gateway
    sid = (await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=10,
                                 metadata=auth["owner"])).session_id
    turn = await gw.Converse(gateway_pb2.ConverseRequest(
        session_id=sid, request_id="o1", text="I'd like to borrow 15000 dollars for a car"),
        timeout=30, metadata=auth["owner"])
    assert turn.reply
    # Another backend client: NOT_FOUND, exactly as for an id that does not exist.
    for target, caller in ((sid, auth["intruder"]), ("0" * 32, auth["stranger"])):
        codes = [
            await _code(gw.GetSession(gateway_pb2.GetSessionRequest(session_id=target),
                                      timeout=10, metadata=caller)),
            await _code(gw.Converse(gateway_pb2.ConverseRequest(
                session_id=target, request_id="x1", text="my income is 9000"), timeout=30,
                metadata=caller)),
            await _code(gw.EndSession(gateway_pb2.EndSessionRequest(session_id=target),
                                      timeout=10, metadata=caller)),
        ]
        assert codes == [grpc.StatusCode.NOT_FOUND] * 3, (target == sid, codes)
    # Nothing of the intruder's turn reached the session; the owner still has it.
    got = await gw.GetSession(gateway_pb2.GetSessionRequest(session_id=sid), timeout=10,
                              metadata=auth["owner"])
    assert [h.request_id for h in got.history] == ["o1"]
    assert "monthly_income" not in got.state.slots
    # An analyst reads across clients; the audit record names the caller; the listing names
    # the owner and filters by it.
    analyst = auth["auditor"]
    assert (await gw.GetSession(gateway_pb2.GetSessionRequest(session_id=sid), timeout=10,
                                metadata=analyst)).session_id == sid
    records = (await gw.GetAuditRecords(gateway_pb2.GetAuditRecordsRequest(session_id=sid),
                                        timeout=10, metadata=analyst)).records
    assert records and {r.caller for r in records} == {"owner-client"}
    mine = (await gw.ListSessions(gateway_pb2.ListSessionsRequest(client_id="owner-client"),
                                  timeout=10, metadata=analyst)).sessions
    assert [s.session_id for s in mine] == [sid]
    assert mine[0].client_id == "owner-client"
    theirs = (await gw.ListSessions(gateway_pb2.ListSessionsRequest(
        client_id="intruder-client"), timeout=10, metadata=analyst)).sessions
    assert theirs == []


async def test_limits_per_client_and_per_session(secured) -> None:
    stack, auth = secured
    gw = stack.gateway
    bank = auth["bank"]
    # Its own limit from the credentials file: far past the default burst of 4.
    codes = [await _code(gw.GetInfo(common_pb2.GetInfoRequest(), timeout=10, metadata=bank))
             for _ in range(12)]
    assert codes == [grpc.StatusCode.OK] * 12
    sid = (await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=10,
                                 metadata=bank)).session_id
    for i in range(3):  # the session's burst
        await gw.Converse(gateway_pb2.ConverseRequest(session_id=sid, request_id=f"b{i}",
                                                      text="hello"), timeout=30, metadata=bank)
    with pytest.raises(grpc.aio.AioRpcError) as err:  # one customer cannot flood the backend
        await gw.Converse(gateway_pb2.ConverseRequest(session_id=sid, request_id="b3",
                                                      text="hello"), timeout=30, metadata=bank)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = status_pb2.Status.FromString(
        dict(err.value.trailing_metadata())["grpc-status-details-bin"])
    retry = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(retry) and retry.retry_delay.seconds >= 1
    # Another session of the same client is not held back.
    other = (await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=10,
                                   metadata=bank)).session_id
    assert (await gw.Converse(gateway_pb2.ConverseRequest(
        session_id=other, request_id="o0", text="hello"), timeout=30, metadata=bank)).reply
    # Bounded strings and messages.
    assert await _code(gw.StartSession(gateway_pb2.StartSessionRequest(customer_id="c" * 129),
                                       timeout=10, metadata=bank)) == \
        grpc.StatusCode.INVALID_ARGUMENT
    big = grpc.aio.insecure_channel(f"127.0.0.1:{stack.ports['gateway']}", options=[
        ("grpc.max_send_message_length", 64 * 1024 * 1024)])
    try:
        stub = gateway_pb2_grpc.AdvisoryGatewayStub(big)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Converse(gateway_pb2.ConverseRequest(
                session_id=sid, request_id="huge", text="x", image=common_pb2.Attachment(
                    data=b"\0" * (17 * 1024 * 1024), mime_type="image/png")),
                timeout=30, metadata=bank)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert str(16 * 1024 * 1024) in (err.value.details() or "")
    finally:
        await big.close()


async def test_default_limits_let_one_backend_run_200_turns_a_second(redis_server) -> None:
    from redis.asyncio import Redis

    from finadvisor.services.gateway.auth import RateLimiter
    from finadvisor.services.gateway.config import GatewaySettings
    from finadvisor.shared.config import load_settings

    s = load_settings(GatewaySettings, {"FINADVISOR_INSECURE": "1"})
    assert s.rate_limit_per_s >= 200 and s.rate_burst >= 400
    r = Redis.from_url(redis_server.url)
    try:
        limiter = RateLimiter(r, s.rate_limit_per_s, s.rate_burst, s.max_turns_per_session)
        # Two seconds of 200 turns/s arriving at once: none refused.
        for _ in range(400):
            await limiter.take("one-bank-backend")
    finally:
        await r.aclose()
