"""The dialogue manager: the advisor's acts for one turn, decided by explicit rules.

Why rules and not the generator: a Seq2Seq model words a reply well but, asked to also decide
what to say, it copies the simulator's habits and picks a plausible but wrong act for any state
the simulator never produced (asking for what the customer just said, a refusal where an answer
was due). Here the decision is a function of what the turn brought (intent, state after the
turn, image and voice findings, the credit assessment, uncertain values) and of the acts of the
previous replies; the generator only words the result.

The rules, in order (``decide``):
1. a request for a person is a hand-off and nothing else;
2. a voice note whose transcript is unsure is read back (``confirm_heard``) instead of acted on:
   the state service held the values read from it (``Candidate.held``), the act carries them
   (``heard``) with the transcript's intent, and the customer's "yes" on the next turn writes
   them (``unsure_transcript`` is the one test, used by the gateway to hold them);
3. what the customer asked or sent is answered first: a greeting, thanks, goodbye, a rate
   question (the published rate), an out-of-scope question (one sentence, then the task
   resumes), an upload (the income read from a payslip with its currency, that it could not be
   read, or a chart's trend), a request for advice once the profile is complete (the offer);
4. a value understood but not written (uncertain or impossible) is asked about (``clarify`` /
   ``check_value``), one question at a time;
5. a credit outcome is told in words (decision, the main reason or what is needed, the
   instalment when known) when the customer asks for it, when they agree to the summary, or in
   the reply that completes the application, with the summary of the figures it rests on
   (``confirm`` before the outcome); an outcome already told is not repeated unasked;
6. otherwise the next slot the task still misses, in the bank's order (``config``), is asked
   for; a slot the state holds is never asked for. When the customer gave a value for it that
   the advisor was unsure of and asked about (``clarify``), and moved on to other things
   without an answer, that value is read back once more rather than asked for afresh (what the
   customer said is not asked again as if never said). A question declined ("I'd rather not
   say") is passed over like one answered with something else, and one asked ``max_asks``
   times (config) is not asked again: the task goes on without it (for a loan, the credit
   assessment names it among what it needs). A completed non-credit task is
   summarised (``confirm``) and, once agreed or asked, offered (an agreement after a side
   question, with the summary still true and nothing offered yet, counts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from finadvisor.dialogue.acts import Act, act, heard_arg
from finadvisor.dialogue.config import INTENT_TASK, PRODUCT_TASK, TASK_PRODUCT, DialogueConfig
from finadvisor.ontology import CHART_TYPES

DOCUMENT_TYPES = frozenset({"bank_statement", "id_document", "other"})
CREDIT_TASKS = frozenset({"loan"})
#: The catalogue: a purpose implies the product, a product implies some purposes.
PRODUCT_PURPOSE = {"mortgage": "home", "auto_loan": "car"}


@dataclass(frozen=True)
class Candidate:
    """A value understood this turn but not written to the state."""

    slot: str
    value: str
    confidence: float = 0.0
    #: read from a transcript the advisor reads back: written once the customer confirms it
    held: bool = False


#: The main reason of a referral that waits for information: what is missing decides it, and
#: nothing counts against the applicant (the needs say what is missing).
AWAITING_INFORMATION = "we do not have everything we need to decide yet"


def main_reason(reasons: Sequence[tuple[str, str]]) -> str:
    """The main reason a reply gives, from an assessment's ``(description, source)`` reasons in
    the credit service's order (deciding rules, then what is still needed, then model factors).
    When what is still needed comes first, the decision waits for it: the reason says so rather
    than quoting a model factor behind it, as if the applicant's own figures counted against
    them."""
    for description, source in reasons:
        if source == "missing":
            return AWAITING_INFORMATION
        if description:
            return description
    return ""


@dataclass(frozen=True)
class CreditView:
    """What the reply may say about a credit assessment of this turn."""

    decision: str  # approve | refer | decline
    reason: str = ""  # the main reason, in plain words
    needs: Sequence[str] = ()  # what is still needed (slot names or profile items)
    instalment: str = ""  # decimal string
    currency: str = ""


@dataclass(frozen=True)
class Turn:
    """Everything the manager decides from; the gateway fills it from the turn's responses."""

    intent: str
    slots: Mapping[str, str]  # the state after the turn, canonical values
    changed_slots: Sequence[str] = ()
    previous_acts: Sequence[Sequence[Act]] = ()  # one list per earlier reply, oldest first
    image_type: str = ""
    image_fields: Mapping[str, str] = field(default_factory=dict)  # field name -> value read
    chart_trend: str = ""
    trend_change_percent: float | None = None
    text_source: str = "text"  # "audio" when the text is a voice note's transcript
    transcript: str = ""
    transcript_confidence: float | None = None
    credit: CreditView | None = None
    candidates: Sequence[Candidate] = ()


