"""Each kind of understanding failure of issue 16, with new sentences of that kind, through the
gateway and the state service with a real Redis (``finadvisor.evaluation.harness``)."""

from __future__ import annotations

import pytest

from finadvisor.evaluation.harness import play_dialogues

pytestmark = pytest.mark.integration

DIALOGUES = {
    "occupation": ["hello", "I'd like a personal loan", "I've been a bricklayer, self-employed, for 14 years"],
    "occupation_employed": ["hi", "I'm a dental nurse at a clinic, seven years now"],
    "own_home": ["hi", "I need a loan for a holiday", "we own the house we live in"],
    "existing_payment": ["hello", "I want a loan for a used motorbike", "11000",
                         "I also have a credit card that I pay 80 a month on"],
    "consolidation": ["I'd like to merge my two credit cards into one loan"],
    "child_studies": ["hi", "I need to borrow money", "it's to cover my daughter's university fees"],
    "human": ["hi", "no, I don't want to do this with a bot, let me speak to one of your advisers"],
    "bare_answers": ["car loan please", "9,500 pounds", "three years"],
    # a savings conversation whose customer is read a figure back, then asks for the advice
    "savings_read_back": ["could you help me put some money by each month?", "I take home 2,200 a month",
                          "the two of us take home 3900 a month", "about six years",
                          "so which would you recommend?"],
    "owned_with_mortgage": ["hi, a loan for a second-hand van please", "7000", "owned house with a mortgage",
                            "the mortgage is 640 a month"],
    # session 14: what the service does, a price and a deposit checked, a range, a sum owed
    "services": ["what sort of things can you do?"],
    "price_and_deposit": ["hi, we're after a mortgage", "the flat we like is 265,000 and we've put 40k aside",
                          "yes", "pounds"],
    "range_and_owed": ["loan for a new boiler please", "5000", "GBP", "two years",
                       "between 2 and 3 thousand a month, it depends", "yes",
                       "I owe about 4k on a card and pay 120 a month on it"],
}


@pytest.fixture(scope="module")
def played() -> dict[str, list]:
    names = list(DIALOGUES)
    out = play_dialogues([{"turns": DIALOGUES[n]} for n in names])
    return dict(zip(names, out, strict=True))


def slots(resp) -> dict[str, str]:
    return {k: v.value for k, v in resp.state.slots.items()}


def test_occupation_with_years_is_employment(played) -> None:
    s = slots(played["occupation"][-1])
    assert s["employment_status"] == "self_employed" and s["employment_years"] == "14"
    assert "investment_horizon_years" not in s and s.get("loan_term_months") != "168"
    s = slots(played["occupation_employed"][-1])
    assert s["employment_status"] == "employed" and s["employment_years"] == "7"


def test_owning_a_home_is_housing_not_a_purpose(played) -> None:
    s = slots(played["own_home"][-1])
    assert s["housing"] == "own"
    assert s["loan_purpose"] == "travel" and s["product"] == "personal_loan"


def test_existing_payment_is_a_debt_and_keeps_the_product(played) -> None:
    turns = played["existing_payment"]
    assert slots(turns[1])["product"] == "auto_loan"  # inferred from the purpose
    assert turns[1].state.slots["product"].confidence < turns[1].state.slots["loan_purpose"].confidence
    s = slots(turns[-1])
    assert s["monthly_debt"] == "80"
    assert s["product"] == "auto_loan" and s["loan_amount"] == "11000"


def test_consolidating_cards_is_a_purpose_not_a_card(played) -> None:
    s = slots(played["consolidation"][-1])
    assert s["loan_purpose"] == "debt_consolidation" and s["product"] == "personal_loan"
    assert "monthly_debt" not in s


def test_a_childs_studies_are_education(played) -> None:
    s = slots(played["child_studies"][-1])
    assert s["loan_purpose"] == "education" and s["product"] == "personal_loan"
    assert "employment_status" not in s


def test_asking_for_a_person_while_refusing_the_assistant_is_a_handoff(played) -> None:
    assert played["human"][-1].state.active_intent == "request_human"


def test_bare_answers_fill_the_slot_that_was_asked(played) -> None:
    turns = played["bare_answers"]
    for prev, resp in zip(turns, turns[1:]):
        asked = [a.args["slot"] for a in prev.acts if a.name == "request"]
        assert asked, "the advisor asked for something"
        assert asked[0] in resp.state.changed_slots
    s = slots(turns[-1])
    assert s["loan_amount"] == "9500" and s["currency"] == "GBP"


def test_a_savings_conversation_keeps_its_task_across_a_read_back(played) -> None:
    turns = played["savings_read_back"]
    assert [a.name for a in turns[2].acts] == ["clarify"]  # the second income is read back
    s = slots(turns[3])
    assert s.get("investment_horizon_years") == "6" and "loan_term_months" not in s
    assert turns[-1].state.active_intent == "ask_savings_advice"
    assert "out_of_scope" not in [a.name for a in turns[-1].acts]


def test_a_home_owned_with_a_mortgage_keeps_the_product_and_its_cost_is_a_debt(played) -> None:
    s = slots(played["owned_with_mortgage"][-1])
    assert s["housing"] == "own" and s["monthly_debt"] == "640"
    assert s["product"] == "auto_loan" and s["loan_purpose"] == "car"


def test_a_question_about_the_service_is_answered_with_what_it_does(played) -> None:
    turn = played["services"][0]
    assert [a.name for a in turn.acts] == ["explain"] and turn.acts[0].args["topic"] == "services"
    assert "outside" not in turn.reply.lower()


def test_a_price_less_a_deposit_is_checked_then_written(played) -> None:
    turns = played["price_and_deposit"]
    asked = [a for a in turns[1].acts if a.name == "clarify"]
    assert asked and asked[0].args["slot"] == "loan_amount" and asked[0].args["value"] == "225000"
    assert "loan_amount" not in slots(turns[1])
    s = slots(turns[-1])
    assert s["loan_amount"] == "225000" and s["currency"] == "GBP"


def test_a_range_is_checked_and_a_sum_owed_is_no_repayment(played) -> None:
    turns = played["range_and_owed"]
    asked = [a for a in turns[4].acts if a.name == "clarify"]
    assert asked and (asked[0].args["slot"], asked[0].args["value"]) == ("monthly_income", "2000")
    assert slots(turns[5])["monthly_income"] == "2000"
    assert slots(turns[-1])["monthly_debt"] == "120"
