"""The credit model's feature schema, and applicants built from dialogue slots and bank profiles.

Every model feature is tied to the dialogue slots (DESIGN.md ontology) or the bank profile
attributes that feed it, so one schema serves training (German Credit columns mapped in
``dataset.py``) and scoring (canonical slot strings). Unknown values are never turned into a
zero: a feature the applicant did not give is NaN, the models have an explicit place for it
(a "missing" bin in the scorecard, native missing-value splits in the gradient-boosted model),
and the assessment lists it in ``missing_features``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Literal

import numpy as np
import pandas as pd

from finadvisor.ontology import CATEGORICAL_VALUES
from finadvisor.shared.errors import InvalidInputError

Kind = Literal["numeric", "categorical"]
Source = Literal["dialogue", "profile"]


@dataclass(frozen=True)
class FeatureSpec:
    """One model feature.

    ``monotone``: +1 when a larger value may never lower the probability of default, -1 when
    it may never raise it, 0 when unconstrained (numeric features only). ``inputs`` names the
    slots or profile keys that feed the feature, so a missing feature can be traced back to
    what the dialogue still has to ask.
    """

    name: str
    kind: Kind
    source: Source
    inputs: tuple[str, ...]
    categories: tuple[str, ...] = ()
    monotone: int = 0


PURPOSE_GROUPS: tuple[str, ...] = ("car", "renovation", "education", "business", "other")

# German purpose -> the ontology's loan_purpose value the model learns it as.
PURPOSE_GROUP_OF_GERMAN: dict[str, str] = {
    "car (new)": "car",
    "car (used)": "car",
    "furniture/equipment": "renovation",
    "repairs": "renovation",
    "domestic appliances": "renovation",
    "radio/television": "other",
    "education": "education",
    "retraining": "education",
    "business": "business",
    "others": "other",
}

# Ontology loan_purpose -> model purpose group. Purposes without a counterpart in the training
# data (home purchase, debt consolidation, travel, medical) are scored as "other".
PURPOSES: dict[str, str] = {
    "car": "car",
    "home": "other",
    "education": "education",
    "business": "business",
    "debt_consolidation": "other",
    "renovation": "renovation",
    "travel": "other",
    "medical": "other",
    "other": "other",
}

EMPLOYMENT_STATUSES = CATEGORICAL_VALUES["employment_status"]
HOUSING = CATEGORICAL_VALUES["housing"]
CHECKING_STATUSES = ("no_account", "negative", "low", "high")
CREDIT_HISTORIES = ("no_credits", "all_paid_here", "existing_paid", "past_delay", "critical")
SAVINGS_STATUSES = ("none", "low", "medium", "high", "very_high")
OTHER_INSTALMENT_PLANS = ("none", "bank", "stores")
GUARANTORS = ("none", "guarantor", "co_applicant")
PROPERTIES = ("real_estate", "savings_insurance", "car_or_other", "none")
PRODUCTS = CATEGORICAL_VALUES["product"]

# No feature is a raw currency amount: German Credit's amounts are 1970s Deutsche Mark, so a
# 17,000 EUR car loan would read as an extreme DM amount. Amounts enter only relative to income
# and term (instalment burden, loan to annual disposable income), which read the same in any
# currency and decade.
FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("loan_term_months", "numeric", "dialogue", ("loan_term_months",), monotone=+1),
    FeatureSpec(
        "loan_to_income",
        "numeric",
        "dialogue",
        ("loan_amount", "monthly_income", "monthly_debt"),
        monotone=+1,
    ),
    FeatureSpec(
        "instalment_burden",
        "numeric",
        "dialogue",
        ("loan_amount", "loan_term_months", "monthly_income", "monthly_debt"),
        monotone=+1,
    ),
    # Older never raises the PD: age may only ever count in an older applicant's favour.
    FeatureSpec("age", "numeric", "dialogue", ("age",), monotone=-1),
    FeatureSpec("employment", "numeric", "dialogue", ("employment_status", "employment_years")),
    FeatureSpec("dependents", "numeric", "dialogue", ("dependents",)),
    FeatureSpec("existing_credits", "numeric", "profile", ("existing_credits",)),
    FeatureSpec("loan_purpose", "categorical", "dialogue", ("loan_purpose",), PURPOSE_GROUPS),
    FeatureSpec("housing", "categorical", "dialogue", ("housing",), HOUSING),
    FeatureSpec(
        "checking_status", "categorical", "profile", ("checking_status",), CHECKING_STATUSES
    ),
    FeatureSpec("credit_history", "categorical", "profile", ("credit_history",), CREDIT_HISTORIES),
    FeatureSpec("savings_status", "categorical", "profile", ("savings_status",), SAVINGS_STATUSES),
    FeatureSpec(
        "other_instalment_plans",
        "categorical",
        "profile",
        ("other_instalment_plans",),
        OTHER_INSTALMENT_PLANS,
    ),
    FeatureSpec("guarantor", "categorical", "profile", ("guarantor",), GUARANTORS),
    FeatureSpec("property", "categorical", "profile", ("property",), PROPERTIES),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
PROFILE_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.source == "profile")
FEATURE_BY_NAME: dict[str, FeatureSpec] = {f.name: f for f in FEATURES}

# Slots the gateway needs before it scores an applicant without being asked: enough for the
# instalment, the affordability check and the instalment burden.
REQUIRED_SLOTS: tuple[str, ...] = (
    "loan_amount",
    "loan_term_months",
    "loan_purpose",
    "monthly_income",
    "monthly_debt",
)

MAX_VALUE_CHARS = 64
MAX_PROFILE_KEYS = 64
MAX_MONEY = Decimal("1000000000")


def ready_for_assessment(slots: Mapping[str, str]) -> bool:
    """True when every slot in REQUIRED_SLOTS holds a non-empty value."""
    return all(str(slots.get(name, "") or "").strip() for name in REQUIRED_SLOTS)


def _money(name: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInputError(f"{name} must be a plain decimal number, got {raw!r}") from None
    if not value.is_finite():
        raise InvalidInputError(f"{name} must be a finite number")
    if value < 0:
        raise InvalidInputError(f"{name} must not be negative")
    if value > MAX_MONEY:
        raise InvalidInputError(f"{name} is larger than {MAX_MONEY}")
    return value


def _positive_money(name: str, raw: str) -> Decimal:
    value = _money(name, raw)
    if value == 0:
        raise InvalidInputError(f"{name} must be greater than zero")
    return value


def _integer(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInputError(f"{name} must be a whole number, got {raw!r}") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidInputError(f"{name} must be a whole number, got {raw!r}")
    if not low <= value <= high:
        raise InvalidInputError(f"{name} must be between {low} and {high}, got {raw!r}")
    return int(value)


def _number(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(Decimal(raw))
    except InvalidOperation:
        raise InvalidInputError(f"{name} must be a plain number, got {raw!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidInputError(f"{name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def _choice(name: str, raw: str, allowed: tuple[str, ...] | Mapping[str, str]) -> str:
    value = raw.strip().lower()
    if value not in allowed:
        raise InvalidInputError(f"{name} must be one of {', '.join(allowed)}; got {raw!r}")
    return value


@dataclass(frozen=True)
class ApplicantFields:
    """An applicant as the credit model sees it; ``None`` means "not known", never zero."""

    loan_amount: Decimal | None = None
    loan_term_months: int | None = None
    loan_purpose: str | None = None
    age: int | None = None
    employment_years: float | None = None
    employment_status: str | None = None
    housing: str | None = None
    dependents: int | None = None
    monthly_income: Decimal | None = None
    monthly_debt: Decimal | None = None
    currency: str | None = None
    product: str | None = None
    checking_status: str | None = None
    credit_history: str | None = None
    savings_status: str | None = None
    existing_credits: int | None = None
    other_instalment_plans: str | None = None
    guarantor: str | None = None
    property: str | None = None

    @classmethod
    def from_slots(
        cls, slots: Mapping[str, str], profile: Mapping[str, str] | None = None
    ) -> ApplicantFields:
        """Build from canonical slot strings plus the bank profile.

        Profile values come first and dialogue slots override them (the customer's latest word
        wins, e.g. a corrected amount). Empty strings mean "unknown". Keys that are neither an
        ontology slot nor a known profile attribute are ignored. Raises InvalidInputError on a
        malformed or out-of-range value, naming the field.
        """
        profile = profile or {}
        if len(profile) > MAX_PROFILE_KEYS or len(slots) > MAX_PROFILE_KEYS:
            raise InvalidInputError(f"at most {MAX_PROFILE_KEYS} slots or profile attributes")
        merged: dict[str, str] = {}
        for source in (profile, slots):
            for key, value in source.items():
                text = "" if value is None else str(value)
                if len(text) > MAX_VALUE_CHARS:
                    raise InvalidInputError(f"{key} is longer than {MAX_VALUE_CHARS} characters")
                if text.strip():
                    merged[str(key)] = text.strip()
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, object] = {}
        for key, raw in merged.items():
            if key not in known:
                continue
            kwargs[key] = _PARSERS[key](raw)
        return cls(**kwargs)  # type: ignore[arg-type]  # each value parsed by its field's own parser

    def feature_row(self, burden_reference_rate: float, burden_band_edges: list[float]) -> dict:
        """The model's feature values (NaN where unknown) as one dict keyed by feature name."""
        nan = float("nan")
        row: dict[str, float | str] = {name: nan for name in FEATURE_NAMES}
        row["loan_to_income"] = loan_to_income(self)
        if self.loan_term_months is not None:
            row["loan_term_months"] = float(self.loan_term_months)
        row["instalment_burden"] = instalment_burden_band(
            self, burden_reference_rate, burden_band_edges
        )
        if self.age is not None:
            row["age"] = float(self.age)
        row["employment"] = employment_band(self.employment_status, self.employment_years)
        if self.dependents is not None:
            # The German data counts 1 or 2 people the applicant maintains.
            row["dependents"] = 1.0 if self.dependents <= 1 else 2.0
        if self.existing_credits is not None:
            row["existing_credits"] = float(max(1, min(self.existing_credits, 4)))
        if self.loan_purpose is not None:
            row["loan_purpose"] = PURPOSES[self.loan_purpose]
        for name in (
            "housing",
            "checking_status",
            "credit_history",
            "savings_status",
            "other_instalment_plans",
            "guarantor",
            "property",
        ):
            value = getattr(self, name)
            if value is not None:
                row[name] = value
        return row


