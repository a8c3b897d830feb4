"""The advisor's illustrative affordability figures: what a reply may quote before the credit
model has spoken (``[monthly_instalment]``, ``[max_affordable_amount]``).

An annuity at an illustrative annual rate per product, and the share of net income that may go
to all debt repayments. The simulated advisor fills its replies with these figures and the
generator conditions on the same ones when it reads those dialogues, so the rule lives here, on
the serving side, once: the corpus simulator imports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from finadvisor.ontology import format_amount

#: Illustrative annual rates used to fill [monthly_instalment] and [max_affordable_amount].
ANNUAL_RATE: dict[str, float] = {"personal_loan": 0.069, "auto_loan": 0.059, "mortgage": 0.045}
#: Share of net income that may go to all debt repayments.
MAX_DEBT_SHARE: float = 0.35


def affordability(state: Mapping[str, str]) -> dict[str, str]:
    """[monthly_instalment] and [max_affordable_amount] from an annuity at an illustrative rate.

    ``state`` holds canonical slot strings; a figure whose inputs are missing is left out.
    """
    out: dict[str, str] = {}
    try:
        income = float(state.get("monthly_income", "nan"))
        debt = float(state.get("monthly_debt", "0"))
    except ValueError:
        return out
    product = state.get("product", "personal_loan")
    rate = ANNUAL_RATE.get(product, ANNUAL_RATE["personal_loan"]) / 12
    months = int(float(state.get("loan_term_months", "60") or 60))
    if "loan_amount" in state:
        principal = float(state["loan_amount"])
        instalment = principal * rate / (1 - (1 + rate) ** -months)
        out["monthly_instalment"] = format_amount(round(instalment))
    if not math.isnan(income):
        budget = max(0.0, income * MAX_DEBT_SHARE - debt)
        if product == "credit_card":
            limit = math.floor(budget * 3 / 100) * 100
        else:
            limit = math.floor(budget * (1 - (1 + rate) ** -months) / rate / 100) * 100
        out["max_affordable_amount"] = format_amount(limit)
    return out
