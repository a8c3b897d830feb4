"""A seeded simulator of multi-turn financial advisory dialogues.

Why a simulator: no dialogue data can be downloaded, and every model of finadvisor must be
trained here, reproducibly. A user with a sampled goal (a loan, a credit card, an investment or
savings) talks to an advisor whose replies follow a deterministic policy of (user intent, state
after the turn, modality, next slot to ask), realised by a delexicalised template picked by the
seeded RNG among a few paraphrases; so a sequence-to-sequence generator can learn it.

User turns are rendered from templates (see ``templates``) with varied surface forms: digits,
words, shorthand, currency symbols/codes/words, yearly incomes, durations in years or months,
typos and casing. Each user turn carries its intent, slot annotations with character spans and
canonical values, the modality (payslip, chart, voice note) and the whole state after the turn.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

from finadvisor.corpus.numbers import int_to_words
from finadvisor.corpus.ontology import format_decimal, modality_facts
from finadvisor.corpus.splits import templates_for
from finadvisor.corpus.templates import (
    ADVISOR_TEMPLATES,
    CURRENCY_SURFACES,
    CURRENCY_WEIGHTS,
    EMPLOYERS,
    EMPLOYMENT_SURFACES,
    GENERIC_FALLBACK,
    HOUSING_SURFACES,
    PRODUCT_SURFACES,
    PURPOSE_NOUN,
    PURPOSE_VERB,
    REQUEST_TEMPLATES,
    RISK_ADJ,
    RISK_BARE,
    USER_TEMPLATES,
)
from finadvisor.dialogue.affordability import MAX_DEBT_SHARE, affordability

_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}|\[([^\]]+)\]\((\w+)=([^)]*)\)")
_DELEX = re.compile(r"\[(\w+)\]")
_MARK = re.compile(r"\[([^\]]+)\]")

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


# --------------------------------------------------------------------------- surface forms
def _digits(v: int) -> str:
    return str(v)


def _amount_number(v: int, rng: random.Random) -> str:
    """One surface of an amount: 15000, 15,000, 15k, 15K, fifteen thousand, 1.2 million..."""
    styles = ["digits", "digits", "comma", "comma", "comma"]
    if v % 1000 == 0 and 1000 <= v < 1_000_000:
        styles += ["k", "k", "K", "thousand", "words", "words"]
    elif v % 50 == 0 and v < 1_000_000:
        styles += ["words"]
    if v >= 1_000_000 and v % 100_000 == 0:
        styles += ["million", "million", "m"]
    style = rng.choice(styles)
    if style == "digits":
        return str(v)
    if style == "comma":
        return f"{v:,}"
    if style == "k":
        return f"{v // 1000}k"
    if style == "K":
        return f"{v // 1000}K"
    if style == "thousand":
        return f"{v // 1000} thousand"
    if style == "words":
        return int_to_words(v, hyphen=rng.random() < 0.8)
    millions = format_decimal(Decimal(v) / Decimal(1_000_000))
    if style == "m":
        return f"{millions}{rng.choice(['m', 'M'])}"
    return f"{millions} million"


def _currency_word(code: str, rng: random.Random) -> str:
    codes, words, _symbol = CURRENCY_SURFACES[code]
    return rng.choice(codes + words + words)


class _Renderer:
    """Fills one user template; returns the text and its slot annotations."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def render(
        self, template: str, values: dict[str, str], show_currency: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        rng = self.rng
        text = ""
        slots: list[dict[str, Any]] = []
        pos = 0
        typo_prone = rng.random() < 0.25
        for m in _PLACEHOLDER.finditer(template):
            text += self._literal(template[pos : m.start()], typo_prone)
            pos = m.end()
            if m.group(3) is not None:  # [words](slot=value)
                start = len(text)
                text += m.group(3)
                slots.append({"slot": m.group(4), "value": m.group(5), "start": start, "end": len(text)})
                continue
            slot, form = m.group(1), m.group(2) or ""
            piece, anns = self._slot(slot, form, values, show_currency)
            if slot in ("loan_amount", "investment_amount", "monthly_income", "monthly_debt"):
                show_currency = show_currency and not any(a["slot"] == "currency" for a in anns)
            base = len(text)
            text += piece
            for a in anns:
                slots.append({**a, "start": a["start"] + base, "end": a["end"] + base})
        text += self._literal(template[pos:], typo_prone)
        return text, slots

    def _literal(self, piece: str, typo_prone: bool) -> str:
        if not typo_prone or not piece:
            return piece
        words = piece.split(" ")
        out = []
        for w in words:
            if len(w) >= 4 and w.isalpha() and self.rng.random() < 0.15:
                w = _typo(w, self.rng)
            out.append(w)
        return " ".join(out)

    def _marked(self, surface: str, slot: str, value: str) -> tuple[str, list[dict[str, Any]]]:
        """Strip ``[...]`` marks; the marked part (or the whole) is the annotated span."""
        m = _MARK.search(surface)
        plain = _MARK.sub(lambda x: x.group(1), surface)
        if m is None:
            return plain, [{"slot": slot, "value": value, "start": 0, "end": len(plain)}]
        start = m.start()
        end = start + len(m.group(1))
        return plain, [{"slot": slot, "value": value, "start": start, "end": end}]

    def _slot(
        self, slot: str, form: str, values: dict[str, str], show_currency: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        rng = self.rng
        value = values[slot]
        if slot == "product":
            return self._marked(rng.choice(PRODUCT_SURFACES[value]), slot, value)
        if slot == "loan_purpose":
            table = PURPOSE_VERB if form == "verb" else PURPOSE_NOUN
            return self._marked(rng.choice(table[value]), slot, value)
        if slot == "employment_status":
            return self._marked(rng.choice(EMPLOYMENT_SURFACES[value]), slot, value)
        if slot == "housing":
            return self._marked(rng.choice(HOUSING_SURFACES[value]), slot, value)
        if slot == "risk_tolerance":
            table = RISK_ADJ if form == "adj" else RISK_BARE
            return self._marked(rng.choice(table[value]), slot, value)
        if slot == "currency":
            return self._marked(_currency_word(value, rng), slot, value)
        if slot in ("loan_amount", "investment_amount", "monthly_income", "monthly_debt"):
            shown = int(Decimal(value) * 12) if form == "yearly" else int(Decimal(value))
            return self._amount(slot, value, shown, values.get("currency") if show_currency else None)
        if slot == "loan_term_months":
            months = int(value)
            if months % 12 == 0 and rng.random() < 0.6:
                text = self._count(months // 12, "year")
            else:
                text = self._count(months, "month")
            return text, [{"slot": slot, "value": value, "start": 0, "end": len(text)}]
        if slot in ("employment_years", "investment_horizon_years"):
            text = self._count(int(value), "year")
            return text, [{"slot": slot, "value": value, "start": 0, "end": len(text)}]
        if slot in ("age", "dependents"):
            n = int(value)
            text = int_to_words(n, hyphen=rng.random() < 0.8) if rng.random() < 0.3 else str(n)
            return text, [{"slot": slot, "value": value, "start": 0, "end": len(text)}]
        raise KeyError(f"no renderer for slot {slot!r}")

    def _count(self, n: int, unit: str) -> str:
        number = int_to_words(n) if self.rng.random() < 0.25 else str(n)
        if unit == "year" and self.rng.random() < 0.1:
            return f"{number} yrs"
        return f"{number} {unit}{'' if n == 1 else 's'}"

    def _amount(
        self, slot: str, value: str, shown: int, currency: str | None
    ) -> tuple[str, list[dict[str, Any]]]:
        rng = self.rng
        number = _amount_number(shown, rng)
        if currency is None:
            return number, [{"slot": slot, "value": value, "start": 0, "end": len(number)}]
        codes, words, symbol = CURRENCY_SURFACES[currency]
        styles = ["code_after", "word_after", "word_after"]
        if number[0].isdigit():
            styles += ["code_before"] + (["symbol", "symbol", "symbol"] if symbol else [])
        style = rng.choice(styles)
        if style == "symbol":
            cur, text = symbol, f"{symbol}{number}"
            return text, [
                {"slot": "currency", "value": currency, "start": 0, "end": len(cur)},
                {"slot": slot, "value": value, "start": len(cur), "end": len(text)},
            ]
        if style == "code_before":
            cur = rng.choice(codes)
            text = f"{cur} {number}"
            return text, [
                {"slot": "currency", "value": currency, "start": 0, "end": len(cur)},
                {"slot": slot, "value": value, "start": len(cur) + 1, "end": len(text)},
            ]
        cur = rng.choice(codes) if style == "code_after" else rng.choice(words)
        text = f"{number} {cur}"
        return text, [
            {"slot": slot, "value": value, "start": 0, "end": len(number)},
            {"slot": "currency", "value": currency, "start": len(number) + 1, "end": len(text)},
        ]


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swap two neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double a letter


def _casing(text: str, rng: random.Random, spoken: bool) -> str:
    """Lower/upper/sentence case and end punctuation; never changes character offsets."""
    if spoken:
        return text.lower()
    r = rng.random()
    if r < 0.3:
        out = text.lower()
    elif r < 0.33:
        out = text.upper()
    elif r < 0.8:
        out = text[:1].upper() + text[1:]
    else:
        out = text
    return out if len(out) == len(text) else text


# --------------------------------------------------------------------------- goals
def _sample_goal(rng: random.Random) -> dict[str, str]:
    kind = rng.choices(["loan", "credit_card", "investment", "savings"], weights=[0.55, 0.15, 0.18, 0.12])[0]
    g: dict[str, str] = {"task": kind}
    g["currency"] = rng.choices(list(CURRENCY_WEIGHTS), weights=list(CURRENCY_WEIGHTS.values()))[0]
    g["monthly_income"] = str(rng.randrange(1200, 15001, 50) if rng.random() < 0.7 else rng.randrange(2, 13) * 500)
    g["monthly_debt"] = "0" if rng.random() < 0.25 else str(rng.randrange(50, 3001, 50))
    g["employment_status"] = rng.choices(
        ["employed", "self_employed", "unemployed", "retired", "student"], weights=[0.55, 0.2, 0.08, 0.1, 0.07]
    )[0]
    g["employment_years"] = str(rng.randint(1, 35))
    g["age"] = str(rng.randint(18, 78))
    g["dependents"] = "0" if rng.random() < 0.3 else str(rng.randint(1, 5))
    g["housing"] = rng.choice(["own", "rent", "living_with_family"])
    g["risk_tolerance"] = rng.choice(["low", "medium", "high"])
    g["investment_amount"] = str(
        rng.randrange(1000, 500_001, 1000) if rng.random() < 0.9 else rng.randrange(10, 31) * 100_000
    )
    g["investment_horizon_years"] = str(rng.randint(1, 30))
    if kind == "loan":
        product = rng.choices(["personal_loan", "mortgage", "auto_loan"], weights=[0.5, 0.25, 0.25])[0]
        g["product"] = product
        if product == "mortgage":
            g["loan_amount"] = str(rng.randrange(8, 160) * 10_000 if rng.random() < 0.7 else rng.randrange(10, 21) * 100_000)
            g["loan_term_months"] = str(rng.randint(10, 35) * 12)
            g["loan_purpose"] = "home"
        elif product == "auto_loan":
            g["loan_amount"] = str(rng.randrange(5_000, 60_001, 500))
            g["loan_term_months"] = str(rng.choice([24, 36, 48, 60, 72]))
            g["loan_purpose"] = "car"
        else:
            g["loan_amount"] = str(rng.randrange(1_000, 50_001, 500))
            g["loan_term_months"] = str(rng.randrange(6, 85, 6))
            g["loan_purpose"] = rng.choice(
                ["car", "education", "business", "debt_consolidation", "renovation", "travel", "medical", "other"]
            )
    elif kind == "credit_card":
        g["product"] = "credit_card"
    elif kind == "investment":
        g["product"] = "investment"
    else:
        g["product"] = "savings_account"
    return g


def _new_value(slot: str, old: str, rng: random.Random) -> str:
    """A different, plausible value for a correction."""
    for _ in range(20):
        if slot == "loan_amount":
            v = str(int(Decimal(old) * Decimal(rng.choice(["0.5", "0.8", "1.2", "1.5", "2"])) // 500 * 500) or 1000)
        elif slot == "investment_amount":
            v = str(int(Decimal(old) * Decimal(rng.choice(["0.5", "2", "1.5"])) // 1000 * 1000) or 1000)
        elif slot == "monthly_income":
            v = str(rng.randrange(1200, 15001, 50))
        elif slot == "age":
            v = str(rng.randint(18, 78))
        elif slot == "dependents":
            v = str(rng.randint(1, 5))
        elif slot == "loan_term_months":
            v = str(rng.choice([12, 24, 36, 48, 60, 72, 84, 120, 240, 300]))
        else:
            return old
        if v != old:
            return v
    return old


# --------------------------------------------------------------------------- dialogues
class _Dialogue:
    def __init__(self, rng: random.Random, templates: dict[str, list[tuple[str, str]]]) -> None:
        self.rng = rng
        self.templates = templates
        self.goal = _sample_goal(rng)
        self.state: dict[str, str] = {}
        self.turns: list[dict[str, Any]] = []
        self.task: str | None = None
        self.renderer = _Renderer(rng)

    # -- user side
    def user(self, group: str, modality: dict[str, Any] | None = None, values: dict[str, str] | None = None) -> str:
        rng = self.rng
        intent = USER_TEMPLATES[group][0]
        tid, template = rng.choice(self.templates[group])
        vals = {**self.goal, **(values or {})}
        show_currency = ("currency" not in self.state and rng.random() < 0.55) or rng.random() < 0.1
        text, slots = self.renderer.render(template, vals, show_currency)
        if modality is None and rng.random() < 0.08:
            modality = {"kind": "audio"}
        spoken = bool(modality) and modality.get("kind") == "audio"
        text = _casing(text, rng, spoken)
        if not spoken and rng.random() < 0.25:
            text += rng.choice([".", "?", "!", " please."]) if not text.endswith(("?", ".", "!")) else ""
        slots.sort(key=lambda s: s["start"])
        for s in slots:
            self.state[s["slot"]] = s["value"]
        for fact in modality_facts(modality):
            self.state[fact["slot"]] = fact["value"]
        self.turns.append(
            {
                "speaker": "user",
                "text": text,
                "intent": intent,
                "slots": slots,
                "modality": modality,
                "state": dict(self.state),
                "template_id": tid,
            }
        )
        self.task = infer_task(self.state, intent, self.task)
        self.advisor(intent, modality)
        return intent

    # -- advisor side
    def advisor(self, intent: str, modality: dict[str, Any] | None) -> str:
        """The dialogue manager's acts for this turn, worded by a template paraphrase drawn
        from the advisor's own seeded stream (the user side never depends on it)."""
        from finadvisor.dialogue import acts as dialogue_acts
        from finadvisor.dialogue.realise import realise as realise_acts

        if not hasattr(self, "advisor_rng"):
            self.advisor_rng = random.Random(repr(sorted(self.goal.items())))
            self.previous_acts: list[list[Any]] = []
        user = self.turns[-1] if self.turns else {}
        spoken = dict(modality or {})
        if spoken.get("kind") == "audio":
            spoken["transcript"] = str(user.get("text", ""))
        acts = advisor_acts(intent, self.state, spoken, self.previous_acts, self.advisor_rng)
        self.previous_acts.append(acts)
        delex, text = realise_acts(acts, self.advisor_rng)
        act = "+".join(a.name for a in acts)
        self.turns.append({"speaker": "advisor", "act": act, "acts": dialogue_acts.to_dicts(acts),
                           "delex": delex, "text": text})
        return act

    # -- scenario
    def run(self) -> list[dict[str, Any]]:
        rng, goal = self.rng, self.goal
        task = goal["task"]
        if rng.random() < 0.5:
            self.user("greet")
        if rng.random() < 0.12:
            self.user(rng.choice(["ask_rate.bare", "ask_rate.product"]))
        self.user(self._opening(task))
        side_done: set[str] = set()
        corrected = False
        payslip_used = False
        for _ in range(40):
            nxt = next_slot(self.task, self.state)
            if nxt is None:
                break
            r = rng.random()
            if r < 0.02 and "human" not in side_done:
                self.user("request_human")
                if rng.random() < 0.5:
                    self.user("goodbye")
                return self.turns
            if r < 0.05 and "oos" not in side_done:
                side_done.add("oos")
                self.user("out_of_scope")
                continue
            if r < 0.08 and "chart" not in side_done:
                side_done.add("chart")
                self.user("ask_about_chart", modality=_chart(rng))
                continue
            if r < 0.1 and "rate" not in side_done:
                side_done.add("rate")
                self.user("ask_rate.product" if "product" in self.state else "ask_rate.bare")
                continue
            if r < 0.12 and "doc" not in side_done:
                side_done.add("doc")
                kind = rng.choice(["bank_statement", "id_document"])
                self.user(f"upload_document.{kind}", modality=_document(kind, goal, rng))
                continue
            if not corrected and "loan_amount" in self.state and r < 0.25:
                corrected = True
                new = _new_value("loan_amount", self.state["loan_amount"], rng)
                self.goal["loan_amount"] = new
                self.user(rng.choice(["correct.loan_amount.bare", "correct.loan_amount"]), values={"loan_amount": new})
                continue
            if nxt == "monthly_income" and not payslip_used and rng.random() < 0.25:
                payslip_used = True
                self.user("upload_document.payslip", modality=_payslip(goal, rng))
                continue
            self.user(self._answer(nxt))
        else:
            return self.turns
        # confirmation, possibly a correction, then the offer
        if rng.random() < 0.2:
            self.user("deny")
            fixable = [
                s for s in ("loan_amount", "monthly_income", "age", "loan_term_months", "dependents", "investment_amount")
                if s in self.state and not (s == "dependents" and self.state[s] == "0")
            ]
            if fixable:
                slot = rng.choice(fixable)
                new = _new_value(slot, self.state[slot], rng)
                self.goal[slot] = new
                self.user(f"correct.{slot}", values={slot: new})
        self.user("affirm")
        if rng.random() < 0.6:
            self.user("thank")
        if rng.random() < 0.7:
            self.user("goodbye")
        return self.turns

    def _opening(self, task: str) -> str:
        rng = self.rng
        if task == "loan":
            return rng.choice(
                [
                    "apply_loan.bare", "apply_loan.product", "apply_loan.amount", "apply_loan.amount_purpose",
                    "apply_loan.purpose", "apply_loan.product_amount", "apply_loan.product_amount_term",
                    "apply_loan.amount_term", "ask_eligibility.bare", "ask_eligibility.product",
                    "ask_eligibility.amount",
                ]
            )
        if task == "credit_card":
            return rng.choice(["apply_loan.product", "ask_eligibility.product", "ask_eligibility.product_income"])
        if task == "investment":
            return rng.choice(
                [
                    "ask_investment_advice.bare", "ask_investment_advice.amount",
                    "ask_investment_advice.amount_horizon", "ask_investment_advice.product",
                ]
            )
        return rng.choice(["ask_savings_advice.bare", "ask_savings_advice.income", "ask_savings_advice.product"])

    def _answer(self, slot: str) -> str:
        """The template group a user answers a request for ``slot`` with."""
        rng = self.rng
        goal = self.goal
        if rng.random() < 0.3:
            needed = set(TASK_SLOTS[self.task or "loan"])
            combos = []
            for g in sorted(self.templates):
                if not (g.startswith("inform.") and "+" in g):
                    continue
                parts = g[len("inform."):].split("+")
                if slot in parts and all(
                    p in needed and p not in self.state and goal.get(p) != "0" for p in parts
                ):
                    combos.append(g)
            if combos:
                return rng.choice(combos)
        if slot in ("monthly_debt", "dependents") and goal[slot] == "0":
            return f"inform.{slot}.zero"
        if slot == "monthly_income" and rng.random() < 0.35:
            return "inform.monthly_income.yearly"
        return f"inform.{slot}"


def _chart(rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "image",
        "image_type": rng.choice(["line_chart", "bar_chart", "pie_chart"]),
        "chart_trend": rng.choice(["rising", "falling", "flat", "volatile"]),
    }


def _payslip(goal: dict[str, str], rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "image",
        "image_type": "payslip",
        "fields": {
            "net_pay": goal["monthly_income"],
            "currency": goal["currency"],
            "period": "monthly",
            "employer": rng.choice(EMPLOYERS),
        },
    }


def _document(kind: str, goal: dict[str, str], rng: random.Random) -> dict[str, Any]:
    if kind == "bank_statement":
        return {
            "kind": "image",
            "image_type": "bank_statement",
            "fields": {"balance": str(rng.randrange(100, 50_000, 10)), "currency": goal["currency"]},
        }
    return {"kind": "image", "image_type": "id_document", "fields": {}}


def simulate(n_dialogues: int, seed: int = 0, split: str = "train") -> list[dict[str, Any]]:
    """``n_dialogues`` dialogues of ``split``, identical for the same (seed, split).

    Each split draws from its own seeded stream and, for test, from the held-out templates only.
    """
    if n_dialogues < 0:
        raise ValueError("n_dialogues must be >= 0")
    templates = templates_for(split)
    rng = random.Random(f"finadvisor-corpus/{seed}/{split}")
    dialogues: list[dict[str, Any]] = []
    for i in range(n_dialogues):
        d = _Dialogue(rng, templates)
        dialogues.append({"dialogue_id": f"{split}-{i:05d}", "split": split, "turns": d.run()})
    return dialogues
