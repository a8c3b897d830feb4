"""Reason codes: stable codes and plain-English words for adverse-action notices.

Each model feature has one code. The description states the applicant's own situation (the
value they have), never a generic claim that might be false for them; a feature the model had
to treat as unknown gets the same code with ``_UNKNOWN`` and says that the information was not
provided. Policy reasons (affordability) have codes of their own. Codes never change meaning;
new ones get new numbers (R05, the raw loan amount, is retired: amounts enter the model only
relative to income, R16).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

#: What produced a reason (``common.v1.Reason.source``).
SOURCES = ("model", "policy", "domain", "missing")


@dataclass(frozen=True)
class Reason:
    """One factor that pushed the assessment toward decline (or kept it from an approval).

    ``contribution``: for model factors, how much the log-odds of default would fall if this
    feature took its most favourable value (larger = stronger); for policy factors, how far the
    request exceeds the policy limit, relative to the limit. ``source`` says what produced it
    (``SOURCES``), so a reader can tell a model factor from a documented rule, the model's
    validated range, or information that is still missing.
    """

    code: str
    description: str
    contribution: float
    source: str = "model"

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "description": self.description,
                "contribution": round(self.contribution, 6), "source": self.source}


CODES: dict[str, str] = {
    "checking_status": "R01_CHECKING_ACCOUNT",
    "credit_history": "R02_CREDIT_HISTORY",
    "instalment_burden": "R03_HIGH_INSTALMENT_BURDEN",
    "loan_term_months": "R04_LONG_LOAN_TERM",
    "loan_to_income": "R16_HIGH_LOAN_TO_INCOME",
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
ABOVE_UNSECURED_MAXIMUM = "R22_ABOVE_UNSECURED_MAXIMUM"
BELOW_MINIMUM_AGE = "R23_BELOW_MINIMUM_AGE"
NOT_IN_EMPLOYMENT = "R24_NOT_IN_EMPLOYMENT"
EMPLOYMENT_REVIEW = "R25_EMPLOYMENT_NEEDS_REVIEW"
SHORT_EMPLOYMENT = "R26_SHORT_EMPLOYMENT"
MORTGAGE_DSR_ABOVE_CAP = "R30_MORTGAGE_DEBT_SERVICE_ABOVE_CAP"
MORTGAGE_LTI_ABOVE_CAP = "R31_MORTGAGE_LOAN_TO_INCOME_ABOVE_CAP"
MORTGAGE_TERM_ABOVE_MAXIMUM = "R32_MORTGAGE_TERM_ABOVE_MAXIMUM"
MORTGAGE_ADVERSE_HISTORY = "R33_MORTGAGE_ADVERSE_CREDIT_HISTORY"
MORTGAGE_POLICY = "R34_MORTGAGE_AFFORDABILITY_POLICY"
OUTSIDE_MODEL_RANGE = "R40_OUTSIDE_MODEL_RANGE"
PRODUCT_OUTSIDE_MODEL = "R41_PRODUCT_OUTSIDE_MODEL"
CURRENCY_NOT_CONFIGURED = "R42_CURRENCY_NOT_CONFIGURED"
OVERALL_RISK = "R99_OVERALL_RISK"

_UNKNOWN_WORDS: dict[str, str] = {
    "checking_status": "the status of the current account",
    "credit_history": "the credit history",
    "instalment_burden": "income and existing monthly debt",
    "loan_term_months": "the repayment term",
    "loan_to_income": "the loan amount relative to income",
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


def percent(ratio: float) -> str:
    """A ratio as people write it in a notice: 0.523 -> "52 %"."""
    return f"{ratio * 100:.0f} %"


def money(amount: object, currency: str) -> str:
    """An amount as a notice writes it: 1774.2 -> "1,774 EUR"."""
    return f"{float(str(amount)):,.0f} {currency}"


def describe(
    feature: str, value: object, figures: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """(code, description) for one feature at the applicant's value (NaN/None = unknown).

    ``figures`` carries preformatted applicant figures a description states (the instalment
    and its share of disposable income), so the words name the applicant's own numbers.
    """
    figures = figures or {}
    code = CODES[feature]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{code}_UNKNOWN", f"No information was provided on {_UNKNOWN_WORDS[feature]}"
    if feature in _VALUE_WORDS:
        return code, _VALUE_WORDS[feature].get(str(value), _UNKNOWN_WORDS[feature].capitalize())
    if feature == "employment":
        return code, _EMPLOYMENT_WORDS.get(int(float(value)), "Length of present employment")
    v = float(value)  # type: ignore[arg-type]  # a numeric feature here (categorical ones returned above)
    if feature == "loan_term_months":
        return code, f"Repayment term of {v:.0f} months is long"
    if feature == "loan_to_income":
        return code, f"Loan is {v:.1f} times a year's disposable income"
    if feature == "instalment_burden":
        if "instalment" in figures and "instalment_share" in figures:
            return code, (f"Monthly instalment of {figures['instalment']} is "
                          f"{figures['instalment_share']} of disposable income")
        return code, "Monthly instalment is high relative to disposable income"
    if feature == "age":
        return code, (f"Applicant's age ({v:.0f}) is in a group with more repayment problems"
                      " in our data")
    if feature == "existing_credits":
        return code, f"{v:.0f} existing credits with the bank"
    if feature == "dependents":
        who = "One person" if v <= 1 else "Two or more people"
        return code, f"{who} financially dependent on the applicant"
    raise KeyError(feature)


# Words for what is still needed, by ontology slot or bank-profile item.
_NEED_WORDS: dict[str, str] = {
    "loan_amount": "the loan amount",
    "loan_term_months": "the repayment term",
    "monthly_income": "monthly income",
    "monthly_debt": "existing monthly debt payments",
    "age": "the applicant's age",
    "employment_status": "employment status",
    "employment_years": "the length of present employment",
    "loan_purpose": "the purpose of the loan",
    "housing": "the housing situation",
    "dependents": "the number of dependants",
    **{name: words for name, words in _UNKNOWN_WORDS.items() if name in CODES},
}
_NEED_CODES: dict[str, str] = {
    "loan_amount": AFFORDABILITY_UNKNOWN,
    "loan_term_months": AFFORDABILITY_UNKNOWN,
    "monthly_income": AFFORDABILITY_UNKNOWN,
    "monthly_debt": AFFORDABILITY_UNKNOWN,
    "employment_status": f"{CODES['employment']}_UNKNOWN",
    "employment_years": f"{CODES['employment']}_UNKNOWN",
}


def need_reasons(needs: list[str]) -> list[Reason]:
    """One ``missing`` reason per code for the items still needed, in the order given.

    Items sharing a code (income and debt both feed affordability) share one reason that
    names them all: "Needed before a final decision: monthly income, existing monthly debt".
    """
    grouped: dict[str, list[str]] = {}
    for item in needs:
        code = _NEED_CODES.get(item) or f"{CODES.get(item, 'R00_' + item.upper())}_UNKNOWN"
        grouped.setdefault(code, []).append(_NEED_WORDS.get(item, item.replace("_", " ")))
    return [Reason(code, "Needed before a final decision: " + ", ".join(words), 0.0, "missing")
            for code, words in grouped.items()]


def dti_reason(dti: float | None, cap: float, instalment: str = "") -> Reason:
    """The affordability cap, stating the applicant's own debt-to-income after the loan."""
    if dti is None:
        return Reason(DTI_ABOVE_CAP, "No disposable income: debt payments use all of the income",
                      1.0, "policy")
    with_new = f" including the new instalment of {instalment}" if instalment else ""
    return Reason(
        DTI_ABOVE_CAP,
        f"Debt-to-income {percent(dti)}{with_new}, above the {percent(cap)} cap",
        max(dti / cap - 1.0, 0.0),
        "policy",
    )


