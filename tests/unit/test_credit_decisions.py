"""Credit decisions a lender would sign: decide on what is known, policy over model, the
model's domain, the mortgage policy, currencies, and the decision suite (tests/data/credit)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from finadvisor.corpus.ontology import SLOTS
from finadvisor.services.gateway.credit import assessment_to_proto
from finadvisor.services.gateway.risk import ApplicantFields, CreditRiskModel, Policy
from finadvisor.services.gateway.risk.policy import POLICY_PATH
from finadvisor.services.gateway.risk.schema import annuity_payment
from finadvisor.services.gateway.risk.suite import (
    SUITE_CSV,
    applicant_of,
    load_suite,
    run_suite,
    suite_section,
)
from finadvisor.shared.errors import ConfigError
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

# The two applicants of issue 18, as a risk analyst typed them.
CAR = {"age": "40", "employment_status": "employed", "employment_years": "10", "housing": "own",
       "monthly_income": "5000", "monthly_debt": "300", "loan_amount": "17000",
       "loan_term_months": "48", "loan_purpose": "car", "currency": "EUR"}
HOME = {"monthly_income": "6800", "monthly_debt": "0", "loan_amount": "240000",
        "loan_term_months": "300", "loan_purpose": "home", "currency": "EUR"}
PROFILE = {"checking_status": "low", "credit_history": "existing_paid",
           "savings_status": "low", "existing_credits": "1"}


@pytest.fixture(scope="module")
def model() -> CreditRiskModel:
    return CreditRiskModel.load(BUNDLED_MODELS_DIR / "risk")


# ---------------------------------------------------------------- the issue's applicants
def test_issue_car_loan_is_never_declined_and_asks_for_what_is_missing(
    model: CreditRiskModel,
) -> None:
    a = model.assess(ApplicantFields.from_slots(CAR))
    assert a.decision in ("approve", "refer")
    assert a.affordability is not None and a.affordability.debt_to_income < 0.2
    if a.decision == "refer":
        assert a.needs and a.decided_by == "model"
        # What is missing is asked for, never held against the applicant.
        assert {"checking_status", "credit_history"} <= set(a.needs)
        assert all(r.code != "R05_HIGH_LOAN_AMOUNT" for r in a.reasons)
    # With an ordinary bank profile, the same request is not declined either.
    assert model.assess(ApplicantFields.from_slots(CAR, PROFILE)).decision != "decline"


def test_issue_home_loan_is_decided_by_the_mortgage_policy_at_the_mortgage_rate(
    model: CreditRiskModel,
) -> None:
    a = model.assess(ApplicantFields.from_slots(HOME))
    policy = model.policy
    assert a.decided_by == "mortgage_policy"
    assert a.probability_of_default is None  # the PD model never saw a mortgage
    assert a.affordability is not None
    rate = policy.rate_table["mortgage"][policy.mortgage.rate_band]
    assert a.affordability.annual_rate_percent == rate
    expected = annuity_payment(Decimal(240000), rate, 300)
    assert a.affordability.monthly_instalment == expected.quantize(Decimal("0.01"))
    dsr = float(expected) / 6800
    lti = 240000 / (12 * 6800)
    first = a.reasons[0]
    assert first.source == "policy" and f"{dsr * 100:.0f} %" in first.description
    assert f"{lti:.1f}" in first.description and f"{rate:g} %" in first.description
    # Affordable, but age, employment and the credit file are unknown: refer, and say so.
    assert a.decision == "refer"
    assert {"age", "employment_status", "credit_history"} <= set(a.needs)
    full = ApplicantFields.from_slots(
        {**HOME, "age": "38", "employment_status": "employed", "employment_years": "6"},
        {"credit_history": "existing_paid"})
    done = model.assess(full)
    assert (done.decision, done.decided_by, done.needs) == ("approve", "mortgage_policy", [])


# ---------------------------------------------------------------- decide on what is known
def _dialogue_applicants(n: int, seed: int) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    return [{
        "loan_amount": str(int(rng.integers(1000, 25000))),
        "loan_term_months": str(int(rng.choice([12, 24, 36, 48, 60]))),
        "loan_purpose": str(rng.choice(["car", "education", "renovation", "other"])),
        "monthly_income": str(int(rng.integers(1500, 7000))),
        "monthly_debt": str(int(rng.integers(0, 800))),
        "age": str(int(rng.integers(19, 70))),
        "employment_status": "employed",
        "employment_years": str(int(rng.integers(1, 20))),
    } for _ in range(n)]


def test_removing_bank_profile_never_turns_a_decision_into_a_decline(
    model: CreditRiskModel,
) -> None:
    rng = np.random.default_rng(5)
    compared = 0
    for slots in _dialogue_applicants(30, seed=4):
        profile = {"checking_status": str(rng.choice(["no_account", "negative", "low", "high"])),
                   "credit_history": str(rng.choice(["existing_paid", "past_delay", "critical"])),
                   "savings_status": str(rng.choice(["none", "low", "very_high"]))}
        known = model.assess(ApplicantFields.from_slots(slots, profile))
        unknown = model.assess(ApplicantFields.from_slots(slots))
        if known.decision != "decline":
            compared += 1
            assert unknown.decision != "decline", slots
        if unknown.decision == "decline":
            assert all(r.source != "missing" for r in unknown.reasons)
            assert not unknown.needs
    assert compared >= 10


def test_missing_items_are_needs_on_a_refer_and_never_decline_reasons(
    model: CreditRiskModel,
) -> None:
    # Income unknown: affordability cannot be verified, so refer and ask for it.
    slots = {k: v for k, v in CAR.items() if k != "monthly_income"}
    a = model.assess(ApplicantFields.from_slots(slots, PROFILE))
    assert a.decision == "refer" and a.needs[0] == "monthly_income"
    assert a.reasons[0].source == "missing" and "monthly income" in a.reasons[0].description
    # Needs list what the customer can answer (slots) before what the bank holds.
    bare = model.assess(ApplicantFields.from_slots({"loan_amount": "5000",
                                                    "loan_term_months": "24"}))
    is_slot = [n in SLOTS for n in bare.needs]
    assert {"monthly_income", "age", "employment_status", "checking_status"} <= set(bare.needs)
    assert is_slot == sorted(is_slot, reverse=True)  # every slot before any profile item


# ---------------------------------------------------------------- policy over model
def test_policy_rules_decide_visibly_with_the_applicants_own_figures(
    model: CreditRiskModel,
) -> None:
    unaffordable = {**CAR, "loan_amount": "9000", "loan_term_months": "12",
                    "monthly_income": "1500", "monthly_debt": "400", "loan_purpose": "other"}
    a = model.assess(ApplicantFields.from_slots(unaffordable, PROFILE))
    dti = a.affordability.debt_to_income
    assert a.decision != "approve" and a.decided_by == "policy"
    assert a.reasons[0].code == "R20_DEBT_TO_INCOME_ABOVE_CAP"
    assert f"{dti * 100:.0f} %" in a.reasons[0].description
    assert "40 % cap" in a.reasons[0].description

    young = model.assess(ApplicantFields.from_slots({**CAR, "age": "17"}, PROFILE))
    assert (young.decision, young.decided_by) == ("decline", "policy")
    assert young.reasons[0].code == "R23_BELOW_MINIMUM_AGE" and "17" in young.reasons[0].description

    jobless = model.assess(ApplicantFields.from_slots(
        {**CAR, "employment_status": "unemployed"}, PROFILE))
    assert (jobless.decision, jobless.reasons[0].code) == ("decline", "R24_NOT_IN_EMPLOYMENT")

    new_job = model.assess(ApplicantFields.from_slots({**CAR, "employment_years": "0.25"}, PROFILE))
    assert new_job.decision == "refer" and new_job.decided_by == "policy"
    assert "3 months" in new_job.reasons[0].description


def test_outside_the_models_range_is_referred_not_scored(model: CreditRiskModel) -> None:
    for change, words in (({"loan_term_months": "96"}, "96 months"),
                          ({"product": "credit_card"}, "credit card")):
        a = model.assess(ApplicantFields.from_slots({**CAR, **change}, PROFILE))
        assert (a.decision, a.decided_by) == ("refer", "domain")
        assert a.probability_of_default is None
        assert a.reasons[0].source == "domain"
        assert "outside the validated range of the model" in a.reasons[0].description.lower()
        assert words in a.reasons[0].description


# ---------------------------------------------------------------- units that travel
def test_ratios_travel_across_currencies_and_absolute_limits_are_converted(
    model: CreditRiskModel,
) -> None:
    eur = model.assess(ApplicantFields.from_slots(CAR, PROFILE))
    usd = model.assess(ApplicantFields.from_slots({**CAR, "currency": "USD"}, PROFILE))
    # Tenfold amounts and income in yen: the same ratios, the same PD.
    jpy = {**CAR, "currency": "JPY", "loan_amount": "1700000", "monthly_income": "500000",
           "monthly_debt": "30000"}
    yen = model.assess(ApplicantFields.from_slots(jpy, PROFILE))
    assert eur.probability_of_default == usd.probability_of_default == yen.probability_of_default
    assert usd.affordability.currency == "USD"
    policy = model.policy
    assert policy.from_base(Decimal(500), "EUR") == 500
    assert policy.from_base(Decimal(500), "JPY") > 50000
    assert policy.from_base(Decimal(500), "XAF") is None
    unknown = model.assess(ApplicantFields.from_slots({**CAR, "currency": "XAF"}, PROFILE))
    assert unknown.decision == "refer" and unknown.decided_by == "domain"


def test_product_rates_set_the_instalment(model: CreditRiskModel) -> None:
    policy = model.policy
    for product in ("personal_loan", "auto_loan", "credit_card"):
        applicant = ApplicantFields.from_slots({**CAR, "product": product}, PROFILE)
        aff = policy.affordability(applicant, "B")
        assert aff.annual_rate_percent == policy.rate_table[product]["B"]
    assert policy.credit_product(ApplicantFields.from_slots({"loan_purpose": "home"})) == "mortgage"
    assert policy.credit_product(
        ApplicantFields.from_slots({"loan_purpose": "car", "product": "savings_account"})
    ) == "auto_loan"


def test_invalid_policy_tables_are_refused(tmp_path: Path) -> None:
    raw = json.loads(POLICY_PATH.read_text())
    bad = tmp_path / "policy.json"
    for change, message in (
        ({"currency_table": {**raw["currency_table"], "EUR": 2}}, "base currency"),
        ({"optional_profile_items": ["age"]}, "optional_profile_items"),
        ({"mortgage_policy": {**raw["mortgage_policy"], "max_debt_service_ratio": 1.5}},
         "mortgage caps"),
    ):
        bad.write_text(json.dumps({**raw, **change}))
        with pytest.raises(ConfigError, match=message):
            Policy.load(bad)


# ---------------------------------------------------------------- the contract
def test_the_assessment_message_carries_what_a_reply_needs(model: CreditRiskModel) -> None:
    a = model.assess(ApplicantFields.from_slots(HOME))
    msg = assessment_to_proto(a)
    assert msg.decided_by == "mortgage_policy" and list(msg.needs) == a.needs
    assert [r.source for r in msg.reasons] == [r.source for r in a.reasons]
    assert msg.reasons[0].description and msg.affordability.monthly_instalment
    assert msg.affordability.currency == "EUR" and msg.probability_of_default == 0.0


# ---------------------------------------------------------------- the decision suite
def test_decision_suite_table_is_written_from_arithmetic() -> None:
    """The table's cases hold by arithmetic alone (no model): affordable rows stay within 30 %
    debt-to-income at the product's highest rate, unaffordable ones exceed 45 % at its lowest
    (or have no income)."""
    rows = load_suite(SUITE_CSV)
    assert len(rows) >= 30 and len({r["id"] for r in rows}) == len(rows)
    policy = Policy.load()
    for row in rows:
        if row["case"] not in ("affordable", "unaffordable"):
            continue
        a = applicant_of(row)
        rates = policy.rate_table[policy.credit_product(a)].values()
        income, debt = float(a.monthly_income), float(a.monthly_debt)
        if row["case"] == "affordable":
            worst = float(annuity_payment(a.loan_amount, max(rates), a.loan_term_months))
            assert (debt + worst) / income <= 0.30, row["id"]
        elif income:
            best = float(annuity_payment(a.loan_amount, min(rates), a.loan_term_months))
            assert (debt + best) / income >= 0.45, row["id"]


def test_decision_suite_agreement_is_complete(model: CreditRiskModel) -> None:
    result = run_suite(model, SUITE_CSV)
    assert result["decision_suite_disagreements"] == []
    assert result["decision_suite_agreement"] == 1.0
    assert result["declines_with_missing_first_reason"] == 0


def test_eval_section_notes_a_missing_suite(model: CreditRiskModel, tmp_path: Path) -> None:
    section = suite_section(model, tmp_path / "absent.csv")
    assert "decision_suite_agreement" not in section
    assert "not found" in section["decision_suite_note"]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(SUITE_CSV.read_text().replace(",not_declined,", ",fine,", 1))
    with pytest.raises(ValueError, match="unknown expectation"):
        load_suite(wrong)
