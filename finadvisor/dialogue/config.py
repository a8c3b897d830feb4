"""The bank's side of the conversation, as configuration: which slots each task needs, in the
order the bank asks for them, which of them are confirmed before an assessment, and the
published rates an advisor may quote.

Why configuration and not code: a bank changes its question order or the facts it confirms
without touching the manager's rules (``DialogueConfig`` is a plain frozen dataclass; a bank
builds its own and passes it to ``DialogueManager``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Slots collected for each task, in the order the bank asks for them. Loans start from the
#: purpose: the catalogue turns a purpose into a product (car -> auto loan, home -> mortgage,
#: anything else -> personal loan), so the product itself is never asked for.
TASK_SLOTS: dict[str, tuple[str, ...]] = {
    "loan": (
        "loan_purpose", "loan_amount", "currency", "loan_term_months", "monthly_income",
        "monthly_debt", "employment_status", "employment_years", "age", "dependents", "housing",
    ),
    "credit_card": ("monthly_income", "currency", "monthly_debt", "employment_status", "age",
                    "housing"),
    "investment": ("investment_amount", "currency", "investment_horizon_years", "risk_tolerance"),
    "savings": ("monthly_income", "currency", "monthly_debt"),
}
#: What the reply repeats back before an assessment or an offer.
CONFIRM_SLOTS: dict[str, tuple[str, ...]] = {
    "loan": ("loan_amount", "currency", "loan_term_months", "monthly_income", "monthly_debt"),
    "credit_card": ("monthly_income", "currency", "monthly_debt"),
    "investment": ("investment_amount", "currency", "investment_horizon_years", "risk_tolerance"),
    "savings": ("monthly_income", "currency", "monthly_debt"),
}
PRODUCT_TASK: dict[str, str] = {
    "personal_loan": "loan", "mortgage": "loan", "auto_loan": "loan",
    "credit_card": "credit_card", "investment": "investment", "savings_account": "savings",
}
INTENT_TASK: dict[str, str] = {
    "apply_loan": "loan", "ask_eligibility": "loan",
    "ask_investment_advice": "investment", "ask_savings_advice": "savings",
}
#: The product a task offers when the customer named none.
TASK_PRODUCT: dict[str, str] = {
    "loan": "personal_loan", "credit_card": "credit_card", "investment": "investment",
    "savings": "savings_account",
}
#: Published annual rates in percent (the bank's rate table; the compliance policy lists the
#: same figures as the only ones a reply may carry that are not the customer's own).
PUBLISHED_RATES: dict[str, str] = {
    "personal_loan": "6.9", "auto_loan": "5.9", "mortgage": "4.5", "credit_card": "19.9",
    "savings_account": "3.1",
}
#: Below this transcript confidence a voice note is read back before it is acted on. The voice
#: service calibrates ``transcript_confidence``; its own LOW threshold wins when it ships one.
LOW_TRANSCRIPT_CONFIDENCE = 0.5
#: Plausible ranges of numeric slots: a value outside is "impossible" and checked with the
#: customer rather than used (``check_value``).
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "age": (16, 110), "dependents": (0, 15), "loan_term_months": (1, 480),
    "employment_years": (0, 70), "investment_horizon_years": (0, 80),
    "loan_amount": (1, 1e9), "investment_amount": (1, 1e9), "monthly_income": (0, 1e8),
    "monthly_debt": (0, 1e8),
}


#: A question asked this many times and still unanswered (passed over, declined) is not asked
#: again: the customer has chosen not to answer it, and the credit assessment names what it
#: still needs.
MAX_ASKS = 3


@dataclass(frozen=True)
class DialogueConfig:
    task_slots: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(TASK_SLOTS))
    confirm_slots: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(CONFIRM_SLOTS))
    rates: Mapping[str, str] = field(default_factory=lambda: dict(PUBLISHED_RATES))
    low_transcript_confidence: float = LOW_TRANSCRIPT_CONFIDENCE
    plausible: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(PLAUSIBLE))
    max_asks: int = MAX_ASKS

    def applies(self, slot: str, state: Mapping[str, str]) -> bool:
        """Whether ``slot`` is asked in this state (some slots only make sense for some answers)."""
        if slot == "loan_purpose":
            # A mortgage or a car loan says its purpose; only a personal loan (or a loan of no
            # product yet) needs it.
            return state.get("product") in (None, "", "personal_loan")
        if slot == "employment_years":
            return state.get("employment_status") in ("employed", "self_employed")
        return True

    def missing(self, task: str | None, state: Mapping[str, str]) -> list[str]:
        """The task's slots still missing, in the bank's order."""
        if task is None:
            return []
        return [s for s in self.task_slots.get(task, ())
                if not str(state.get(s, "")).strip() and self.applies(s, state)]


def default_low_transcript_confidence() -> float:
    """The voice service's calibrated LOW threshold when it is installed, else ours."""
    try:
        from finadvisor.services.voice import confidence  # type: ignore[attr-defined]  # optional module: absent, the ImportError below
    except ImportError:
        return LOW_TRANSCRIPT_CONFIDENCE
    for name in ("LOW_CONFIDENCE", "LOW_TRANSCRIPT_CONFIDENCE", "LOW"):
        value = getattr(confidence, name, None)
        if isinstance(value, (int, float)):
            return float(value)
    return LOW_TRANSCRIPT_CONFIDENCE