def employment_band(status: str | None, years: float | None) -> float:
    """0 = not in employment, 1 = under a year, 2 = 1-4 years, 3 = 4-7 years, 4 = 7 or more.

    Unemployed applicants and students map to the German "unemployed" band. Retired applicants
    have no length of employment to report, so their band is unknown (NaN) rather than
    "unemployed": retirement must not count against anyone. Years without a status are taken
    as years in the present employment.
    """
    if status in ("unemployed", "student"):
        return 0.0
    if status == "retired" or years is None:
        return float("nan")
    if years < 1:
        return 1.0
    if years < 4:
        return 2.0
    if years < 7:
        return 3.0
    return 4.0


def annuity_payment(amount: Decimal, annual_rate_percent: float, months: int) -> Decimal:
    """Monthly instalment of a fully amortising loan: P * r / (1 - (1 + r)^-n), r monthly."""
    if months <= 0:
        raise InvalidInputError("loan_term_months must be positive")
    r = Decimal(str(annual_rate_percent)) / Decimal(1200)
    if r == 0:
        return amount / months
    return amount * r / (1 - (1 + r) ** -months)


def instalment_burden_band(
    applicant: ApplicantFields, reference_rate: float, edges: list[float]
) -> float:
    """The German "instalment rate in % of disposable income" band (1-4) of a dialogue.

    Disposable income is monthly income less existing monthly debt; the instalment is the
    annuity at the policy's reference rate. Bands: 1 below edges[0], 2 below edges[1], 3 below
    edges[2], 4 above (or no disposable income). NaN when any input is unknown.
    """
    a = applicant
    if None in (a.loan_amount, a.loan_term_months, a.monthly_income, a.monthly_debt):
        return float("nan")
    assert a.loan_amount is not None and a.loan_term_months is not None
    assert a.monthly_income is not None and a.monthly_debt is not None
    disposable = a.monthly_income - a.monthly_debt
    if disposable <= 0:
        return 4.0
    share = float(annuity_payment(a.loan_amount, reference_rate, a.loan_term_months) / disposable)
    return float(1 + int(np.searchsorted(np.asarray(edges), share, side="right")))


