"""The simulated advisor: the task a dialogue is about, the next slot to ask, the dialogue
manager's acts with the findings and credit outcome the services would have given, and the
delexicalised wording of the first simulator's acts (``realise``).

Part of the seeded corpus simulator (``simulator``); the advisor draws from its own random
stream, so the user side does not depend on it.
"""

from __future__ import annotations

import random
import re
from typing import Any

from finadvisor.corpus.templates import ADVISOR_TEMPLATES, GENERIC_FALLBACK, REQUEST_TEMPLATES
from finadvisor.dialogue.affordability import MAX_DEBT_SHARE, affordability

_DELEX = re.compile(r"\[(\w+)\]")

#: Slots the advisor collects for each task, in the order it asks for them.
TASK_SLOTS: dict[str, tuple[str, ...]] = {
    "loan": (
        "product",
        "loan_amount",
        "currency",
        "loan_term_months",
        "loan_purpose",
        "monthly_income",
        "monthly_debt",
        "employment_status",
        "employment_years",
        "age",
        "dependents",
        "housing",
    ),
    "credit_card": ("monthly_income", "currency", "monthly_debt", "employment_status", "age", "housing"),
    "investment": ("investment_amount", "currency", "investment_horizon_years", "risk_tolerance", "age"),
    "savings": ("monthly_income", "currency", "monthly_debt", "dependents"),
}
PRODUCT_TASK: dict[str, str] = {
    "personal_loan": "loan",
    "mortgage": "loan",
    "auto_loan": "loan",
    "credit_card": "credit_card",
    "investment": "investment",
    "savings_account": "savings",
}
INTENT_TASK: dict[str, str] = {
    "apply_loan": "loan",
    "ask_eligibility": "loan",
    "ask_investment_advice": "investment",
    "ask_savings_advice": "savings",
}


# --------------------------------------------------------------------------- advisor policy
def infer_task(state: dict[str, str], intent: str, previous: str | None) -> str | None:
    """The task a dialogue is about: from the product if known, else from the task intent."""
    product = state.get("product")
    if product in PRODUCT_TASK:
        return PRODUCT_TASK[product]
    return INTENT_TASK.get(intent, previous)


def next_slot(task: str | None, state: dict[str, str]) -> str | None:
    """First slot of the task still missing (skipping those that do not apply)."""
    if task is None:
        return None
    for slot in TASK_SLOTS[task]:
        if slot in state:
            continue
        if slot == "loan_purpose" and state.get("product") not in (None, "personal_loan"):
            continue
        if slot == "employment_years" and state.get("employment_status") not in ("employed", "self_employed"):
            continue
        return slot
    return None


def advisor_acts(intent: str, state: dict[str, str], modality: dict[str, Any] | None,
                 previous: list[list[Any]], rng: random.Random) -> list[Any]:
    """The advisor's acts for a user turn: what the dialogue manager (``finadvisor.dialogue``)
    decides, with the simulated findings and credit assessment the services would have given.

    ``rng`` (the advisor's own stream, so the user side does not depend on it) draws what the
    simulator cannot know: a chart's measured change, a voice transcript's confidence, a value
    the understanding was unsure of, and the credit outcome.
    """
    from finadvisor.dialogue.manager import Candidate, DialogueManager, Turn

    modality = modality or {}
    kind = modality.get("kind")
    image_type = str(modality.get("image_type", "")) if kind == "image" else ""
    trend = str(modality.get("chart_trend") or "") if image_type else ""
    change = None
    if trend and rng.random() < 0.7:
        low, high = {"rising": (4, 80), "falling": (-60, -4), "flat": (-3, 3),
                     "volatile": (-25, 25)}[trend]
        change = float(rng.randint(low, high))
    fields = {k: str(v) for k, v in (modality.get("fields") or {}).items()} if image_type else {}
    confidence = None
    if kind == "audio":
        confidence = rng.choice([rng.uniform(0.15, 0.49), rng.uniform(0.55, 0.99),
                                 rng.uniform(0.55, 0.99), rng.uniform(0.55, 0.99)])
    candidates: list[Any] = []
    if intent == "inform" and rng.random() < 0.05:
        slot = rng.choice(["monthly_debt", "monthly_income", "age", "dependents", "loan_amount"])
        value = rng.choice([str(rng.randrange(50, 5000, 50)), str(rng.randint(200, 990))])
        if slot == "age":
            value = rng.choice([str(rng.randint(18, 80)), str(rng.randint(120, 400))])
        if slot == "dependents":
            value = rng.choice([str(rng.randint(1, 6)), str(rng.randint(30, 90))])
        if state.get(slot) != value:
            candidates.append(Candidate(slot, value, round(rng.uniform(0.3, 0.6), 2)))
    manager = DialogueManager()
    task = manager.task(Turn(intent=intent, slots=dict(state), previous_acts=previous))
    return manager.decide(Turn(
        intent=intent, slots=dict(state), previous_acts=previous, image_type=image_type,
        image_fields=fields, chart_trend=trend, trend_change_percent=change,
        changed_slots=["monthly_income"] if fields.get("net_pay") else [],
        text_source="audio" if kind == "audio" else "text",
        transcript=str(modality.get("transcript", "")), transcript_confidence=confidence,
        candidates=candidates, credit=simulated_credit(intent, state, task, rng)))