def above_unsecured_maximum_reason(amount: str, maximum: str) -> Reason:
    return Reason(ABOVE_UNSECURED_MAXIMUM,
                  f"Requested {amount}, above the largest unsecured loan of {maximum}",
                  0.0, "policy")


def below_minimum_age_reason(age: int, minimum: int) -> Reason:
    return Reason(BELOW_MINIMUM_AGE,
                  f"Applicant aged {age}, below the minimum age of {minimum}", 1.0, "policy")


def employment_reason(status: str, declined: bool) -> Reason:
    words = status.replace("_", " ")
    if declined:
        return Reason(NOT_IN_EMPLOYMENT,
                      f"Applicant is {words}: the policy requires income from employment,"
                      " self-employment or a pension", 1.0, "policy")
    return Reason(EMPLOYMENT_REVIEW,
                  f"Applicant is a {words}: the policy refers such applications to an"
                  " underwriter", 0.0, "policy")


def short_employment_reason(years: float, minimum: float, self_employed: bool) -> Reason:
    what = "self-employed for" if self_employed else "in present employment"
    return Reason(SHORT_EMPLOYMENT,
                  f"{what.capitalize()} {_duration(years)}, under the {_duration(minimum)}"
                  " the policy requires", 0.0, "policy")


def _duration(years: float) -> str:
    if years < 1:
        months = round(years * 12)
        return f"{months} month" + ("" if months == 1 else "s")
    return f"{years:g} year" + ("" if years == 1 else "s")


