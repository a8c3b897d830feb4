"""The compiled scoring path of the credit model gives what scikit-learn gives.

``CompiledRisk`` replaces ``CalibratedClassifierCV.predict_proba(rows_to_frame(rows))`` for the
estimator shapes ``training.make_estimator`` builds. Every check compares it with scikit-learn
itself: on the committed model, on models fitted here (both kinds, sigmoid and isotonic
calibration, one and several folds), whole assessments with and without it, and estimators of
other shapes, which must be left to scikit-learn.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from finadvisor.services.gateway.risk import ApplicantFields, CreditRiskModel
from finadvisor.services.gateway.risk.compiled import CompiledRisk, probe_rows
from finadvisor.services.gateway.risk.dataset import training_frame
from finadvisor.services.gateway.risk.estimators import MonotonicGBM, WOEScorecard
from finadvisor.services.gateway.risk.schema import FEATURES, rows_to_frame
from finadvisor.shared.paths import BUNDLED_MODELS_DIR


@pytest.fixture(scope="module")
def served() -> CreditRiskModel:
    return CreditRiskModel.load(BUNDLED_MODELS_DIR / "risk")


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    X, y, _ = training_frame()
    return X, y


def dialogue_rows(X: pd.DataFrame, n: int, seed: int) -> list[dict[str, Any]]:
    """Training rows as a dialogue knows them: features unknown at random (None or NaN), a
    few values no category has, and numbers off the training grid."""
    rng = np.random.default_rng(seed)
    rows = []
    for record in X.sample(n, random_state=seed).to_dict("records"):
        row: dict[str, Any] = {}
        for spec in FEATURES:
            value = record[spec.name]
            draw = rng.random()
            if draw < 0.25:
                value = None if draw < 0.1 else math.nan
            elif draw < 0.28:
                value = "something else" if spec.kind == "categorical" else value * 1.37 + 0.5
            elif spec.kind == "categorical":
                value = str(value)
            else:
                value = float(value)
            row[spec.name] = value
        rows.append(row)
    return rows


def sklearn_pd(estimator: Any, rows: list[dict[str, Any]]) -> np.ndarray:
    return estimator.predict_proba(rows_to_frame(rows))[:, 1]


def test_the_served_model_is_compiled_and_gives_the_same_floats(
        served: CreditRiskModel, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    compiled = CompiledRisk.build(served.estimator)
    assert compiled is not None
    assert served.compiled is not None
    for rows in (probe_rows(), dialogue_rows(data[0], 400, seed=1)):
        ours = compiled.predict_pd(rows)
        assert ours.shape == (len(rows),)
        assert np.array_equal(ours, sklearn_pd(served.estimator, rows))


@pytest.mark.parametrize(("kind", "method", "ensemble"), [
    ("gbm", "isotonic", True),
    ("gbm", "sigmoid", False),
    ("scorecard", "sigmoid", True),
    ("scorecard", "isotonic", False),
])
def test_fresh_models_of_both_kinds_give_the_same_floats(
        kind: str, method: str, ensemble: bool, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    base: Any = MonotonicGBM(max_iter=25, random_state=3) if kind == "gbm" else WOEScorecard()
    estimator = CalibratedClassifierCV(
        base, method=method, ensemble=ensemble,
        cv=StratifiedKFold(3, shuffle=True, random_state=3)).fit(X, y)
    compiled = CompiledRisk.build(estimator)
    assert compiled is not None
    assert len(compiled.parts) == (3 if ensemble else 1)
    rows = dialogue_rows(X, 300, seed=2)
    assert np.array_equal(compiled.predict_pd(rows), sklearn_pd(estimator, rows))


def test_other_shapes_are_left_to_scikit_learn(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    gbm = MonotonicGBM(max_iter=5).fit(X, y)
    assert CompiledRisk.build(gbm) is None  # not calibrated
    numeric = [spec.name for spec in FEATURES if spec.kind == "numeric"]
    logistic = CalibratedClassifierCV(LogisticRegression(max_iter=5000), cv=3).fit(
        X[numeric].fillna(0.0), y)
    assert CompiledRisk.build(logistic) is None  # another estimator


def test_assessments_are_the_same_with_and_without_the_compiled_path(
        served: CreditRiskModel) -> None:
    plain = CreditRiskModel(served.estimator, served.config, served.policy)
    plain.compiled = None  # scikit-learn answers every call
    applicants = []
    for amount, term, income, debt, age, housing in [
            ("3000", "24", "2500", "300", "35", "rent"),
            ("15000", "36", "4200", "300", "38", "rent"),
            ("40000", "84", "1800", "900", "22", "living_with_family"),
            ("8000", "12", "6000", "0", "61", "own"),
            ("20000", "60", "3100", "1200", "45", "rent")]:
        applicants.append({"loan_amount": amount, "loan_term_months": term,
                           "loan_purpose": "car", "monthly_income": income,
                           "monthly_debt": debt, "age": age, "housing": housing,
                           "employment_status": "employed", "employment_years": "4"})
    applicants.append({"loan_amount": "9000", "loan_term_months": "48"})  # most unknown
    profiles = [{}, {"checking_status": "low", "credit_history": "existing_paid",
                     "savings_status": "low", "existing_credits": "1"}]
    decisions = set()
    for slots in applicants:
        for profile in profiles:
            fields = ApplicantFields.from_slots(dict(slots), dict(profile))
            ours, theirs = served.assess(fields), plain.assess(fields)
            assert ours.to_dict() == theirs.to_dict()
            decisions.add(ours.decision)
    assert len(decisions) >= 2  # the cases reach more than one outcome
