"""Template realisation of acts and the faithfulness guard."""

from __future__ import annotations

import random

import pytest

from finadvisor.dialogue.acts import Act, act
from finadvisor.dialogue.guard import problems
from finadvisor.dialogue.realise import PLACEHOLDER_RE, REQUEST, fill, realise, realise_act

CONFIRM = act("confirm", slots="loan_amount,currency,loan_term_months,monthly_income,monthly_debt",
              loan_amount="12000", currency="EUR", loan_term_months="36", monthly_income="2900",
              monthly_debt="0")
REPLIES: list[list[Act]] = [
    *[[act("request", slot=s)] for s in REQUEST],
    [act("answer_rate", product="mortgage", rate="4.5"), act("request", slot="loan_amount")],
    [act("ack_payslip", monthly_income="3200", currency="GBP"), act("request", slot="monthly_debt")],
    [act("describe_chart", trend="rising", change_percent="12")],
    [act("describe_chart", trend="volatile")],
    [CONFIRM, act("inform_decision", decision="refer", reason="the repayments would take 48% "
                  "of your income of 2900 EUR", needs="age,monthly_income", instalment="366",
                  currency="EUR")],
    [act("inform_decision", decision="approve", instalment="250", currency="USD")],
    [act("inform_decision", decision="decline", reason="the repayments are more than you can afford")],
    [act("handoff")], [act("welcome"), act("request", slot="age")],
    [act("out_of_scope"), act("request", slot="housing")],
    [act("clarify", slot="monthly_debt", value="600")], [act("check_value", slot="age", value="240")],
    [act("confirm_heard", transcript="I earn 3000 a month")],
    [act("ack_unreadable", kind="payslip")], [act("ack_unreadable", kind="chart")],
    [act("ack", document="bank_statement"), act("request", slot="age")],
    [act("offer", product="investment", risk_tolerance="low", investment_amount="10000",
         currency="GBP")],
    [act("offer", product="savings_account")],
    [act("explain", topic="risk_tolerance"), act("request", slot="risk_tolerance")],
    [act("explain", topic="correction")], [act("explain", topic="services")],
    [act("explain", topic="investment_returns")], [act("explain", topic="no_decision")],
    [act("explain", topic="eligibility"), act("request", slot="age")],
    [act("greet")], [act("goodbye")], [act("ack")],
]


@pytest.mark.parametrize("acts", REPLIES, ids=lambda acts: "+".join(a.name for a in acts))
def test_every_template_paraphrase_is_faithful_to_its_acts(acts: list[Act]) -> None:
    rng = random.Random(0)
    seen = set()
    for _ in range(12):
        delex, text = realise(acts, rng)
        seen.add(delex)
        assert not PLACEHOLDER_RE.search(text)
        assert problems(text, acts) == [], text
    assert len(seen) >= 2  # several paraphrases per act


def test_each_act_has_several_paraphrases() -> None:
    for a in [act("greet"), act("handoff"), act("answer_rate", product="mortgage", rate="4.5"),
              act("inform_decision", decision="refer", reason="x"), act("request", slot="age")]:
        rng = random.Random(1)
        assert len({realise_act(a, rng) for _ in range(20)}) >= 2


def test_guard_finds_an_unasked_question() -> None:
    acts = [act("ack_payslip", monthly_income="3200", currency="GBP")]
    assert problems("Your payslip shows 3200 GBP a month. How old are you?", acts) == \
        ["unasked_question"]


def test_guard_finds_a_number_that_is_not_an_argument() -> None:
    acts = [act("answer_rate", product="mortgage", rate="4.5")]
    assert problems("Our mortgage rate starts at 4.5% a year, or 3.9% for you.", acts) == \
        ["number_not_in_acts"]


def test_guard_finds_an_act_that_was_not_said() -> None:
    acts = [act("answer_rate", product="mortgage", rate="4.5"), act("request", slot="loan_amount")]
    assert problems("Our mortgage rate starts at 4.5% a year.", acts) == ["unrealised:request"]
    told = [act("inform_decision", decision="decline", reason="too much existing debt")]
    assert "unrealised:inform_decision" in problems("We can approve this in principle.", told)


def test_a_handoff_reply_that_asks_anything_is_unfaithful() -> None:
    assert problems("I'll connect you with an advisor. How old are you?", [act("handoff")])


def test_fill_reports_a_placeholder_the_acts_cannot_fill() -> None:
    text, missing = fill("You would pay [instalment] [currency] a month.",
                         [act("inform_decision", decision="approve", instalment="300")])
    assert missing == ["currency"] and "[" not in text


def test_guard_finds_content_of_an_act_that_was_not_decided() -> None:
    acts = [act("request", slot="monthly_income")]
    assert problems("The chart shows a falling trend. How much do you earn per month?", acts) == \
        ["unasked_content:describe_chart"]
    assert problems("We can approve this in principle. How much do you earn per month?", acts) == \
        ["unasked_content:inform_decision"]
    # the customer's own words read back are not the advisor's content
    heard = [act("confirm_heard", transcript="bye for now")]
    assert problems('Did you say "bye for now"?', heard) == []


def test_the_decision_check_accepts_a_question_its_reply_asks_and_nothing_unasked() -> None:
    from finadvisor.dialogue.evaluate import check_reply

    decision = act("inform_decision", decision="refer", reason="we do not have everything we need to decide yet",
                   needs="credit_history", instalment="250.02", currency="GBP")
    said = ("I can't give a final answer yet: your application needs a review by one of our team. The main "
            "reason: we do not have everything we need to decide yet. To decide, we would need your credit "
            "history. The monthly instalment would be about 250.02 GBP.")
    asks = " How many people depend on you financially?"
    assert check_reply("states_decision", [decision, act("request", slot="dependents")], said + asks)
    assert not check_reply("states_decision", [decision], said + asks)  # a question no act asks
    assert not check_reply("states_decision", [decision, act("request", slot="dependents")], asks.strip())
