"""An upload's facts fill what they are about, through the whole stack (gateway, state, vision
with its real models, real Redis): a payslip's currency is the income's, not the loan's."""

from __future__ import annotations

import io

import pytest
import pytest_asyncio

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(redis_server):
    s = await Stack(redis_server.url).start()
    yield s
    await s.stop()


def payslip(seed: int) -> tuple[bytes, dict[str, str]]:
    from finadvisor.services.vision.render import render_sample

    sample = render_sample("payslip", seed, split="heldout", degrade=0.0)
    buf = io.BytesIO()
    sample.image.save(buf, format="PNG")
    return buf.getvalue(), sample.fields


async def test_a_payslip_in_another_currency_keeps_the_loans_currency(stack: Stack) -> None:
    png, fields = payslip(16)
    assert fields["currency"] == "EUR" and fields["period"] == "monthly"
    sid = (await stack.gateway.StartSession(gateway_pb2.StartSessionRequest(), timeout=10)).session_id
    resp = await stack.gateway.Converse(gateway_pb2.ConverseRequest(
        session_id=sid, request_id="u1", text="could I borrow 4,500 pounds for a kitchen refit? payslip attached",
        image=common_pb2.Attachment(data=png, mime_type="image/png")), timeout=30)
    read = {f.name: f.value for f in resp.findings.image.fields}
    assert resp.findings.image.image_type == "payslip" and read.get("currency") == "EUR"
    state = resp.state.slots
    assert state["loan_amount"].value == "4500"
    assert state["currency"].value == "GBP" and state["currency"].source == "text"
    assert state["monthly_income"].source == "image"
    # A payslip in the loan's own currency, with no currency said before, fills it.
    png, fields = payslip(14)
    sid = (await stack.gateway.StartSession(gateway_pb2.StartSessionRequest(), timeout=10)).session_id
    resp = await stack.gateway.Converse(gateway_pb2.ConverseRequest(
        session_id=sid, request_id="u2", text="here you go",
        image=common_pb2.Attachment(data=png, mime_type="image/png")), timeout=30)
    read = {f.name: f.value for f in resp.findings.image.fields}
    assert resp.findings.image.image_type == "payslip" and read.get("currency") == "GBP"
    assert resp.state.slots["currency"].value == fields["currency"]
    assert resp.state.slots["currency"].source == "image"
