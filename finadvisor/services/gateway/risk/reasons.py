"""Reason codes: stable codes and plain-English words for adverse-action notices.

Each model feature has one code. The description states the applicant's own situation (the
value they have), never a generic claim that might be false for them; a feature the model had
to treat as unknown gets the same code with ``_UNKNOWN`` and says that the information was not
provided. Policy reasons (affordability) have codes of their own. Codes never change meaning;
new ones get new numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """One factor that pushed the assessment toward decline.

    ``contribution``: for model factors, how much the log-odds of default would fall if this
    feature took its most favourable value (larger = stronger); for policy factors, how far the
    request exceeds the policy limit, relative to the limit.
    """

    code: str
    description: str
    contribution: float

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "description": self.description,
                "contribution": round(self.contribution, 6)}


CODES: dict[str, str] = {
    "checking_status": "R01_CHECKING_ACCOUNT",
    "credit_history": "R02_CREDIT_HISTORY",
    "instalment_burden": "R03_HIGH_INSTALMENT_BURDEN",
    "loan_term_months": "R04_LONG_LOAN_TERM",
    "loan_amount": "R05_HIGH_LOAN_AMOUNT",
    "savings_status": "R06_SAVINGS",
    "employment": "R07_EMPLOYMENT",
    "loan_purpose": "R08_LOAN_PURPOSE",
    "housing": "R09_HOUSING",
    "age": "R10_AGE",
    "existing_credits": "R11_EXISTING_CREDITS",
    "dependents": "R12_DEPENDENTS",
    "other_instalment_plans": "R13_OTHER_INSTALMENT_PLANS",
    "guarantor": "R14_NO_GUARANTOR",
    "property": "R15_PROPERTY",
}
DTI_ABOVE_CAP = "R20_DEBT_TO_INCOME_ABOVE_CAP"
AFFORDABILITY_UNKNOWN = "R21_AFFORDABILITY_NOT_VERIFIED"
OVERALL_RISK = "R99_OVERALL_RISK"

_UNKNOWN_WORDS: dict[str, str] = {
    "checking_status": "the status of the current account",
    "credit_history": "the credit history",
    "instalment_burden": "income and existing monthly debt",
    "loan_term_months": "the repayment term",
    "loan_amount": "the loan amount",
    "savings_status": "savings",
    "employment": "employment status and length of employment",
    "loan_purpose": "the purpose of the loan",
    "housing": "the housing situation",
    "age": "the applicant's age",
    "existing_credits": "the number of existing credits",
    "dependents": "the number of dependants",
    "other_instalment_plans": "other instalment plans",
    "guarantor": "a guarantor or co-applicant",
    "property": "property held",
}

_VALUE_WORDS: dict[str, dict[str, str]] = {
    "checking_status": {
        "no_account": "No current account with the bank",
        "negative": "Current account is overdrawn",
        "low": "Current account balance is low",
        "high": "Current account balance",
    },
    "credit_history": {
        "no_credits": "Limited credit history (no credits taken)",
        "all_paid_here": "Credit history at this bank",
        "existing_paid": "Existing credits still being repaid",
        "past_delay": "Delays in repaying credit in the past",
        "critical": "Critical account or credits at other lenders",
    },
    "savings_status": {
        "none": "No savings known to the bank",
        "low": "Savings are low",
        "medium": "Savings are moderate",
        "high": "Level of savings",
        "very_high": "Level of savings",
    },
    "loan_purpose": {
        "car": "Purpose of the loan (car)",
        "renovation": "Purpose of the loan (home improvement or furnishing)",
        "education": "Purpose of the loan (education)",
        "business": "Purpose of the loan (business)",
        "other": "Purpose of the loan",
    },
    "housing": {
        "own": "Housing situation",
        "rent": "Applicant rents their home",
        "living_with_family": "Applicant lives with family or rent-free",
    },
    "other_instalment_plans": {
        "none": "Other instalment plans",
        "bank": "Other instalment plans with banks",
        "stores": "Other instalment plans with stores",
    },
    "guarantor": {
        "none": "No guarantor or co-applicant",
        "guarantor": "Guarantor arrangement",
        "co_applicant": "Co-applicant arrangement",
    },
    "property": {
        "real_estate": "Property held as security",
        "savings_insurance": "No real estate held as security",
        "car_or_other": "Little property held as security (car or other)",
        "none": "No property held as security",
    },
}

_EMPLOYMENT_WORDS = {
    0: "Applicant is not in employment",
    1: "Less than one year in present employment",
    2: "Fewer than four years in present employment",
    3: "Fewer than seven years in present employment",
    4: "Length of present employment",
}


def describe(feature: str, value: object) -> tuple[str, str]:
    """(code, description) for one feature at the applicant's value (NaN/None = unknown)."""
    code = CODES[feature]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{code}_UNKNOWN", f"No information was provided on {_UNKNOWN_WORDS[feature]}"
    if feature in _VALUE_WORDS:
        return code, _VALUE_WORDS[feature].get(str(value), _UNKNOWN_WORDS[feature].capitalize())
    if feature == "employment":
        return code, _EMPLOYMENT_WORDS.get(int(float(value)), "Length of present employment")
    words = {
        "loan_amount": "Requested loan amount is high",
        "loan_term_months": "Requested repayment term is long",
        "instalment_burden": "Monthly instalment is high relative to disposable income",
        "age": "Applicant's age group shows higher repayment risk in our data",
        "existing_credits": "Number of existing credits with the bank",
        "dependents": "Number of people financially dependent on the applicant",
    }
    return code, words[feature]


def dti_reason(dti: float | None, cap: float) -> Reason:
    excess = 1.0 if dti is None else max(dti / cap - 1.0, 0.0)
    return Reason(
        DTI_ABOVE_CAP,
        f"Debt payments including the new instalment would exceed {cap:.0%} of income",
        excess,
    )


def affordability_unknown_reason() -> Reason:
    return Reason(
        AFFORDABILITY_UNKNOWN,
        "Affordability could not be verified: income, existing debt, amount or term not provided",
        0.0,
    )


def overall_risk_reason(pd_: float) -> Reason:
    return Reason(OVERALL_RISK, "Overall risk of the application is above the bank's limit", pd_)
