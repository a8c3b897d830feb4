"""Credit-risk package: data integrity, features, monotonicity, reasons, affordability, artifacts."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finadvisor.services.gateway.risk import (
    REQUIRED_SLOTS,
    ApplicantFields,
    CreditRiskModel,
    Policy,
    ready_for_assessment,
)
from finadvisor.services.gateway.risk.dataset import (
    GERMAN_CREDIT_CSV,
    german_to_features,
    load_german_credit,
    training_frame,
)
from finadvisor.services.gateway.risk.estimators import MonotonicGBM, WOEScorecard
from finadvisor.services.gateway.risk.policy import max_affordable_amount
from finadvisor.services.gateway.risk.schema import (
    FEATURE_NAMES,
    PROFILE_FEATURES,
    annuity_payment,
)
from finadvisor.services.gateway.risk.training import cross_validate
from finadvisor.shared.errors import ConfigError, InvalidInputError, ModelNotReadyError
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

RISK_DIR = BUNDLED_MODELS_DIR / "risk"

FULL_SLOTS = {
    "loan_amount": "3000",
    "loan_term_months": "24",
    "loan_purpose": "car",
    "monthly_income": "2500",
    "monthly_debt": "300",
    "age": "35",
    "employment_status": "employed",
    "employment_years": "5",
    "housing": "rent",
    "dependents": "1",
}
PROFILE = {
    "checking_status": "low",
    "credit_history": "existing_paid",
    "savings_status": "low",
    "existing_credits": "1",
}


@pytest.fixture(scope="module")
def model() -> CreditRiskModel:
    return CreditRiskModel.load(RISK_DIR)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    return training_frame()


# ---------------------------------------------------------------- data and features
def test_csv_checksum_accepts_committed_copy_and_refuses_a_changed_one(tmp_path: Path) -> None:
    frame = load_german_credit()
    assert len(frame) == 1000 and (frame["creditability"] == "bad").sum() == 300
    changed = tmp_path / "germancredit.csv"
    text = GERMAN_CREDIT_CSV.read_text()
    changed.write_text(text.replace(",bad", ",good", 1))
    with pytest.raises(ModelNotReadyError, match="sha256"):
        load_german_credit(changed)


def test_protected_attributes_are_not_features() -> None:
    raw = load_german_credit()
    for name in ("personal_status_and_sex", "foreign_worker", "sex", "personal_status"):
        assert name not in FEATURE_NAMES
    # Changing the protected columns leaves every feature value untouched.
    flipped = raw.copy()
    flipped["personal_status_and_sex"] = "female : divorced/separated/married"
    flipped["foreign_worker"] = np.where(raw["foreign_worker"] == "yes", "no", "yes")
    a, _, _ = german_to_features(raw)
    b, _, _ = german_to_features(flipped)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(FEATURE_NAMES)


def test_missing_features_are_explicit_not_zero(model: CreditRiskModel) -> None:
    sparse = ApplicantFields.from_slots({"loan_amount": "3000", "loan_term_months": "24"})
    assessment = model.assess(sparse)
    assert "instalment_burden" in assessment.missing_features
    assert set(PROFILE_FEATURES) <= set(assessment.missing_features)
    assert "loan_term_months" not in assessment.missing_features
    assert "loan_to_income" in assessment.missing_features  # no income: no ratio, not zero
    # Unknown debt is not zero debt: the burden is missing, and differs from a stated 0.
    no_debt = {k: v for k, v in FULL_SLOTS.items() if k != "monthly_debt"}
    row_unknown = ApplicantFields.from_slots(no_debt).feature_row(9.9, [0.2, 0.25, 0.35])
    row_zero = ApplicantFields.from_slots({**no_debt, "monthly_debt": "0"}).feature_row(
        9.9, [0.2, 0.25, 0.35]
    )
    assert np.isnan(row_unknown["instalment_burden"])
    assert row_zero["instalment_burden"] == 1.0
    # Retirement is not read as unemployment.
    retired = ApplicantFields.from_slots({"employment_status": "retired"})
    assert np.isnan(retired.feature_row(9.9, [0.2, 0.25, 0.35])["employment"])


def test_scorecard_has_a_missing_bin(data: tuple) -> None:
    X, y, _ = data
    card = WOEScorecard(max_bins=6).fit(X, y)
    row = X.iloc[[0]].copy()
    known = card.woe_transform(row)[0]
    row.loc[:, "checking_status"] = np.nan
    unknown = card.woe_transform(row)[0]
    j = list(FEATURE_NAMES).index("checking_status")
    assert unknown[j] == card.bins_["checking_status"]["missing_woe"]
    assert known[j] != unknown[j]
    assert (card.coef_ >= 0).all()


# ---------------------------------------------------------------- monotonicity
def _sweep(predict, base: pd.DataFrame, feature: str, values: list[float]) -> np.ndarray:
    rows = pd.concat([base] * len(values), ignore_index=True)  # (n_values * n_base, p)
    rows[feature] = np.repeat(values, len(base))
    return predict(rows).reshape(len(values), len(base))  # (n_values, n_base)


@pytest.mark.parametrize(
    ("feature", "values", "direction"),
    [
        ("loan_to_income", [0.05, 0.2, 0.4, 0.7, 1.0, 1.5], +1),
        ("loan_term_months", [4, 12, 24, 36, 60, 72], +1),
        ("instalment_burden", [1, 2, 3, 4], +1),
        ("age", [19, 25, 35, 50, 70], -1),
    ],
)
def test_served_model_is_monotone(
    model: CreditRiskModel, data: tuple, feature: str, values: list[float], direction: int
) -> None:
    X, _, _ = data
    base = X.sample(40, random_state=1).reset_index(drop=True)
    base.loc[::3, list(PROFILE_FEATURES)] = np.nan  # monotone with missing features too
    pd_grid = _sweep(model.predict_pd, base, feature, values)
    steps = np.diff(pd_grid, axis=0) * direction  # (n_values - 1, n_base)
    assert (steps >= -1e-12).all()
    assert (pd_grid[-1] != pd_grid[0]).any()  # the feature does move the score


def test_fresh_gbm_respects_constraints(data: tuple) -> None:
    X, y, _ = data
    gbm = MonotonicGBM(max_iter=30, random_state=0).fit(X, y)
    base = X.sample(30, random_state=2).reset_index(drop=True)
    amount = _sweep(lambda f: gbm.predict_proba(f)[:, 1], base, "loan_to_income",
                    [0.05, 0.3, 0.8, 1.5])
    term = _sweep(lambda f: gbm.predict_proba(f)[:, 1], base, "loan_term_months", [6, 18, 48])
    assert (np.diff(amount, axis=0) >= -1e-12).all()
    assert (np.diff(term, axis=0) >= -1e-12).all()


# ---------------------------------------------------------------- reasons and decisions
def _random_applicants(n: int, seed: int) -> list[ApplicantFields]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        slots = {
            "loan_amount": str(int(rng.integers(500, 20000))),
            "loan_term_months": str(int(rng.choice([6, 12, 24, 36, 48, 60]))),
            "loan_purpose": str(rng.choice(["car", "home", "education", "travel", "other"])),
            "monthly_income": str(int(rng.integers(800, 6000))),
            "monthly_debt": str(int(rng.integers(0, 1500))),
            "age": str(int(rng.integers(19, 70))),
        }
        profile = {}
        if rng.random() < 0.5:
            profile = {
                "checking_status": str(rng.choice(["no_account", "negative", "low", "high"])),
                "credit_history": str(rng.choice(["existing_paid", "past_delay", "critical"])),
                "savings_status": str(rng.choice(["none", "low", "very_high"])),
            }
        out.append(ApplicantFields.from_slots(slots, profile))
    return out


def test_reasons_on_every_decline_and_none_on_approval(model: CreditRiskModel) -> None:
    decisions = []
    for applicant in _random_applicants(40, seed=3):
        a = model.assess(applicant)
        decisions.append(a.decision)
        if a.probability_of_default is None:  # the model was not applied: a mortgage or
            row = applicant.feature_row(9.9, [0.2, 0.25, 0.35])  # outside its range
            assert model.policy.is_mortgage(applicant) or model.domain_findings(applicant, row)
        else:
            assert 0.0 <= a.probability_of_default <= 1.0
        if a.decision == "decline":
            assert a.reasons, "a decline must carry reasons"
            assert all(r.code and r.description for r in a.reasons)
            assert all(r.source != "missing" for r in a.reasons) and not a.needs
            contributions = [r.contribution for r in a.reasons]
            assert all(c >= 0 for c in contributions)
        if a.decision == "approve":
            assert a.reasons == []
        assert len(a.reasons) <= model.policy.max_reasons
    assert "decline" in decisions


def test_unaffordable_request_names_the_dti_reason(model: CreditRiskModel) -> None:
    slots = {**FULL_SLOTS, "loan_amount": "9000", "loan_term_months": "12",
             "monthly_income": "1500", "monthly_debt": "400"}
    a = model.assess(ApplicantFields.from_slots(slots, PROFILE))
    assert a.affordability is not None and a.affordability.affordable is False
    assert a.decision in ("refer", "decline")
    assert a.reasons[0].code == "R20_DEBT_TO_INCOME_ABOVE_CAP"
    assert a.affordability.max_affordable_amount < Decimal("9000")


def test_unknown_affordability_is_never_approved(model: CreditRiskModel) -> None:
    slots = {k: v for k, v in FULL_SLOTS.items() if k != "monthly_income"}
    a = model.assess(ApplicantFields.from_slots(slots, PROFILE))
    assert a.decision != "approve"
    assert a.affordability is not None and a.affordability.affordable is None
    assert a.affordability.debt_to_income is None


# ---------------------------------------------------------------- affordability arithmetic
def test_annuity_formula() -> None:
    # 10000 at 6% a year over 12 months: 860.66 a month (standard amortisation table).
    assert annuity_payment(Decimal(10000), 6.0, 12).quantize(Decimal("0.01")) == Decimal("860.66")
    assert annuity_payment(Decimal(1200), 0.0, 12) == Decimal(100)


def test_affordability_figures_and_cap(model: CreditRiskModel) -> None:
    applicant = ApplicantFields.from_slots(FULL_SLOTS, PROFILE)
    policy = model.policy
    aff = policy.affordability(applicant, "B")
    assert aff is not None
    rate = policy.rate_table["auto_loan"]["B"]
    assert aff.annual_rate_percent == rate
    r = rate / 1200
    expected = 3000 * r / (1 - (1 + r) ** -24)
    assert float(aff.monthly_instalment) == pytest.approx(expected, abs=0.01)
    assert aff.debt_to_income == pytest.approx((300 + float(aff.monthly_instalment)) / 2500,
                                               abs=1e-4)
    # The cap: the suggested maximum is affordable, one unit more is not.
    cap_amount = aff.max_affordable_amount
    assert cap_amount is not None and cap_amount > 0
    room = Decimal(str(policy.dti_cap)) * 2500 - 300
    assert annuity_payment(cap_amount, rate, 24) <= room
    assert annuity_payment(cap_amount + 1, rate, 24) > room
    assert max_affordable_amount(Decimal(1000), Decimal(500), 0.4, 5.0, 12) == 0
    assert aff.currency == policy.default_currency
    assert ApplicantFields.from_slots({**FULL_SLOTS, "currency": "usd"}).currency == "USD"


# ---------------------------------------------------------------- persistence
def test_save_load_round_trip_and_tamper_refused(model: CreditRiskModel, tmp_path: Path) -> None:
    folder = tmp_path / "risk"
    shutil.copytree(RISK_DIR, folder)
    copy = CreditRiskModel.load(folder)
    applicant = ApplicantFields.from_slots(FULL_SLOTS, PROFILE)
    assert copy.assess(applicant) == model.assess(applicant)

    saved = model.__class__(copy.estimator, dict(copy.config), copy.policy).save(tmp_path / "s")
    again = CreditRiskModel.load(saved)
    assert again.assess(applicant).probability_of_default == pytest.approx(
        model.assess(applicant).probability_of_default
    )

    blob = bytearray((folder / "model.skops").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (folder / "model.skops").write_bytes(bytes(blob))
    with pytest.raises(ModelNotReadyError, match="checksum"):
        CreditRiskModel.load(folder)
    with pytest.raises(ModelNotReadyError):
        CreditRiskModel.load(tmp_path / "nowhere")


# ---------------------------------------------------------------- input validation
@pytest.mark.parametrize(
    ("slots", "message"),
    [
        ({"loan_amount": "-500"}, "loan_amount must not be negative"),
        ({"loan_amount": "0"}, "loan_amount must be greater than zero"),
        ({"loan_amount": "5k"}, "loan_amount must be a plain decimal"),
        ({"loan_purpose": "yacht"}, "loan_purpose must be one of"),
        ({"age": "121"}, "age must be between 0 and 120"),
        ({"loan_term_months": "12.5"}, "loan_term_months must be a whole number"),
        ({"monthly_income": "nan"}, "monthly_income must be a finite number"),
        ({"housing": "castle"}, "housing must be one of"),
        ({"currency": "dollars"}, "currency must be an ISO 4217 code"),
        ({"loan_purpose": "x" * 100}, "longer than"),
    ],
)
def test_invalid_input_is_refused_clearly(slots: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ApplicantFields.from_slots(slots)


def test_invalid_profile_value_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="checking_status must be one of"):
        ApplicantFields.from_slots({}, {"checking_status": "rich"})


def test_slots_override_profile_and_unknown_keys_are_ignored() -> None:
    a = ApplicantFields.from_slots({"age": "40"}, {"age": "30", "customer_note": "x"})
    assert a.age == 40


def test_ready_for_assessment() -> None:
    assert ready_for_assessment(FULL_SLOTS)
    for name in REQUIRED_SLOTS:
        assert not ready_for_assessment({**FULL_SLOTS, name: ""})
    assert not ready_for_assessment({"loan_amount": "3000"})


def test_invalid_policy_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "policy.json"
    bad.write_text(Policy.load().__class__.__name__)
    with pytest.raises(ConfigError):
        Policy.load(bad)
    import json

    from finadvisor.services.gateway.risk.policy import POLICY_PATH

    raw = json.loads(POLICY_PATH.read_text())
    raw["pd_cutoffs"] = {"approve_below": 0.6, "decline_at_or_above": 0.3}
    bad.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="approve_below"):
        Policy.load(bad)


# ---------------------------------------------------------------- evaluation
def test_cross_validation_reports_the_eval_section(data: tuple) -> None:
    X, y, age = data
    metrics = cross_validate("scorecard", X, y, age, seed=0, n_splits=3)
    for key in ("auc", "auc_dialogue_only", "ks", "brier", "age_gap"):
        assert isinstance(metrics[key], float)
    assert 0.7 < metrics["auc"] < 0.9
    assert metrics["auc_dialogue_only"] < metrics["auc"]
    assert metrics["brier"] < 0.21  # the base rate alone scores 0.21
    assert sum(row["n"] for row in metrics["calibration"]) == 1000


def test_committed_model_card_meets_targets() -> None:
    import json

    card = json.loads((RISK_DIR / "model_card.json").read_text())
    served = card["candidates"][card["served"]]
    assert served["auc"] >= 0.78 and served["brier"] <= 0.18
    assert set(card["protected_attributes_excluded"]).isdisjoint(card["features"])
    assert (RISK_DIR / "MODEL_CARD.md").read_text().startswith("# Credit-risk model card")


def test_credit_scorer_reuses_an_assessment_only_for_the_same_applicant() -> None:
    """The gateway's cache: a hit without a model call for an unchanged applicant, a miss for
    a changed field, copies out (a caller's edit cannot change the cache), and a bounded size."""
    from finadvisor.common.v1 import common_pb2
    from finadvisor.services.gateway.credit import CreditScorer

    scorer = CreditScorer(CreditRiskModel.load(RISK_DIR), cache_size=2)
    slots = {"loan_amount": "15000", "currency": "EUR", "loan_purpose": "car", "loan_term_months": "36",
             "monthly_income": "4200", "monthly_debt": "300", "employment_status": "employed",
             "employment_years": "7", "age": "38", "dependents": "1", "housing": "rent"}

    def state(**changes: str) -> common_pb2.DialogueState:
        return common_pb2.DialogueState(slots={k: common_pb2.SlotValue(value=v)
                                               for k, v in {**slots, **changes}.items()})

    assert scorer.cached_state(state(), {}) is None
    first = scorer.assess_state(state(), {})
    hit = scorer.cached_state(state(), {})
    assert hit == first and hit.decision
    hit.decision = "edited"
    assert scorer.cached_state(state(), {}) == first  # the cache kept its own copy
    assert scorer.cached_state(state(monthly_income="2000"), {}) is None  # another applicant
    poorer = scorer.assess_state(state(monthly_income="2000"), {})
    assert poorer.probability_of_default >= first.probability_of_default
    scorer.assess_state(state(age="60"), {})  # a third applicant pushes out the oldest
    assert scorer.cached_state(state(), {}) is None
    assert scorer.cached_state(state(monthly_income="2000"), {}) == poorer
