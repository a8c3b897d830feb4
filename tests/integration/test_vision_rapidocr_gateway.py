"""A payslip as customers send it, through the gateway, on a machine with pip alone: the vision
service forced to RapidOCR (no Tesseract) reads the net pay, and the gateway fills monthly_income
with source image. Real in-process services on loopback and a real Redis."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2
from finadvisor.services.vision.external import EXTERNAL_DIR, LABELS
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

# RapidOCR reads a page in about a second on two idle cores; the budget leaves room for a busy CI.
TURN_DEADLINE_S = 90.0


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def rapid_stack(redis_server):
    s = await Stack(redis_server.url).start({"FINADVISOR_VISION_OCR_ENGINE": "rapidocr"})
    yield s
    await s.stop()


def _external_payslip() -> tuple[bytes, dict[str, str]]:
    """A Chromium-laid-out monthly payslip of the external set (never trained on)."""
    for line in open(EXTERNAL_DIR / LABELS, encoding="utf-8"):
        rec = json.loads(line)
        if rec["image_type"] == "payslip" and rec["fields"]["period"] == "monthly" and not rec["photo"]:
            return (EXTERNAL_DIR / rec["file"]).read_bytes(), rec["fields"]
    raise AssertionError("the external set has no clean monthly payslip")


async def test_payslip_fills_monthly_income_with_rapidocr(rapid_stack: Stack) -> None:
    data, fields = _external_payslip()
    sid = (await rapid_stack.gateway.StartSession(gateway_pb2.StartSessionRequest(), timeout=10)).session_id
    resp = await rapid_stack.gateway.Converse(
        gateway_pb2.ConverseRequest(session_id=sid, request_id="p1", text="here is my payslip",
                                    image=common_pb2.Attachment(data=data, mime_type="image/jpeg")),
        timeout=TURN_DEADLINE_S)
    assert "vision" not in resp.degraded and "ocr" not in resp.degraded
    image = resp.findings.image
    assert image.image_type == "payslip" and image.ocr_engine == "rapidocr"
    assert {f.name: f.value for f in image.fields}["net_pay"] == fields["net_pay"]
    income = resp.state.slots["monthly_income"]
    assert income.value == fields["net_pay"] and income.source == "image"
