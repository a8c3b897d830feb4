"""From what the models read to what the customer meant, in the dialogue's context.

The learned models give, for one text, intent probabilities, closed-set phrases and, for each
number, a probability per slot. On their own they read a turn as if it were the first: a bare
"three years" has no slot, "8,000 pounds" is whatever its words suggest, "I pay 400 on my car
loan" names a product. ``interpret`` combines them with

1. the turn's frames (``meaning.read_frames``): implied values (an occupation is employment, "we
   own our house" is housing), existing debts and products, a request for a person;
2. the context (``TurnContext``): the advisor's last acts (which slot was requested, which value
   is being clarified or confirmed) and the current state. A number's slot probabilities are
   multiplied by a prior: the requested slot first, then the slots the task still needs; a slot
   the state already holds is a correction only when the customer says so or was asked again;
3. the catalogue rule: a loan's purpose implies its product (car -> auto_loan, home -> mortgage,
   any other -> personal_loan), filled as inferred with a lower confidence; a product already in
   the state is not replaced by the mention of one the customer already has.

A value whose slot stays uncertain (below ``write_threshold``) is not written: it comes back in
``candidates`` so the advisor can ask about it.

After the advisor read a voice note back (``confirm_heard``, whose ``heard`` argument carries
the values held from that transcript), an agreement ("yes", "that's right") writes those values
with the voice note's source and takes the transcript's intent; a "no" or a correction writes
none of them (a corrected figure is read as an answer about the held slots).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from finadvisor.dialogue.config import PRODUCT_TASK, TASK_SLOTS
from finadvisor.ontology import CATALOGUE, CATALOGUE_DEFAULT, format_amount
from finadvisor.services.state.context import EMPTY_CONTEXT, TurnContext
from finadvisor.services.state.cues import (
    ACCEPT,
    AGREE,
    ALSO,
    BARE_HOUSING,
    BARE_NONE,
    BARE_RISK,
    BUYING,
    CHATTER,
    COUNTED_BY_NO,
    I_EARN,
    INVESTING,
    KIND_ONE,
    KIND_PRODUCT,
    LEADING_NONE,
    LOANS,
    NO_BEFORE,
    NOT_LOANS,
    ONLY_ME,
    OWN_MONEY,
    POSSESSED,
    PURPOSE_FRAME,
    REMORTGAGE,
    RESTATE,
    SAVING,
    SWITCH,
    TASK_BOUND,
    WANTS,
    WHY,
    YES_OR_NO,
)
from finadvisor.services.state.derived import from_years, price_less_deposit
from finadvisor.services.state.figures import (
    DURATION_SLOTS,
    HAVE_BEFORE,
    IM_AFTER,
    IM_BEFORE,
    MONEY_AFTER,
    MONEY_BEFORE,
    PER_MONTH_AFTER,
    TOGETHER_AFTER,
    YEARLY,
    YEARS_OLD,
    calendar_year,
    counts_things,
    fits,
    frameless,
    is_balance,
    is_fragment,
    kind,
    model_year,
    nearest,
    per_week,
    pronoun_one,
    ranges,
    set_aside,
)
from finadvisor.services.state.meaning import (
    FROM_SOURCE,
    LIMIT,
    Frames,
    names_debt,
    read_frames,
    slot_prior,
)
from finadvisor.services.state.mentions import Interpretation, Mention
from finadvisor.services.state.normalize import NumberSpan, fold, normalize_number_for_slot

NONE_LABEL = "none"
YEARLY_INCOME_LABEL = "monthly_income_yearly"
LOAN_PRODUCTS = frozenset(p for p, task in PRODUCT_TASK.items() if task == "loan")
#: Confidence of a product inferred from the purpose (lower than anything the customer said).
INFERRED_CONFIDENCE = 0.6
#: Added to every tempered slot probability: where the classifier is saturated (a phrasing far
#: from its simulator's, "a car loan 250/m" read as a loan amount at 1.0), the clause's frames and
#: the context can still outvote it.
PROBABILITY_FLOOR = 0.005
#: A value below this (after the context) is a candidate, not written.
WRITE_THRESHOLD = 0.5



def implies_investment(intent: str, low: str) -> bool:
    """Whether a turn asks to invest in so many words (its product is then ``investment``)."""
    return intent in ("ask_investment_advice", "inform") and bool(INVESTING.search(low)) \
        and not LOANS.search(low)



def interpret(
    text: str,
    intent_probs: Mapping[str, float],
    rules: Sequence[Any],
    numbers: Sequence[NumberSpan],
    number_probs: np.ndarray | None,  # (n_numbers, n_labels)
    labels: Sequence[str],
    context: TurnContext | None = None,
    source: str = "text",
    min_confidence: float = 0.3,
    write_threshold: float = WRITE_THRESHOLD,
) -> Interpretation:
    """Intent, written mentions and uncertain candidates of one turn (see the module docstring)."""
    ctx = context or EMPTY_CONTEXT
    low = fold(text)
    frames = read_frames(low)
    intent = max(intent_probs, key=intent_probs.__getitem__)
    confidence = float(intent_probs[intent])
    if frames.wants_human and intent != "request_human":
        intent, confidence = "request_human", max(confidence, 0.9)
    elif frames.asks_how_much and intent in ("ask_rate", "apply_loan", "inform"):
        intent, confidence = "ask_eligibility", max(confidence, 0.6)
    elif frames.wants_to_invest and intent in ("inform", "apply_loan", "affirm", "out_of_scope") \
            and ctx.task("") is None and "investment" not in ctx.state.values():
        # The first words about investing open an investment conversation.
        intent, confidence = "ask_investment_advice", max(confidence, 0.6)
    elif frames.asks_eligibility and intent in CHATTER | {"inform"} and (
            intent != "deny" or low.rstrip().endswith("?") or YES_OR_NO.search(low)):  # "is it a no then"
        intent, confidence = "ask_eligibility", max(confidence, 0.6)
    elif frames.asks_eligibility and intent in ("apply_loan", "ask_savings_advice", "ask_investment_advice") \
            and not rules and not numbers and ctx.task("") == "loan":
        # "will you lend to me?", "how much would I pay each month?" once a loan is underway
        intent, confidence = "ask_eligibility", max(confidence, 0.6)
    elif frames.says_goodbye and intent in ("affirm", "thank", "out_of_scope"):
        intent, confidence = "goodbye", max(confidence, 0.6)
    if frames.declined_spans:
        # words inside a refusal name no value ("none of your business" is no business loan)
        rules = [r for r in rules if not any(s <= r.start and r.end <= e for s, e in frames.declined_spans)]
    bare = not rules and not numbers  # no value of any slot in the words
    if bare and ACCEPT.search(low) and intent in ("out_of_scope", "inform", "thank"):
        intent, confidence = "affirm", max(confidence, 0.6)  # "cool, sign me up"
    valueless = not rules and all(pronoun_one(low, n) for n in numbers)
    if valueless and frames.declined_spans and ctx.requested and intent not in ("request_human", "goodbye"):
        # "I'd rather not say": a refusal of the question asked (the advisor moves on)
        intent, confidence = "deny", max(confidence, 0.6)
    if bare and ctx.told_decision and WHY.match(low) and intent != "request_human":
        # "why?", "how come?" once an outcome was told: the reasons for it
        intent, confidence = "ask_eligibility", max(confidence, 0.6)
    if (frames.asks_about_chart and (intent in ("out_of_scope", "affirm") or
                                     (intent == "inform" and bare))) or \
            (intent == "out_of_scope" and ctx.after_chart and frames.asks_what_it_shows):
        # "why does the line drop at the end?", or "why did it fall?" right after a chart was
        # read: about the chart, not something the advisor does not do.
        intent, confidence = "ask_about_chart", max(confidence, 0.6)
    advice = {"investment": "ask_investment_advice", "savings": "ask_savings_advice"}.get(
        ctx.task("") or "")
    if advice and frames.asks_recommendation and intent in ("out_of_scope", "affirm", "inform", "thank") and bare:
        # "what would you suggest?" in an investment or savings conversation asks for the advice
        intent, confidence = advice, max(confidence, 0.6)
    elif frames.asks_recommendation and ctx.task("") == "loan" and bare and \
            intent in ("out_of_scope", "affirm", "inform", "thank"):
        # "what do you think?" once a loan is under way asks for the advisor's view: the outcome
        intent, confidence = "ask_eligibility", max(confidence, 0.6)
    saving = bool(SAVING.search(low)) and not INVESTING.search(low) and not frames.wants_to_invest
    if saving and (intent == "ask_investment_advice" or (
            intent in ("out_of_scope", "inform", "affirm") and WANTS.search(low)
            and ctx.task("") is None and not LOANS.search(low))):
        # "help me put some money by each month": saving, in its own words, is not investing,
        # and wanting to save opens a savings conversation
        intent, confidence = "ask_savings_advice", max(confidence, 0.6)
    if intent in ("ask_investment_advice", "ask_savings_advice") and "loan_purpose" in frames.implied \
            and not INVESTING.search(low) and not SAVING.search(low):
        # Investing or saving needs its own words; "help with my lad's fees" is a loan purpose.
        intent = "apply_loan"
    task = ctx.task(intent)
    loanish = intent not in NOT_LOANS and task in (None, "loan")
    mentions = _rule_mentions(rules, frames, ctx, intent, loanish, source)
    if loanish and any(model_year(low, n) for n in numbers) and "loan_purpose" not in ctx.state and \
            not any(m.slot == "loan_purpose" for m in mentions):
        # "for a 2019 golf": a thing known by its model year is a vehicle
        mentions.append(Mention("loan_purpose", "car", 0.7, 0, len(text), source))
    kind = KIND_ONE.search(low)
    if kind and loanish and not any(m.slot == "product" for m in mentions) and \
            not frames.in_existing(kind.start(), kind.end()):
        # "ok I'd like a personal one": the kind of loan just talked about
        mentions.append(Mention("product", KIND_PRODUCT[kind.group(1)], 0.85, kind.start(), kind.end(), source))
    if frames.risk_negated:
        mentions = [m for m in mentions if m.slot != "risk_tolerance"]  # "not aggressive" is no high risk
    if frames.risk and not any(m.slot == "risk_tolerance" for m in mentions) and (
            task == "investment" or ctx.requested == "risk_tolerance" or "risk" in low):
        mentions.append(Mention("risk_tolerance", frames.risk, 0.85, 0, len(text), source))
    keep = [i for i, n in enumerate(numbers) if not counts_things(low, n) and not pronoun_one(low, n)
            and not set_aside(low, n, numbers)]  # "not 5200", "and him 3": no value of the customer's
    dated = [i for i in keep if calendar_year(low, numbers[i])]
    if dated:
        # "a civil servant since 2010", "born in 1987": a year, never an amount; it dates the
        # job or the birth
        keep = [i for i in keep if i not in dated]
        mentions += from_years(low, [numbers[i] for i in dated], frames, ctx, source)
    priced = [i for i in keep if (c := frames.clause_at(numbers[i].start)) is not None and c.price and not c.debt
              and not c.request]
    if priced and len(priced) < len(keep):
        # "the car costs 14,000 and I have 2,000 saved, so 12,000": prices and savings are not the loan.
        keep = [i for i in keep if i not in priced]
    if intent == "out_of_scope" and not mentions and not ctx.requested:
        keep = []  # "a table for two" is no amount
    spans, probs = [numbers[i] for i in keep], number_probs[keep] if keep and number_probs is not None else None
    ranged = ranges(low, spans)
    if ranged and probs is not None:
        # "between 3 and 4 thousand a month": one figure, its lower end, read with the second
        # figure's words and checked with the customer (a range is no value said)
        for j, span in ranged:
            spans[j - 1] = span
        spans, probs = [n for j, n in enumerate(spans) if j not in dict(ranged)], \
            np.delete(probs, [j - 1 for j, _ in ranged], axis=0)
    # a turn that names the loan it wants is about that loan, whatever came before ("... into one
    # loan, about 12 grand over 5 years": a term, not an investment horizon)
    named_loan = task is None and any(m.slot == "loan_purpose" or (m.slot == "product" and m.value in LOAN_PRODUCTS)
                                      for m in mentions)
    numeric, candidates = _number_mentions(low, spans, probs, labels, frames, ctx, intent, source,
                                           min_confidence, write_threshold, "loan" if named_loan else None)
    asked_amount = ctx.requested if ctx.requested in ("loan_amount", "investment_amount") else None
    if asked_amount and len(spans) == 1 and spans[0].unit is None and not spans[0].shorthand and \
            1 <= spans[0].value < 20 and is_fragment(low, spans[0]) and not frames.revision:
        # "What amount do you need?" - "around 15": thousands, most likely; checked, not written
        n = spans[0]
        numeric = [m for m in numeric if m.start != n.start]
        candidates = [m for m in candidates if m.start != n.start] + [
            Mention(asked_amount, format_amount(n.value * 1000), 0.45, n.start, n.end, source)]
    if ranged:
        starts = {span.start for _, span in ranged}
        candidates += [dataclasses.replace(m, confidence=min(m.confidence, write_threshold - 0.05))
                       for m in numeric if m.start in starts]
        numeric = [m for m in numeric if m.start not in starts]
    if priced and keep == priced:
        # A price or a saving alone ("I can put away 300 a month"): not written, asked about.
        # A price and a deposit ("the house is 250k and I have 50k deposit"): what is left to
        # borrow is asked about first.
        rest = price_less_deposit(frames, [numbers[i] for i in priced], source, ctx)
        candidates = [m for m in candidates + numeric if not (rest and m.slot == "loan_amount")] + rest
        numeric = []
    filled = {m.slot for m in numeric}
    mentions = [m for m in mentions if not (m.slot in filled and m.end - m.start == len(text))] + numeric
    # The advisor asked "Is 600 your monthly debt?" and the customer agrees.
    clar = ctx.clarifying
    if clar and intent == "affirm" and not any(m.slot == clar[0] for m in mentions) and \
            (not mentions or AGREE.match(low)):  # "part time receptionist" is no yes to "is 35 your age?"
        mentions.append(Mention(clar[0], clar[1], 0.9, 0, len(text), source))
    # "How much do you pay on other loans?" - "none": a bare no to a question about debts or
    # dependents is 0 of them.
    asked = ctx.request_slot
    # "0" alone is said like "none"
    no_count = BARE_NONE.match(low) is not None or (len(numbers) == 1 and numbers[0].value == 0 and
                                                     is_fragment(low, numbers[0]))
    if asked not in COUNTED_BY_NO and no_count and not ctx.clarifying:
        # "nothing" to a question about age: the answer to the debts or dependents asked just
        # before and passed over
        asked = next((s for s in ctx.asked_before if s in COUNTED_BY_NO and s not in ctx.state), asked)
    if asked == "dependents" and not numbers and ONLY_ME.match(low) and "dependents" not in {m.slot for m in mentions}:
        mentions.append(Mention("dependents", "0", 0.9, 0, len(text), source))  # "just me"
        intent = "inform"
    if asked in COUNTED_BY_NO and not any(m.slot == asked for m in mentions) and (
            no_count or (LEADING_NONE.match(low) and all(n.value == 0 for n in numbers))):
        candidates = [c for c in candidates if c.slot != asked]
        mentions.append(Mention(asked, "0", 0.9, 0, len(text), source))
        intent = "inform"
    if ctx.request_slot == "risk_tolerance" and not any(m.slot == "risk_tolerance" for m in mentions) and \
            (level := BARE_RISK.match(low)):
        value = {"lowish": "low", "middle": "medium", "moderate": "medium", "highish": "high"}.get(level.group(1), level.group(1))
        mentions.append(Mention("risk_tolerance", value, 0.9, level.start(1), level.end(1), source))
        intent = "inform"
    # "Do you rent or own?" - "own": the bare choice answers it.
    if (ctx.request_slot == "housing" or ("housing" in ctx.asked_before and "housing" not in ctx.state)) and \
            not any(m.slot == "housing" for m in mentions):  # also a question asked a reply before
        choice = BARE_HOUSING.match(low)
        if choice:
            mentions.append(Mention("housing", "own" if choice.group(1) else "rent", 0.9, 0, len(text), source))
            intent = "inform"
    # The advisor read a voice note back ("did you say ...?") and the customer agrees: the
    # values held from it are written, as heard.
    heard = ctx.heard if intent == "affirm" else None
    if heard is not None:
        said = {m.slot for m in mentions}
        mentions += [Mention(slot, value, 0.9, 0, len(text), "audio")
                     for slot, value in heard[0].items() if slot not in said]
    mentions = _product(mentions, frames, ctx, loanish, low, source, text, candidates, intent)
    if heard is not None and heard[1] and heard[1] not in CHATTER:
        intent = heard[1]  # "yes" to "did you say you want a car loan?" asks for the car loan
    elif mentions and intent in CHATTER and not (clar and intent == "affirm"):
        intent = "inform"
    mentions.sort(key=lambda m: (m.start, m.slot))
    return Interpretation(intent, confidence, mentions, candidates)


def _rule_mentions(rules: Sequence[Any], frames: Frames, ctx: TurnContext, intent: str, loanish: bool,
                   source: str) -> list[Mention]:
    out: list[Mention] = []
    implied = dict(frames.implied)
    purpose_implied = implied.get("loan_purpose")
    # Asked for debts, a loan named without a request is one the customer repays ("a van loan,
    # 180/m"): its product and purpose are not the application's.
    low = frames_text(frames)
    repaid = intent == "inform" and ctx.request_slot == "monthly_debt" and names_debt(low) and \
        not any(c.request for c in frames.clauses)
    if repaid:
        implied.pop("loan_purpose", None)
    for r in rules:
        if repaid and r.slot in ("product", "loan_purpose"):
            continue
        if r.slot == "product" and NO_BEFORE.search(low, 0, r.start):
            continue  # "no car loan", "I don't have a credit card": no product asked for
        if r.slot in ("product", "loan_purpose") and frames.in_existing(r.start, r.end):
            continue  # a product or purpose the customer already has: a debt, not the application
        if r.slot == "loan_purpose" and r.value == "home" and frames.owns_home:
            continue
        clause = frames.clause_at(r.start)
        if r.slot == "product" and r.value == "mortgage" and frames.owns_home and (
                clause is None or not REMORTGAGE.search(clause.text)):
            continue  # "own home, mortgage left on it": the home's mortgage, not the application
        if r.slot == "loan_purpose" and clause is not None and clause.income and \
                FROM_SOURCE.search(clause.text[: max(0, r.start - clause.start)]):
            continue  # "1,300 a month from our shop": where the income comes from
        if r.slot == "loan_purpose" and not loanish:
            continue  # "save for a house deposit" is no loan purpose
        if r.slot == "employment_status" and r.value == "student" and "student loan" in frames_text(frames):
            continue
        if r.slot == "product" and r.value == "credit_card" and purpose_implied \
                and purpose_implied[0] == "debt_consolidation":
            continue  # the cards are the debts being consolidated
        if r.slot == "loan_purpose" and purpose_implied and r.value != purpose_implied[0] and (
                purpose_implied[0] in ("education", "debt_consolidation")
                or (purpose_implied[0] in ("renovation", "other") and r.value == "home"
                    and not BUYING.search(low))):
            continue  # "my son got into medical school" is education; "fix up my house" is renovation;
            # "the deposit on a new flat" is no home bought
        if r.slot == "loan_purpose" and r.value == "home" and "housing" in implied:
            continue  # "I live in a rented house": where one lives, not what the loan is for
        if r.slot == "housing" and "housing" in implied and implied["housing"][0] != r.value:
            continue
        out.append(Mention(r.slot, r.value, float(r.confidence), r.start, r.end, source))
    said = {m.slot for m in out}
    end = max((c.end for c in frames.clauses), default=0)
    for slot, (value, conf) in implied.items():
        if slot in said or slot in ctx.state:
            continue  # implied values fill gaps; they never overwrite what was said before
        if slot == "loan_purpose" and (not loanish or (intent == "out_of_scope" and ctx.requested != slot
                                                        and not PURPOSE_FRAME.search(frames_text(frames)))):
            continue  # "can you recommend a good restaurant" is no business loan
        out.append(Mention(slot, value, conf, 0, end, source))
    return out


def frames_text(frames: Frames) -> str:
    return " ".join(c.text for c in frames.clauses)


def _number_mentions(low: str, numbers: Sequence[NumberSpan], probs: np.ndarray | None, labels: Sequence[str],
                     frames: Frames, ctx: TurnContext, intent: str, source: str, min_confidence: float,
                     write_threshold: float, task: str | None = None) -> tuple[list[Mention], list[Mention]]:
    if not numbers or probs is None:
        return [], []
    requested = ctx.requested
    expected = ctx.expected(intent) if requested is None else None
    heard = ctx.heard
    # A summary's slots, and the slots of a voice note read back: a figure answers about them.
    confirming = ctx.confirming + (tuple(heard[0]) if heard else ())
    correcting = frames.correction
    task = task or ctx.task(intent)
    task_slots = set(TASK_SLOTS[task]) if task else set()
    if task == "loan":
        task_slots |= {"employment_years", "loan_purpose"}
    elif task == "savings":
        task_slots |= {"investment_horizon_years"}  # "maybe 5 years": how long they save, no loan term
    # In a savings or investment conversation a duration is the horizon, not a loan's term.
    horizon = task in ("investment", "savings") and {"loan_term_months", "investment_horizon_years"} <= set(labels)
    index = {label: k for k, label in enumerate(labels)}
    # Asked for debts, the customer names one ("£60 phone contract", "a van loan, 180/m"): its
    # figures are repayments unless their clause says otherwise (income, a price, a new loan).
    debt_answer = requested == "monthly_debt" and names_debt(low) and \
        not any(c.request or c.income or c.price for c in frames.clauses)
    scored: list[np.ndarray] = []
    owed = [n for n in numbers if is_balance(low, n, frames.clause_at(n.start), numbers)]
    for n, p in zip(numbers, probs, strict=True):
        # Tempered: the classifier is sure of itself on its own simulator's phrasing; on people's,
        # the context must be able to outvote it.
        q = np.sqrt(p.astype(np.float64)) + PROBABILITY_FLOOR  # (n_labels,)
        clause = frames.clause_at(n.start)
        for label, k in slot_prior(clause, n.unit).items():
            if label in index:
                q[index[label]] *= k
        if n in owed:  # "8k in total", "I owe 12k": owed, not repaid
            for label in ("monthly_debt", "monthly_income", YEARLY_INCOME_LABEL, "loan_amount"):
                if label in index and (label != "loan_amount" or frames.implied.get("loan_purpose", ("",))[0]
                                       != "debt_consolidation"):  # what is owed is borrowed to repay it
                    q[index[label]] *= 0.03 if label != "loan_amount" else 0.05
        if debt_answer and clause is not None and not clause.debt:
            for label, k in slot_prior(dataclasses.replace(clause, debt=True), n.unit).items():
                if label in index:
                    q[index[label]] *= k
        if horizon:
            q[index["investment_horizon_years"]] = max(q[index["investment_horizon_years"]],
                                                       q[index["loan_term_months"]])
        for label, k in index.items():
            slot = "monthly_income" if label == YEARLY_INCOME_LABEL else label
            if slot == NONE_LABEL:
                continue
            if not fits(slot, n):
                q[k] *= 0.05
                continue
            # the customer's own words for the figure outweigh the question ("1900 take home" when
            # asked about debts is the income)
            unlike = clause is not None and ((clause.income and slot == "monthly_debt") or
                                             (clause.debt and slot == "monthly_income"))
            if ((slot == requested and not frames.revision) or slot in confirming) and not unlike:
                q[k] *= 8.0 if is_fragment(low, n) else 3.0
            elif clause is not None and requested in ("monthly_debt", "monthly_income") and slot != requested \
                    and ((clause.income and slot == "monthly_income") or (clause.debt and slot == "monthly_debt")):
                q[k] *= 3.0  # ... the slot its words name takes the asked slot's weight
            elif slot == expected:
                q[k] *= 4.0 if is_fragment(low, n) else 2.0
            elif slot in ctx.state:
                q[k] *= 3.0 if correcting else 0.4
            elif task_slots and slot in TASK_BOUND and slot not in task_slots:
                q[k] *= 0.2  # a loan amount in an investment conversation is unlikely
        if PER_MONTH_AFTER.match(low, n.unit_end) or MONEY_BEFORE.search(low, 0, n.start) or \
                (n.unit is None and MONEY_AFTER.match(low, n.end)):
            for slot in (*DURATION_SLOTS, "age", "dependents"):  # "300 each month", "£90" is money
                if slot in index:
                    q[index[slot]] *= 0.05
            if PER_MONTH_AFTER.match(low, n.unit_end) and "loan_amount" in index:
                q[index["loan_amount"]] *= 0.05  # a loan is no amount per month ("a car loan 250/m")
        if task == "investment" and clause is not None and OWN_MONEY.search(clause.text) and "investment_amount" in index:
            q[index["investment_amount"]] *= 3.0  # "I've got 15k spare" to invest
        if per_week(low, n, clause):  # "450 a week": money each week, never a yearly salary or a loan
            for label in (YEARLY_INCOME_LABEL, "loan_amount", "investment_amount", *DURATION_SLOTS, "age"):
                if label in index:
                    q[index[label]] *= 0.01
        if TOGETHER_AFTER.match(low, n.unit_end) and "monthly_income" in index:
            q[index["monthly_income"]] *= 8.0  # "... so 6,500 together": the household's income
        own_age = "age" in index and fits("age", n) and not n.shorthand and (
            (n.unit is None and IM_BEFORE.search(low, 0, n.start) is not None and IM_AFTER.match(low, n.end) is not None)
            or (n.unit == "year" and requested not in DURATION_SLOTS and HAVE_BEFORE.search(low, 0, n.start) is not None
                and IM_AFTER.match(low, n.unit_end) is not None))
        if (YEARS_OLD.match(low, n.end) or own_age) and "age" in index:
            q[index["age"]] *= 20.0  # "29 years old", "I'm 52" is an age whatever was asked
        fragment = is_fragment(low, n) and not own_age
        answer = requested if requested is not None else expected
        if answer and fragment and not frames.revision:
            q[index[NONE_LABEL]] *= 0.1  # a bare value answers the question
            label = answer if answer in index else None
            model_best = labels[int(p.argmax())]
            model_slot = "monthly_income" if model_best == YEARLY_INCOME_LABEL else model_best
            agrees = model_slot == NONE_LABEL or kind(model_slot) == kind(answer) or float(p.max()) < 0.9
            if label is not None and agrees and fits(answer, n) and \
                    not (answer == "monthly_income" and YEARLY.search(low)) and \
                    not (answer == "loan_amount" and PER_MONTH_AFTER.match(low, n.unit_end)) and \
                    not (answer != "loan_amount" and LIMIT.search(low)):  # "limit of 3000" is the credit asked
                q[:] = 0.0  # "three years", "50 grand" after being asked: the asked slot
                q[index[label]] = 1.0
        if frames.revision and len(numbers) == 1:
            best = labels[int(q.argmax())]
            best_slot = "monthly_income" if best == YEARLY_INCOME_LABEL else best
            same = [s for s in ctx.state if s in index and kind(s) == kind(best_slot) and fits(s, n)] \
                if best_slot != NONE_LABEL else []
            if best_slot not in ctx.state and len(same) == 1:
                q[index[same[0]]] = q.max() * 2  # "actually make it 10 years": the value said before
            elif len(same) > 1 and kind(best_slot) == "amount" and frameless(frames.clause_at(n.start)) \
                    and (near := nearest(n, {s: ctx.state[s] for s in same})):
                # "actually it's a bit lower, more like 2,400": the value of its size said before
                q[index[near]] = q.max() * 2
        total = float(q.sum())
        scored.append(q / total if total > 0 else p)
    # Several repayments named in one turn ("300 for the car loan and 50 on a catalogue") are one
    # monthly debt: their sum, carried by the first of them.
    numbers = list(numbers)
    skip: set[int] = set()
    debts = [i for i, n in enumerate(numbers) if "monthly_debt" in index and n.unit is None
             and labels[int(scored[i].argmax())] == "monthly_debt"
             and (c := frames.clause_at(n.start)) is not None and c.debt and n not in owed]
    if len(debts) > 1:
        first, last = debts[0], max(debts, key=lambda i: numbers[i].end)
        numbers[first] = dataclasses.replace(numbers[first], value=sum(numbers[i].value for i in debts),
                                             end=numbers[last].end, unit_end=numbers[last].end)
        skip = set(debts[1:])
    # Each slot once per turn: the most confident number takes it, the others their next best.
    order = sorted((i for i in range(len(numbers)) if i not in skip), key=lambda i: -float(scored[i].max()))
    taken: set[str] = set()
    mentions: list[Mention] = []
    candidates: list[Mention] = []
    for i in order:
        n, q = numbers[i], scored[i]
        for k in np.argsort(-q):
            label = labels[int(k)]
            slot = "monthly_income" if label == YEARLY_INCOME_LABEL else label
            if slot != NONE_LABEL and slot in taken:
                continue
            conf = float(q[int(k)])
            if slot == NONE_LABEL or conf < min_confidence:
                break
            value = normalize_number_for_slot(slot, n, yearly=label == YEARLY_INCOME_LABEL)
            if slot in ("monthly_income", "monthly_debt") and per_week(low, n, frames.clause_at(n.start)):
                value = format_amount(round(n.value * 52 / 12))
            end = n.unit_end if slot in DURATION_SLOTS else n.end
            old = ctx.state.get(slot)
            clause = frames.clause_at(n.start)
            # one more running cost named in passing ("we own the house, mortgage of 800" when asked
            # about housing, the business card's 150 known): a repayment beside those known
            passing = clause is not None and clause.commitment and requested not in (None, slot) and \
                not correcting and old is not None and float(old) != float(value)
            if slot == "monthly_debt" and old and clause is not None and clause.debt and \
                    (ALSO.search(low) or passing) and slot != requested:
                # "forgot the mortgage, 900 a month", "I also pay 60 on a card": one more repayment
                value = format_amount(float(old) + float(value))
            m = Mention(slot, value, round(conf, 4), n.start, end, source)
            changes = old is not None and old != value
            # "I want to borrow five thousand": the customer states the amount anew.
            restated = clause is not None and (
                (slot in ("loan_amount", "investment_amount") and RESTATE.search(clause.text) is not None)
                or (slot == "monthly_income" and I_EARN.search(clause.text) is not None))  # "I earn 2800"
            added = slot == "monthly_debt" and (ALSO.search(low) is not None or passing)
            if conf < write_threshold or (changes and slot != requested and slot not in confirming
                                          and not correcting and not restated and not added):
                # Uncertain, or contradicting the state unasked: the advisor asks about it.
                candidates.append(m)
            else:
                mentions.append(m)
                taken.add(slot)
            break
    return mentions, candidates


def _product(mentions: list[Mention], frames: Frames, ctx: TurnContext, loanish: bool, low: str, source: str,
             text: str, candidates: list[Mention], intent: str) -> list[Mention]:
    current = ctx.state.get("product")
    out: list[Mention] = []
    for m in mentions:
        if m.slot == "product" and current in LOAN_PRODUCTS and m.value != current:
            clause = frames.clause_at(m.start)
            possessed = clause is not None and POSSESSED.search(clause.text)
            if possessed and not SWITCH.search(clause.text):
                candidates.append(m)  # an existing product named in passing: not a new application
                continue
        out.append(m)
    if any(m.slot == "product" for m in out) or current:
        return out
    if implies_investment(intent, low):
        out.append(Mention("product", "investment", INFERRED_CONFIDENCE, 0, len(text), source))
        return out
    purpose = next((m.value for m in out if m.slot == "loan_purpose"), None) or ctx.state.get("loan_purpose")
    if purpose and loanish:
        product = CATALOGUE.get(purpose, CATALOGUE_DEFAULT)
        out.append(Mention("product", product, INFERRED_CONFIDENCE, 0, len(text), source))
    return out
