"""AssessCredit over a real channel for the two applicants of issue 18: the car loan is never
declined for what the dialogue did not ask, and the home loan is decided by the mortgage
policy at the mortgage rate, its reasons naming its own figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
import pytest_asyncio

from finadvisor.gateway.v1 import gateway_pb2
from finadvisor.services.gateway.risk import Policy
from finadvisor.services.gateway.risk.schema import annuity_payment
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(redis_server):
    s = await Stack(redis_server.url).start()
    yield s
    await s.stop()


async def test_issue_applicants_through_assess_credit(stack: Stack) -> None:
    car = gateway_pb2.Applicant(
        loan_amount="17000", loan_term_months=48, loan_purpose="car", age=40,
        employment_years=10, employment_status="employed", housing="own",
        monthly_income="5000", monthly_debt="300", currency="EUR")
    home = gateway_pb2.Applicant(
        loan_amount="240000", loan_term_months=300, loan_purpose="home",
        monthly_income="6800", monthly_debt="0", currency="EUR")
    a = (await stack.gateway.AssessCredit(gateway_pb2.AssessCreditRequest(applicant=car),
                                          timeout=10)).credit
    assert a.decision in ("approve", "refer") and a.decided_by == "model"
    assert all(r.code != "R05_HIGH_LOAN_AMOUNT" for r in a.reasons)
    if a.decision == "refer":  # the bank profile was not sent: asked for, not held against
        assert "credit_history" in a.needs and a.reasons[0].source == "missing"

    h = (await stack.gateway.AssessCredit(gateway_pb2.AssessCreditRequest(applicant=home),
                                          timeout=10)).credit
    policy = Policy.load()
    rate = policy.rate_table["mortgage"][policy.mortgage.rate_band]
    assert h.decided_by == "mortgage_policy" and h.decision == "refer"
    assert h.affordability.annual_rate_percent == rate
    payment = annuity_payment(Decimal(240000), rate, 300).quantize(Decimal("0.01"))
    assert Decimal(h.affordability.monthly_instalment) == payment
    first = h.reasons[0]
    assert first.source == "policy" and first.code == "R34_MORTGAGE_AFFORDABILITY_POLICY"
    assert f"{float(payment) / 6800 * 100:.0f} %" in first.description
    assert f"{240000 / (12 * 6800):.1f} times" in first.description
    assert {"age", "employment_status", "credit_history"} <= set(h.needs)