def infer_task(slots: Mapping[str, str], intent: str, previous: str | None = None) -> str | None:
    """The task of the dialogue: the product's, else the intent's, else the one the advisor
    was working on (``previous``), else what the facts show."""
    product = slots.get("product", "")
    if product in PRODUCT_TASK:
        return PRODUCT_TASK[product]
    if intent in INTENT_TASK:
        return INTENT_TASK[intent]
    if previous:
        return previous
    if slots.get("loan_amount") or slots.get("loan_purpose") or slots.get("loan_term_months"):
        return "loan"
    if slots.get("investment_amount") or slots.get("investment_horizon_years") or \
            slots.get("risk_tolerance"):
        return "investment"
    return None


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class DialogueManager:
    """Decides the acts of a reply (stateless: everything comes in ``Turn``)."""

    def __init__(self, config: DialogueConfig | None = None) -> None:
        self.config = config or DialogueConfig()

    # -- helpers -------------------------------------------------------------------------------
    def unsure_transcript(self, text_source: str, transcript: str,
                          confidence: float | None) -> bool:
        """Whether the turn's text is a voice note's transcript too unsure to act on: the
        advisor reads it back, and the gateway asks the state service to hold its values."""
        return text_source == "audio" and bool(transcript.strip()) and confidence is not None \
            and confidence < self.config.low_transcript_confidence

    def task(self, turn: Turn) -> str | None:
        """The dialogue's task; the advisor's own requests say which task it was working on
        (``request(slot=..., task=...)``), so "about 10k" after a question about an investment
        stays an investment."""
        previous = None
        for acts in reversed(turn.previous_acts):
            for a in acts:
                if a.get("task") in self.config.task_slots:
                    previous = a.get("task")
                    break
            if previous:
                break
        return infer_task(self._slots(turn), turn.intent, previous)

    @staticmethod
    def _slots(turn: Turn) -> dict[str, str]:
        slots = {k: str(v) for k, v in turn.slots.items() if str(v).strip()}
        implied = PRODUCT_PURPOSE.get(slots.get("product", ""))
        if implied and "loan_purpose" not in slots:
            slots["loan_purpose"] = implied
        return slots

    def confirm_act(self, task: str, slots: Mapping[str, str]) -> Act:
        names = [s for s in self.config.confirm_slots.get(task, ()) if slots.get(s)]
        return act("confirm", slots=names, task=task, **{s: slots[s] for s in names})

    @staticmethod
    def _last(previous: Sequence[Sequence[Act]], name: str) -> Act | None:
        for acts in reversed(previous):
            for a in reversed(list(acts)):
                if a.name == name:
                    return a
        return None

    def confirmed(self, turn: Turn, task: str, slots: Mapping[str, str]) -> bool:
        """The latest summary said exactly the current values of the task's confirmed slots."""
        last = self._last(turn.previous_acts, "confirm")
        if last is None:
            return False
        wanted = self.confirm_act(task, slots)
        return dict(last.args) == dict(wanted.args)

    def rate_act(self, slots: Mapping[str, str], task: str | None) -> Act:
        product = slots.get("product") or TASK_PRODUCT.get(task or "", "personal_loan")
        rate = self.config.rates.get(product)
        if rate is None:  # investments have no rate: say how returns work instead
            return act("explain", topic="investment_returns")
        return act("answer_rate", product=product, rate=rate)

    def decision_act(self, credit: CreditView) -> Act:
        needs = list(credit.needs) if credit.decision != "approve" else []
        reason = credit.reason if credit.decision != "approve" else ""
        return act("inform_decision", decision=credit.decision, reason=reason, needs=needs,
                   instalment=credit.instalment,
                   currency=credit.currency if credit.instalment else "")

    def offer_act(self, task: str, slots: Mapping[str, str]) -> Act:
        product = slots.get("product") or TASK_PRODUCT[task]
        if task == "investment":
            return act("offer", product=product, risk_tolerance=slots.get("risk_tolerance"),
                       investment_amount=slots.get("investment_amount"),
                       currency=slots.get("currency"))
        return act("offer", product=product)

    def _upload_acts(self, turn: Turn, slots: Mapping[str, str]) -> list[Act]:
        kind = turn.image_type
        if kind == "payslip":
            income = slots.get("monthly_income", "")
            read = bool(turn.image_fields.get("net_pay")) or "monthly_income" in turn.changed_slots
            if read and income:
                return [act("ack_payslip", monthly_income=income, currency=slots.get("currency"))]
            return [act("ack_unreadable", kind="payslip")]
        if kind in CHART_TYPES:
            if turn.chart_trend:
                change = ""
                if turn.trend_change_percent is not None and turn.trend_change_percent == \
                        turn.trend_change_percent:  # not NaN
                    change = str(int(round(turn.trend_change_percent)))
                return [act("describe_chart", trend=turn.chart_trend, change_percent=change)]
            return [act("ack_unreadable", kind="chart")]
        if kind in DOCUMENT_TYPES:
            return [act("ack", document=kind)]
        return []

    def _clarify(self, turn: Turn, slots: Mapping[str, str]) -> Act | None:
        for c in turn.candidates:
            if slots.get(c.slot) == c.value or not c.value:
                continue
            low_high = self.config.plausible.get(c.slot)
            number = _number(c.value)
            if low_high is not None and number is not None and \
                    not low_high[0] <= number <= low_high[1]:
                return act("check_value", slot=c.slot, value=c.value)
            return act("clarify", slot=c.slot, value=c.value)
        return None

    @staticmethod
    def _times_requested(previous_acts: Sequence[Sequence[Act]]) -> dict[str, int]:
        times: dict[str, int] = {}
        for acts in previous_acts:
            for a in acts:
                if a.name == "request":
                    times[a.get("slot")] = times.get(a.get("slot"), 0) + 1
        return times

    def _next_slot(self, missing: Sequence[str], turn: Turn, last_acts: Sequence[Act]) -> str:
        """The first missing slot, in the bank's order. When the customer answered the last
        question with something else, another slot: the one asked least often so far (then the
        bank's order), so a question the customer passes over comes back once the others were
        asked, not every other turn. A side question (nothing filled) gets the same question
        again; a refusal ("I'd rather not say", intent ``deny``) is passed over like an answer
        about something else."""
        asked_last = {a.get("slot") for a in last_acts if a.name in ("request", "clarify")}
        if not turn.changed_slots and not (turn.intent == "deny" and asked_last):
            return missing[0]  # a "no" to a read-back of a voice note is no refusal of a question
        times = self._times_requested(turn.previous_acts)
        pool = [s for s in missing if s not in asked_last] or list(missing)
        return min(pool, key=lambda s: (times.get(s, 0), missing.index(s)))

    @staticmethod
    def unanswered_clarify(previous_acts: Sequence[Sequence[Act]], slot: str) -> str | None:
        """The value the advisor asked the customer to confirm for ``slot`` (``clarify``) in an
        earlier reply, left unanswered while the conversation moved on, to be read back once
        more when the slot is due. None when the slot was asked for since (after a "no" it is
        asked for afresh), when the last reply asked about it (a question or thanks in between
        is no answer: the slot is asked for afresh), when it was read back twice already, and
        for ``check_value`` (an impossible value is never offered back)."""
        if not previous_acts or any(a.get("slot") == slot for a in previous_acts[-1]):
            return None
        value, times = None, 0
        for acts in previous_acts:
            for a in acts:
                if a.get("slot") != slot:
                    continue
                if a.name == "clarify":
                    value, times = a.get("value") or None, times + 1
                elif a.name in ("request", "check_value"):
                    value, times = None, 0
        return value if times == 1 else None

    # -- the rules -----------------------------------------------------------------------------
    def decide(self, turn: Turn) -> list[Act]:
        intent = turn.intent
        if intent == "request_human":
            return [act("handoff")]
        if self.unsure_transcript(turn.text_source, turn.transcript, turn.transcript_confidence):
            held = heard_arg((c.slot, c.value) for c in turn.candidates if c.held)
            return [act("confirm_heard", transcript=turn.transcript, heard=held,
                        intent=turn.intent)]
        if intent == "goodbye":
            return [act("goodbye")]

        slots = self._slots(turn)
        task = self.task(turn)
        asked = self._times_requested(turn.previous_acts)
        # a question asked ``max_asks`` times and still open is left: the customer chose not to answer
        missing = [s for s in self.config.missing(task, slots) if asked.get(s, 0) < self.config.max_asks]
        complete = task is not None and not missing
        last_acts = list(turn.previous_acts[-1]) if turn.previous_acts else []
        after_summary = any(a.name == "confirm" for a in last_acts)
        acts: list[Act] = []

        # 3. answer first
        if intent == "greet":
            acts.append(act("greet"))
        elif intent == "thank":
            acts.append(act("welcome"))
        elif intent == "ask_rate":
            acts.append(self.rate_act(slots, task))
        elif intent == "out_of_scope":
            # Mid-task: one sentence, then the task goes on. With no task yet, what the advisor
            # can do is the answer ("what can you do?", and a question about the weather alike).
            acts.append(act("out_of_scope") if task is not None else act("explain", topic="services"))
        acts.extend(self._upload_acts(turn, slots))
        if intent == "ask_about_chart" and turn.image_type not in CHART_TYPES:
            # A question about a chart sent earlier: what was read from it, said again; a
            # question about a chart never read: it could not be read.
            earlier = self._last(turn.previous_acts, "describe_chart")
            acts.append(earlier if earlier is not None else act("ack_unreadable", kind="chart"))

        # 4. uncertain or impossible values
        question = self._clarify(turn, slots)
        if question is not None:
            acts.append(question)

        # 5. the credit outcome, or the offer of a complete non-credit task
        asked_outcome = intent == "ask_eligibility" or (intent == "affirm" and after_summary)
        if task in CREDIT_TASKS:
            credit = turn.credit
            told = self._last(turn.previous_acts, "inform_decision")
            if credit is not None and credit.decision:
                new = self.decision_act(credit)
                already = told is not None and dict(told.args) == dict(new.args)
                summary_due = complete and not self.confirmed(turn, task, slots)
                if summary_due and question is None:
                    acts.append(self.confirm_act(task, slots))
                # An agreement to a summary that already carried this outcome needs no repeat.
                agreed_told = intent == "affirm" and already and \
                    any(a.name == "inform_decision" for a in last_acts)
                if (asked_outcome and not agreed_told) or (complete and not already) or \
                        (intent == "ask_rate" and complete):
                    acts.append(new)
            elif asked_outcome:
                acts.append(act("explain", topic="eligibility" if missing else "no_decision"))
            elif complete and question is None and not self.confirmed(turn, task, slots):
                acts.append(self.confirm_act(task, slots))
        elif task is not None and complete and question is None:
            # An agreement to the summary asks for the offer; so does one after a side question
            # once the summary was agreed ("what rate do you pay?" ... "ok sounds good").
            confirmed = self.confirmed(turn, task, slots)
            asked_offer = intent in ("ask_investment_advice", "ask_savings_advice",
                                     "ask_eligibility", "apply_loan") or \
                (intent == "affirm" and (after_summary or (
                    confirmed and self._last(turn.previous_acts, "offer") is None)))
            if asked_offer:
                acts.append(self.offer_act(task, slots))
                if task == "credit_card" and intent == "ask_eligibility":
                    # The credit models score loans: a card's decision is the team's, and the
                    # reply says so instead of letting the offer read as an approval.
                    acts.append(act("explain", topic="no_decision"))
            elif not confirmed:
                acts.append(self.confirm_act(task, slots))
            elif not acts:
                acts.append(act("ack"))
        if intent == "deny" and after_summary and not turn.changed_slots and question is None:
            acts = [a for a in acts if a.name not in ("confirm", "inform_decision")]
            acts.append(act("explain", topic="correction"))
            return acts

        # 6. the next missing slot, in the bank's order
        if question is None and missing:
            nxt = self._next_slot(missing, turn, last_acts)
            if intent == "ask_investment_advice" and nxt == "risk_tolerance":
                acts.append(act("explain", topic="risk_tolerance"))
            said = self.unanswered_clarify(turn.previous_acts, nxt)
            if said is not None:
                acts.append(act("clarify", slot=nxt, value=said))
            else:
                acts.append(act("request", slot=nxt, task=task))
        if not acts:
            if task is None:
                acts.append(act("explain", topic="services"))
            else:
                acts.append(act("ack"))
        return acts