def disposable_income(applicant: ApplicantFields) -> Decimal | None:
    """Monthly income less existing monthly debt; None when either is unknown."""
    if applicant.monthly_income is None or applicant.monthly_debt is None:
        return None
    return applicant.monthly_income - applicant.monthly_debt


def loan_to_income(applicant: ApplicantFields, cap: float = 50.0) -> float:
    """Loan amount over a year of disposable income (NaN when unknown).

    Disposable income because German Credit's only income-relative attribute, the instalment
    rate, is a share of disposable income (``dataset.py`` derives this ratio from it). No
    disposable income reads as the ``cap``: the largest ratio, never a division by zero.
    """
    income = disposable_income(applicant)
    if applicant.loan_amount is None or income is None:
        return float("nan")
    if income <= 0:
        return cap
    return min(float(applicant.loan_amount / (12 * income)), cap)


def missing_features(row: Mapping[str, object]) -> list[str]:
    """Names of the features that are unknown in one feature row."""
    out = []
    for name in FEATURE_NAMES:
        value = row[name]
        if isinstance(value, float) and math.isnan(value):
            out.append(name)
    return out


def rows_to_frame(rows: list[dict]) -> pd.DataFrame:
    """Feature rows -> a frame with the schema's column order (categoricals as object)."""
    frame = pd.DataFrame(rows, columns=list(FEATURE_NAMES))
    for spec in FEATURES:
        if spec.kind == "numeric":
            frame[spec.name] = frame[spec.name].astype(float)
        else:
            frame[spec.name] = frame[spec.name].astype(object)
    return frame


