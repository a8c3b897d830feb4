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

The parts: ``advisor`` (the advisor's policy and acts), ``surface`` (how a user turn is worded),
this module (goals, the dialogue loop, attachments and ``simulate``).
"""


from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from finadvisor.corpus.advisor import TASK_SLOTS, advisor_acts, infer_task, next_slot
from finadvisor.corpus.ontology import modality_facts
from finadvisor.corpus.splits import templates_for
from finadvisor.corpus.surface import Renderer, casing
from finadvisor.corpus.templates import CURRENCY_WEIGHTS, EMPLOYERS, USER_TEMPLATES


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
        self.renderer = Renderer(rng)

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
        text = casing(text, rng, spoken)
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
