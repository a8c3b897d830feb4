"""How well the advisor keeps the thread: re-asks, checks, faithfulness, fallbacks.

Definitions (every figure of ``finadvisor eval --json``'s ``dialogue_*`` sections):

- **re-ask**: a reply re-asks when one of its acts asks for something the state already held
  when the reply was decided (the state after the customer's turn): ``request(slot=S)`` with S
  in the state; ``clarify``/``check_value(slot=S, value=V)`` with the state holding S = V; or a
  ``confirm`` whose arguments (the slots and their values) equal those of an earlier ``confirm``
  of the same dialogue (a summary repeated though nothing changed). The first summary before
  an assessment or an offer is not a re-ask. ``reask_rate`` = replies that re-ask / replies.
- **checks** (the hand-written sets' ``checks``): ``states_decision`` — the reply's acts carry
  ``inform_decision`` and, on anything but approve, its reason or what is needed, and the reply
  text says it (faithful to the reply's acts, so a question a request of the reply adds is no fault); ``answers_rate`` — the first act answers the rate question
  (``answer_rate``, or how investment returns work) and the reply shows the rate before any
  question; ``handoff`` — the only act is ``handoff`` and the reply asks nothing.
  ``checks_passed`` = passed / checks.
- **faithfulness**: share of replies the guard (``guard.problems``) finds faithful to their acts.
- **fallback_rate**: share of replies that are the acts' template realisation instead of the
  generated reply (a faithful beam alternative that replaced the greedy reply is not a fallback;
  the generator's ``finadvisor_generator_replies_total{outcome}`` metric counts each kind).

The hand-written sets run through the real stack in this process (``finadvisor.evaluation.
harness``: the gateway, the state service and the generator on loopback, a redis-server of its
own);
``dialogue_simulated`` runs the dialogue manager alone on 1,000 simulated dialogues whose slots
arrive in random orders and groupings (it measures the manager's rules, not understanding).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finadvisor.dialogue import guard
from finadvisor.dialogue.acts import Act, from_messages
from finadvisor.dialogue.config import TASK_SLOTS
from finadvisor.dialogue.manager import DialogueManager, Turn

MAX_DIALOGUE_LINE = 1 << 20


# --------------------------------------------------------------------------- the measures
def reasks(acts: Sequence[Act], state: Mapping[str, str],
           earlier: Sequence[Sequence[Act]]) -> list[str]:
    """The acts of one reply that re-ask (see the module docstring), as ``name(slot)``."""
    out: list[str] = []
    held = {k for k, v in state.items() if str(v).strip()}
    confirms = [dict(a.args) for acts_ in earlier for a in acts_ if a.name == "confirm"]
    for a in acts:
        if a.name == "request" and a.get("slot") in held:
            out.append(f"request({a.get('slot')})")
        elif a.name in ("clarify", "check_value") and state.get(a.get("slot")) == a.get("value"):
            out.append(f"{a.name}({a.get('slot')})")
        elif a.name == "confirm" and dict(a.args) in confirms:
            out.append("confirm(repeated)")
    return out


def check_reply(check: str, acts: Sequence[Act], reply: str) -> bool:
    """One ``checks`` entry of a hand-written dialogue (see the module docstring)."""
    low = reply.lower()
    if check == "states_decision":
        told = [a for a in acts if a.name == "inform_decision"]
        if not told:
            return False
        a = told[0]
        if a.get("decision") != "approve" and not (a.get("reason") or a.get("needs")):
            return False
        # faithful to the reply's acts: the decision is said, and a question after it is one a
        # request of the same reply asks (judged against the decision alone, it was "unasked")
        return guard.faithful(reply, list(acts))
    if check == "answers_rate":
        if not acts or not (acts[0].name == "answer_rate" or
                            (acts[0].name == "explain" and acts[0].get("topic") == "investment_returns")):
            return False
        if acts[0].name == "answer_rate":
            rate_at = low.find(f"{acts[0].get('rate')}%")
            question_at = low.find("?")
            return rate_at >= 0 and (question_at < 0 or rate_at < question_at)
        return True
    if check == "handoff":
        return [a.name for a in acts] == ["handoff"] and "?" not in reply
    raise ValueError(f"unknown check {check!r}")


@dataclass
class Tally:
    replies: int = 0
    reask_replies: int = 0
    faithful: int = 0
    fallbacks: int = 0
    checks: int = 0
    checks_ok: int = 0
    failed_checks: list[str] = field(default_factory=list)
    reask_examples: list[str] = field(default_factory=list)
    credit_expected: int = 0
    credit_given: int = 0
    trace: list[str] = field(default_factory=list)  # one line per turn (for reading, not reported)

    def summary(self) -> dict[str, Any]:
        n = max(self.replies, 1)
        return {
            "reask_rate": round(self.reask_replies / n, 4),
            "checks_passed": round(self.checks_ok / max(self.checks, 1), 4),
            "faithfulness": round(self.faithful / n, 4),
            "fallback_rate": round(self.fallbacks / n, 4),
            "replies": self.replies,
            "checks": self.checks,
            "failed_checks": self.failed_checks[:20],
            "reasks": self.reask_examples[:20],
            "credit_expected_and_given": f"{self.credit_given}/{self.credit_expected}",
        }


# --------------------------------------------------------------------------- hand-written sets
def read_dialogues(path: Path) -> list[dict[str, Any]]:
    out = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if len(line) > MAX_DIALOGUE_LINE:
                raise ValueError(f"{path}: line longer than {MAX_DIALOGUE_LINE} bytes")
            if line.strip():
                out.append(json.loads(line))
    return out


async def _play(dialogues: Sequence[Mapping[str, Any]], models_dir: Path) -> Tally:
    """Every dialogue through the real stack in this process (``finadvisor.evaluation.harness``:
    a redis-server of its own, the state service, the generator and the gateway on loopback)."""
    from finadvisor.evaluation.harness import play_dialogues_async
    from finadvisor.services.generator.policy import CompliancePolicy

    policy = CompliancePolicy.load()  # the replies' disclaimers are not part of the acts
    played = await play_dialogues_async(dialogues, models_dir=models_dir, with_generator=True,
                                        timeout_s=60.0)
    tally = Tally()
    for d, responses in zip(dialogues, played, strict=True):
        earlier: list[list[Act]] = []
        checks = {int(k): v for k, v in (d.get("checks") or {}).items()}
        credit_seen = False
        for i, (text, resp) in enumerate(zip(d.get("turns", []), responses)):
            acts = from_messages(resp.acts)
            state = {k: v.value for k, v in resp.state.slots.items()}
            reply = policy.without_disclaimers(resp.reply)
            tally.replies += 1
            bad = reasks(acts, state, earlier)
            if bad:
                tally.reask_replies += 1
                tally.reask_examples.append(f"{d.get('id')}#{i}: {', '.join(bad)}")
            if guard.faithful(reply, acts):
                tally.faithful += 1
            if resp.fallback:
                tally.fallbacks += 1
            credit_seen = credit_seen or resp.HasField("credit")
            if i in checks:
                tally.checks += 1
                if check_reply(checks[i], acts, reply):
                    tally.checks_ok += 1
                else:
                    tally.failed_checks.append(f"{d.get('id')}#{i} {checks[i]}: "
                                               f"{' + '.join(str(a) for a in acts)}")
            earlier.append(acts)
            tally.trace.append(
                f"{d.get('id')}#{i} [{resp.state.active_intent}] {text!r} -> "
                f"{' + '.join(str(a) for a in acts)} | credit={resp.credit.decision} | "
                f"{resp.reply}")
        if d.get("expect_credit"):
            tally.credit_expected += 1
            tally.credit_given += int(credit_seen)
    return tally


def evaluate_file(path: Path, models_dir: Path, trace: list[str] | None = None) -> dict[str, Any]:
    """One ``dialogue_*`` section over a JSONL file of hand-written dialogues (``trace``, when
    given, receives one line per turn)."""
    path = Path(path)
    if not path.is_file():
        return {"note": f"{path} not found; nothing measured"}
    dialogues = read_dialogues(path)
    tally = asyncio.run(_play(dialogues, Path(models_dir)))
    if trace is not None:
        trace.extend(tally.trace)
    return {**tally.summary(), "dialogues": len(dialogues), "source": str(path.name)}


# --------------------------------------------------------------------------- simulated
def _goal(rng: random.Random) -> tuple[str, dict[str, str]]:
    task = rng.choice(["loan", "loan", "loan", "credit_card", "investment", "savings"])
    product = {"loan": rng.choice(["personal_loan", "mortgage", "auto_loan", ""]),
               "credit_card": "credit_card", "investment": "investment",
               "savings": "savings_account"}[task]
    status = rng.choice(["employed", "self_employed", "retired", "student", "unemployed"])
    goal = {
        "loan_purpose": {"mortgage": "home", "auto_loan": "car"}.get(
            product, rng.choice(["car", "education", "business", "travel", "medical", "other"])),
        "loan_amount": str(rng.randrange(1000, 400_000, 500)), "currency": rng.choice(
            ["USD", "EUR", "GBP"]), "loan_term_months": str(rng.choice([12, 24, 36, 60, 240])),
        "monthly_income": str(rng.randrange(800, 15_000, 50)),
        "monthly_debt": str(rng.choice([0, 0, 150, 400, 1200])), "employment_status": status,
        "employment_years": str(rng.randint(0, 30)), "age": str(rng.randint(18, 80)),
        "dependents": str(rng.randint(0, 4)), "housing": rng.choice(["own", "rent",
                                                                     "living_with_family"]),
        "investment_amount": str(rng.randrange(1000, 100_000, 1000)),
        "investment_horizon_years": str(rng.randint(1, 30)),
        "risk_tolerance": rng.choice(["low", "medium", "high"]),
    }
    if product:
        goal["product"] = product
    return task, goal


def simulate_reasks(n_dialogues: int = 1000, seed: int = 0) -> dict[str, Any]:
    """``dialogue_simulated``: the manager alone, slots arriving in random orders and groups,
    with questions, thanks, uploads, out-of-scope turns and hand-offs mixed in."""
    from finadvisor.corpus.advisor import simulated_credit

    rng = random.Random(f"finadvisor-dialogue-eval/{seed}")
    manager = DialogueManager()
    tally = Tally()
    for _ in range(n_dialogues):
        task, goal = _goal(rng)
        wanted = [s for s in TASK_SLOTS[task] + ("product",) if s in goal]
        if task == "loan" and rng.random() < 0.5:
            wanted.append("loan_purpose")
        rng.shuffle(wanted)
        groups: list[list[str]] = []
        while wanted:
            k = rng.choice([1, 1, 1, 2, 2, 3, 4])
            groups.append(wanted[:k])
            wanted = wanted[k:]
        state: dict[str, str] = {}
        earlier: list[list[Act]] = []
        opener = {"loan": "apply_loan", "credit_card": "apply_loan",
                  "investment": "ask_investment_advice", "savings": "ask_savings_advice"}[task]
        script: list[tuple[str, list[str]]] = [(opener, groups[0])]
        for g in groups[1:]:
            r = rng.random()
            if r < 0.06:
                script.append((rng.choice(["ask_rate", "out_of_scope", "thank", "greet",
                                           "ask_eligibility", "ask_about_chart"]), []))
            script.append(("inform", g))
        script += [(rng.choice(["affirm", "ask_eligibility", "ask_rate", "thank"]), []),
                   ("affirm", []), ("goodbye", [])]
        if rng.random() < 0.03:
            script.insert(rng.randrange(1, len(script)), ("request_human", []))
        for intent, slots in script:
            changed = [s for s in slots if state.get(s) != goal[s]]
            state.update({s: goal[s] for s in slots})
            turn = Turn(intent=intent, slots=dict(state), changed_slots=changed,
                        previous_acts=list(earlier))
            turn = _with_credit(turn, simulated_credit(intent, state, manager.task(turn), rng))
            acts = manager.decide(turn)
            tally.replies += 1
            bad = reasks(acts, state, earlier)
            if bad:
                tally.reask_replies += 1
                tally.reask_examples.append(", ".join(bad))
            earlier.append(acts)
    out = tally.summary()
    return {"reask_rate": out["reask_rate"], "replies": out["replies"],
            "dialogues": n_dialogues, "reasks": out["reasks"]}


def _with_credit(turn: Turn, credit: Any) -> Turn:
    from dataclasses import replace

    return replace(turn, credit=credit) if credit is not None else turn


# --------------------------------------------------------------------------- entry point
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def evaluate_external(models_dir: Path, data_dir: Path) -> dict[str, dict[str, Any]]:
    """The ``dialogue_devset``, ``dialogue_handwritten`` and ``dialogue_simulated`` sections."""
    root = repo_root()
    out: dict[str, dict[str, Any]] = {}
    for name, path in (("dialogue_devset", root.parent / "shared" / "devset" / "dialogues.jsonl"),
                       ("dialogue_handwritten",
                        root / "tests" / "data" / "handwritten" / "dialogues.jsonl")):
        try:
            out[name] = evaluate_file(path, Path(models_dir))
        except Exception as exc:  # noqa: BLE001 - one broken set must not hide the others
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    out["dialogue_simulated"] = simulate_reasks(1000)
    return out