def _currency(raw: str) -> str:
    value = raw.strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise InvalidInputError(f"currency must be an ISO 4217 code such as EUR, got {raw!r}")
    return value


_PARSERS = {
    "loan_amount": lambda s: _positive_money("loan_amount", s),
    "loan_term_months": lambda s: _integer("loan_term_months", s, 1, 480),
    "loan_purpose": lambda s: _choice("loan_purpose", s, PURPOSES),
    # Any real age parses; the minimum age for credit is a policy rule (a reasoned decline).
    "age": lambda s: _integer("age", s, 0, 120),
    "employment_years": lambda s: _number("employment_years", s, 0, 80),
    "employment_status": lambda s: _choice("employment_status", s, EMPLOYMENT_STATUSES),
    "housing": lambda s: _choice("housing", s, HOUSING),
    "dependents": lambda s: _integer("dependents", s, 0, 30),
    "monthly_income": lambda s: _money("monthly_income", s),
    "monthly_debt": lambda s: _money("monthly_debt", s),
    "currency": _currency,
    "product": lambda s: _choice("product", s, PRODUCTS),
    "checking_status": lambda s: _choice("checking_status", s, CHECKING_STATUSES),
    "credit_history": lambda s: _choice("credit_history", s, CREDIT_HISTORIES),
    "savings_status": lambda s: _choice("savings_status", s, SAVINGS_STATUSES),
    "existing_credits": lambda s: _integer("existing_credits", s, 0, 50),
    "other_instalment_plans": lambda s: _choice("other_instalment_plans", s, OTHER_INSTALMENT_PLANS),
    "guarantor": lambda s: _choice("guarantor", s, GUARANTORS),
    "property": lambda s: _choice("property", s, PROPERTIES),
}
