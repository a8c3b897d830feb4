"""The German Credit training data, read from the copy committed with this package.

The CSV is checked against its sha256 before it is parsed, so a corrupted or swapped file can
never train the credit model silently. ``german_to_features`` maps the German attributes onto
the model's feature schema (which mirrors the dialogue slots and the bank profile); the
protected attributes (personal status and sex, foreign worker) are dropped here and never
reach a model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from finadvisor.services.gateway.risk.policy import Policy
from finadvisor.services.gateway.risk.schema import FEATURES, PURPOSE_GROUP_OF_GERMAN
from finadvisor.shared.artifacts import sha256_file
from finadvisor.shared.errors import ModelNotReadyError

GERMAN_CREDIT_CSV = Path(__file__).resolve().parent / "data" / "germancredit.csv"
GERMAN_CREDIT_SHA256 = "2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6"

# German attributes the model never sees: protected ones, and those with no dialogue or
# bank-profile counterpart.
PROTECTED_COLUMNS = ("personal_status_and_sex", "foreign_worker")

_CHECKING = {
    "no checking account": "no_account",
    "... < 0 DM": "negative",
    "0 <= ... < 200 DM": "low",
    "... >= 200 DM / salary assignments for at least 1 year": "high",
}
_HISTORY = {
    "no credits taken/ all credits paid back duly": "no_credits",
    "all credits at this bank paid back duly": "all_paid_here",
    "existing credits paid back duly till now": "existing_paid",
    "delay in paying off in the past": "past_delay",
    "critical account/ other credits existing (not at this bank)": "critical",
}
_SAVINGS = {
    "unknown/ no savings account": "none",
    "... < 100 DM": "low",
    "100 <= ... < 500 DM": "medium",
    "500 <= ... < 1000 DM": "high",
    "... >= 1000 DM": "very_high",
}
# Present employment since -> ordinal band (0 = not in employment ... 4 = seven years or more).
_EMPLOYMENT = {
    "unemployed": 0,
    "... < 1 year": 1,
    "1 <= ... < 4 years": 2,
    "4 <= ... < 7 years": 3,
    "... >= 7 years": 4,
}
_OTHER_PLANS = {"none": "none", "bank": "bank", "stores": "stores"}
_GUARANTOR = {"none": "none", "guarantor": "guarantor", "co-applicant": "co_applicant"}
_PROPERTY = {
    "real estate": "real_estate",
    "building society savings agreement/ life insurance": "savings_insurance",
    "car or other, not in attribute Savings account/bonds": "car_or_other",
    "unknown / no property": "none",
}
_HOUSING = {"own": "own", "rent": "rent", "for free": "living_with_family"}


def load_german_credit(path: Path = GERMAN_CREDIT_CSV) -> pd.DataFrame:
    """Read the raw CSV after checking its sha256 (raises ModelNotReadyError on a mismatch)."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotReadyError(f"training data missing: {path}")
    digest = sha256_file(path)
    if digest != GERMAN_CREDIT_SHA256:
        raise ModelNotReadyError(
            f"training data {path.name} does not match its sha256 ({digest[:12]}...);"
            " restore the committed copy"
        )
    frame = pd.read_csv(path)
    if len(frame) != 1000 or "creditability" not in frame.columns:
        raise ModelNotReadyError(f"training data {path.name} has an unexpected layout")
    return frame


def _mapped(series: pd.Series, table: dict, column: str) -> pd.Series:
    out = series.map(table)
    if out.isna().any():
        unknown = sorted(set(series[out.isna()].astype(str)))
        raise ModelNotReadyError(f"unexpected values in {column}: {unknown[:3]}")
    return out


# A representative instalment share of disposable income for each German instalment-rate band
# (bands: <20 %, 20-25 %, 25-35 %, >=35 %; see ``schema.instalment_burden_band``).
BAND_SHARE: dict[int, float] = {1: 0.15, 2: 0.225, 3: 0.30, 4: 0.40}


def implied_loan_to_income(
    band: pd.Series, months: pd.Series, rate_percent: float | None = None
) -> pd.Series:
    """Loan over a year of disposable income, implied by the instalment band and the term.

    German Credit records no income, only the instalment as a share of disposable income. With
    instalment = amount * a(n) (the annuity factor at ``rate_percent``, by default the policy's
    reference rate that also bands a dialogue's instalment burden), disposable
    income = instalment / share, so amount / (12 * income) = share / (12 * a(n)): the currency
    amount cancels, and the ratio is in units that travel. It is imputed from band midpoints,
    which the model card states.
    """
    if rate_percent is None:
        rate_percent = Policy.load().burden_reference_rate_percent
    share = band.astype(int).map(BAND_SHARE).astype(float)
    r = rate_percent / 1200
    factor = r / (1 - (1 + r) ** (-months.astype(float)))
    return share / (12 * factor)


def german_to_features(raw: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Map the raw German frame to (features, y, age).

    ``y`` is 1 for a bad credit (default), 0 for good; ``age`` is returned separately as well
    for the fairness report. The instalment rate (1-4, in % of disposable income) becomes the
    ``instalment_burden`` band; a dialogue's income, debt, amount and term map onto the same
    band (see ``schema.instalment_burden_band``). The credit amount itself (DM of the 1970s)
    is not a feature; ``loan_to_income`` is implied from the band and the term.
    """
    x = pd.DataFrame(index=raw.index)
    x["loan_term_months"] = raw["duration_in_month"].astype(float)
    x["instalment_burden"] = raw[
        "installment_rate_in_percentage_of_disposable_income"
    ].astype(float)
    x["loan_to_income"] = implied_loan_to_income(x["instalment_burden"], x["loan_term_months"])
    x["age"] = raw["age_in_years"].astype(float)
    x["employment"] = _mapped(
        raw["present_employment_since"], _EMPLOYMENT, "present_employment_since"
    ).astype(float)
    x["dependents"] = raw[
        "number_of_people_being_liable_to_provide_maintenance_for"
    ].astype(float)
    x["existing_credits"] = raw["number_of_existing_credits_at_this_bank"].astype(float)
    x["loan_purpose"] = _mapped(raw["purpose"], PURPOSE_GROUP_OF_GERMAN, "purpose")
    x["housing"] = _mapped(raw["housing"], _HOUSING, "housing")
    x["checking_status"] = _mapped(
        raw["status_of_existing_checking_account"], _CHECKING, "checking_status"
    )
    x["credit_history"] = _mapped(raw["credit_history"], _HISTORY, "credit_history")
    x["savings_status"] = _mapped(raw["savings_account_and_bonds"], _SAVINGS, "savings")
    x["other_instalment_plans"] = _mapped(
        raw["other_installment_plans"], _OTHER_PLANS, "other_installment_plans"
    )
    x["guarantor"] = _mapped(raw["other_debtors_or_guarantors"], _GUARANTOR, "guarantor")
    x["property"] = _mapped(raw["property"], _PROPERTY, "property")
    x = x[[f.name for f in FEATURES]]
    y = (raw["creditability"] == "bad").to_numpy(dtype=np.int64)  # (n,)
    age = raw["age_in_years"].to_numpy(dtype=float)  # (n,)
    return x, y, age


def training_frame(path: Path = GERMAN_CREDIT_CSV) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Checked CSV -> (features, y, age)."""
    return german_to_features(load_german_credit(path))