def mortgage_policy_reason(dsr: float | None, dsr_cap: float, lti: float | None, lti_cap: float,
                           rate: float) -> Reason:
    """The mortgage decision's own figures (what the mortgage policy measured)."""
    dsr_words = "debt service ratio not known" if dsr is None else (
        f"debt service ratio {percent(dsr)} (cap {percent(dsr_cap)})")
    lti_words = "loan-to-income not known" if lti is None else (
        f"loan-to-income {lti:.1f} times annual income (cap {lti_cap:g})")
    return Reason(MORTGAGE_POLICY,
                  f"Mortgage assessed by the mortgage affordability policy at {rate:g} %:"
                  f" {dsr_words}, {lti_words}", 0.0, "policy")


def mortgage_dsr_reason(dsr: float, cap: float, payment: str) -> Reason:
    return Reason(MORTGAGE_DSR_ABOVE_CAP,
                  f"Debt service ratio {percent(dsr)} including the mortgage payment of"
                  f" {payment}, above the {percent(cap)} cap", max(dsr / cap - 1, 0.0), "policy")


def mortgage_lti_reason(lti: float, cap: float) -> Reason:
    return Reason(MORTGAGE_LTI_ABOVE_CAP,
                  f"Loan {lti:.1f} times annual income, above the cap of {cap:g} times",
                  max(lti / cap - 1, 0.0), "policy")


def mortgage_term_reason(months: int, maximum: int) -> Reason:
    return Reason(MORTGAGE_TERM_ABOVE_MAXIMUM,
                  f"Mortgage term of {months} months, above the policy's maximum of {maximum}",
                  0.0, "policy")


def mortgage_history_reason(history: str) -> Reason:
    words = _VALUE_WORDS["credit_history"].get(history, history)
    return Reason(MORTGAGE_ADVERSE_HISTORY,
                  f"{words}: mortgages with this credit history go to an underwriter",
                  0.0, "policy")


def outside_range_reason(what: str) -> Reason:
    return Reason(OUTSIDE_MODEL_RANGE,
                  f"Outside the validated range of the model: {what}", 0.0, "domain")


def product_outside_model_reason(product: str) -> Reason:
    return Reason(PRODUCT_OUTSIDE_MODEL,
                  f"Outside the validated range of the model: the model was not built for"
                  f" {product.replace('_', ' ')} applications", 0.0, "domain")


def currency_reason(currency: str) -> Reason:
    return Reason(CURRENCY_NOT_CONFIGURED,
                  f"Amounts in {currency} cannot be checked against the policy's limits:"
                  " the currency is not in the bank's currency table", 0.0, "domain")


def affordability_unknown_reason() -> Reason:
    return Reason(
        AFFORDABILITY_UNKNOWN,
        "Affordability could not be verified: income, existing debt, amount or term not provided",
        0.0,
        "missing",
    )


def overall_risk_reason(pd_: float) -> Reason:
    return Reason(OVERALL_RISK,
                  f"Estimated probability of default {percent(pd_)}, above the bank's limit",
                  pd_, "model")