#: Intents on which the gateway scores a complete application (as its credit scorer does).
_CREDIT_INTENTS = frozenset({"apply_loan", "ask_eligibility", "inform", "upload_document",
                             "affirm", "ask_rate"})
_CREDIT_REQUIRED = ("loan_amount", "loan_term_months", "monthly_income", "monthly_debt")


def simulated_credit(intent: str, state: dict[str, str], task: str | None,
                     rng: random.Random) -> Any:
    """A credit outcome as the gateway's models would give it, from the affordability rule:
    approve within the debt-to-income cap, refer a little above it or when the bank still needs
    something, decline well above it; reasons in plain words with the applicant's figures."""
    from finadvisor.dialogue.manager import CreditView

    if task != "loan" or intent not in _CREDIT_INTENTS or \
            not all(state.get(s) for s in _CREDIT_REQUIRED):
        return None
    aff = affordability(state)
    currency = state.get("currency", "")
    instalment = aff.get("monthly_instalment", "")
    try:
        income = float(state["monthly_income"])
        burden = (float(state["monthly_debt"]) + float(instalment or 0)) / max(income, 1.0)
    except ValueError:
        return None
    pct = int(round(burden * 100))
    if rng.random() < 0.15:
        needs = rng.sample(["age", "employment_status", "proof_of_income", "credit_history",
                            "housing"], rng.randint(1, 2))
        return CreditView("refer", "we do not have everything we need to decide yet", needs,
                          instalment, currency)
    if burden <= MAX_DEBT_SHARE:
        return CreditView("approve", "", (), instalment, currency)
    reason = rng.choice([
        f"your repayments would take {pct}% of your monthly income of {state['monthly_income']} "
        f"{currency}",
        f"all your repayments together would come to {pct}% of your income",
        f"the new instalment of {instalment} {currency} on top of your current repayments is "
        f"more than our limit of {int(MAX_DEBT_SHARE * 100)}% of your income",
    ])
    if burden <= 0.5:
        return CreditView("refer", reason, (), instalment, currency)
    return CreditView("decline", reason, (), instalment, currency)


def advisor_act(intent: str, state: dict[str, str], modality: dict[str, Any] | None, task: str | None) -> str:
    """The first simulator's advisor act for a user turn; composite acts join parts with '+'.

    Kept for reference and older callers; the simulated advisor now speaks the dialogue
    manager's acts (``advisor_acts``).
    """
    nxt = next_slot(task, state)
    follow = f"request_{nxt}" if nxt else ("how_can_i_help" if task is None else None)

    def with_follow(act: str) -> str:
        return f"{act}+{follow}" if follow else act

    if intent == "greet":
        return "greet"
    if intent == "goodbye":
        return "goodbye"
    if intent == "thank":
        return "welcome"
    if intent == "request_human":
        return "handoff"
    if intent == "deny":
        return "ask_correction"
    if intent == "out_of_scope":
        return with_follow("out_of_scope")
    if intent == "ask_rate":
        product = state.get("product")
        act = f"inform_rate_{product}" if product else "inform_rate"
        return with_follow(act)
    if intent == "ask_about_chart" or (modality or {}).get("image_type") in ("line_chart", "bar_chart", "pie_chart"):
        trend = (modality or {}).get("chart_trend")
        return with_follow(f"describe_chart_{trend}" if trend else "describe_chart")
    if intent == "upload_document":
        if (modality or {}).get("image_type") == "payslip" and "monthly_income" in state:
            return with_follow("ack_payslip")
        return with_follow("ack_document")
    if nxt is not None:
        return f"request_{nxt}"
    if task is None:
        return "how_can_i_help"
    if intent == "affirm":
        if task == "investment":
            risk = state.get("risk_tolerance")
            return f"offer_investment_{risk}" if risk else "offer_investment"
        return f"offer_{task}"
    return f"confirm_{task}"


def realise(act: str, state: dict[str, str], rng: random.Random) -> tuple[str, str]:
    """(delex, text) of an act: a paraphrase whose placeholders the state can fill."""
    extra = affordability(state)
    known = set(state) | set(extra)
    parts: list[str] = []
    for part in act.split("+"):
        if part.startswith("request_"):
            variants = REQUEST_TEMPLATES[part[len("request_"):]]
        else:
            variants = ADVISOR_TEMPLATES.get(part, [GENERIC_FALLBACK])
        usable = [v for v in variants if set(_DELEX.findall(v)) <= known] or [GENERIC_FALLBACK]
        parts.append(rng.choice(usable))
    delex = " ".join(parts)
    values = {**state, **extra}
    text = _DELEX.sub(lambda m: values.get(m.group(1), m.group(0)), delex)
    return delex, text
