"""The v1 ontology of DESIGN.md as constants, plus the facts an attachment contributes.

One module owns the intent and slot names so the simulator, the loader's validation and the
understanding models cannot drift apart.
"""

from __future__ import annotations

from typing import Any

INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "apply_loan",
    "ask_eligibility",
    "inform",
    "ask_rate",
    "ask_investment_advice",
    "ask_savings_advice",
    "upload_document",
    "ask_about_chart",
    "request_human",
    "out_of_scope",
)

#: Slots whose canonical value is a plain decimal number (no separators).
AMOUNT_SLOTS: tuple[str, ...] = ("loan_amount", "investment_amount", "monthly_income", "monthly_debt")
#: Slots whose canonical value is a plain (integer or decimal) number of units.
COUNT_SLOTS: tuple[str, ...] = (
    "loan_term_months",
    "employment_years",
    "age",
    "dependents",
    "investment_horizon_years",
)
NUMERIC_SLOTS: tuple[str, ...] = AMOUNT_SLOTS + COUNT_SLOTS

#: Slots with a closed set of canonical values (currency is open-ended ISO 4217, listed apart).
CATEGORICAL_VALUES: dict[str, tuple[str, ...]] = {
    "product": (
        "personal_loan",
        "mortgage",
        "auto_loan",
        "credit_card",
        "savings_account",
        "investment",
    ),
    "loan_purpose": (
        "car",
        "home",
        "education",
        "business",
        "debt_consolidation",
        "renovation",
        "travel",
        "medical",
        "other",
    ),
    "employment_status": ("employed", "self_employed", "unemployed", "retired", "student"),
    "housing": ("own", "rent", "living_with_family"),
    "risk_tolerance": ("low", "medium", "high"),
}

SLOTS: tuple[str, ...] = (
    "product",
    "loan_amount",
    "investment_amount",
    "monthly_income",
    "monthly_debt",
    "currency",
    "loan_term_months",
    "loan_purpose",
    "employment_status",
    "employment_years",
    "age",
    "dependents",
    "investment_horizon_years",
    "housing",
    "risk_tolerance",
)

#: Extra placeholders an advisor template may use, filled from the credit assessment.
ADVISOR_EXTRA_PLACEHOLDERS: tuple[str, ...] = ("monthly_instalment", "max_affordable_amount")

IMAGE_TYPES: tuple[str, ...] = (
    "payslip",
    "bank_statement",
    "id_document",
    "line_chart",
    "bar_chart",
    "pie_chart",
    "other",
)
CHART_TYPES: tuple[str, ...] = ("line_chart", "bar_chart", "pie_chart")
CHART_TRENDS: tuple[str, ...] = ("rising", "falling", "flat", "volatile")
SOURCES: tuple[str, ...] = ("text", "image", "audio", "backend")


def modality_facts(modality: dict[str, Any] | None) -> list[dict[str, str]]:
    """Slot facts an attachment contributes, as ``[{"slot", "value", "source"}]``.

    Why here: the simulator annotates the state with them and the evaluation replays them, so
    both must agree. A payslip's net pay is monthly income (a yearly figure is divided by 12);
    its currency fills ``currency``. Charts and other documents contribute no slot.
    """
    if not modality or modality.get("kind") != "image":
        return []
    if modality.get("image_type") != "payslip":
        return []
    fields = modality.get("fields") or {}
    facts: list[dict[str, str]] = []
    net = fields.get("net_pay")
    if net:
        from decimal import Decimal, InvalidOperation

        try:
            amount = Decimal(str(net))
        except InvalidOperation:
            amount = None
        if amount is not None:
            if fields.get("period") == "yearly":
                amount = amount / 12
            facts.append({"slot": "monthly_income", "value": format_decimal(amount), "source": "image"})
    if fields.get("currency"):
        facts.append({"slot": "currency", "value": str(fields["currency"]).upper(), "source": "image"})
    return facts


def format_decimal(value: Any) -> str:
    """Canonical plain-number form: no exponent, no separators, at most 2 decimals, no trailing 0."""
    from decimal import ROUND_HALF_UP, Decimal

    d = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
