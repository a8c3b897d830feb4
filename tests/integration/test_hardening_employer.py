"""The OCR'd employer name is stored only if a slot needs it (none does): a payslip goes through
the gateway (every service in-process, the committed vision models and OCR, a real Redis); the
client's answer shows what was read, and no key of the session, no stored answer and no audit
entry holds the employer's name."""

from __future__ import annotations

import io

import pytest
from redis.asyncio import Redis

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2
from finadvisor.services.vision.render import render_sample
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _stored(r: Redis, sid: str) -> bytes:
    """Every value Redis holds for the session, and the audit entries that name it."""
    out: list[bytes] = []
    async for key in r.scan_iter(match=f"*{sid}*", count=1000):
        kind = (await r.type(key)).decode()
        if kind == "string":
            out.append(await r.get(key) or b"")
        elif kind == "list":
            out += await r.lrange(key, 0, -1)
        elif kind == "hash":
            for k, v in (await r.hgetall(key)).items():
                out += [k, v]
        elif kind == "zset":
            out += await r.zrange(key, 0, -1)
        elif kind == "set":
            out += list(await r.smembers(key))
        elif kind == "stream":
            for _, fields in await r.xrange(key):
                out += list(fields.values())
    for _, fields in await r.xrange("fa:audit"):
        joined = b" ".join(fields.values())
        if sid.encode() in joined:
            out.append(joined)
    return b"\n".join(out)


async def test_the_employer_name_is_not_stored(redis_server) -> None:
    sample = render_sample("payslip", 11, split="heldout", degrade=0.0)
    employer = sample.fields["employer"]
    buf = io.BytesIO()
    sample.image.save(buf, format="PNG")
    stack = await Stack(redis_server.url).start()
    r = Redis.from_url(redis_server.url)
    try:
        gw = stack.gateway
        sid = (await gw.StartSession(gateway_pb2.StartSessionRequest(), timeout=30)).session_id
        await gw.Converse(gateway_pb2.ConverseRequest(
            session_id=sid, request_id="t0", text="I'd like a loan of 15000 for a car"),
            timeout=60)
        resp = await gw.Converse(gateway_pb2.ConverseRequest(
            session_id=sid, request_id="t1", text="here is my payslip",
            image=common_pb2.Attachment(data=buf.getvalue(), mime_type="image/png")),
            timeout=120)
        read = {f.name: f.value for f in resp.findings.image.fields}
        # The page was read (else this test would prove nothing): the pay and the employer.
        assert resp.findings.image.image_type == "payslip", resp.findings
        assert read.get("employer", "").lower() == employer.lower(), (read, employer)
        stored = (await _stored(r, sid)).lower()
        assert b"payslip" in stored or b"here is my payslip" in stored  # the turn is stored
        assert employer.lower().encode() not in stored, employer
    finally:
        await r.aclose()
        await stack.stop()
