"""Understanding in context (issue 16): the advisor's last act and the state decide what a bare
value answers, what a contradiction is, and what stays a candidate. The committed model, new
sentences of each kind."""

from __future__ import annotations

import pytest

from finadvisor.services.state.context import TurnContext
from finadvisor.services.state.interpret import INFERRED_CONFIDENCE
from finadvisor.services.state.meaning import read_frames
from finadvisor.services.state.nlu import Understanding
from finadvisor.services.state.tracker import FactInput, held_facts
from tests.unit.understanding_cases import asked, got, savings


def test_a_bare_duration_answers_the_slot_that_was_asked(nlu: Understanding) -> None:
    assert got(nlu.understand("three years", context=asked("employment_years", employment_status="employed"))) \
        == {"employment_years": "3"}
    assert got(nlu.understand("three years", context=asked("loan_term_months", product="auto_loan"))) \
        == {"loan_term_months": "36"}
    assert got(nlu.understand("three years", context=asked("investment_horizon_years", product="investment"))) \
        == {"investment_horizon_years": "3"}


def test_the_same_bare_number_means_what_was_asked(nlu: Understanding) -> None:
    assert got(nlu.understand("45", context=asked("age", product="personal_loan"))) == {"age": "45"}
    assert got(nlu.understand("450", context=asked("monthly_debt", product="personal_loan"))) == {"monthly_debt": "450"}
    amount = got(nlu.understand("7,250 euros", context=asked("loan_amount", product="personal_loan")))
    assert amount == {"loan_amount": "7250", "currency": "EUR"}
    invested = got(nlu.understand("about 30 grand", context=asked("investment_amount", product="investment")))
    assert invested == {"investment_amount": "30000"}


def test_an_unasked_contradiction_is_a_candidate_and_a_said_correction_is_written(nlu: Understanding) -> None:
    ctx = asked("age", product="personal_loan", loan_amount="6000")
    r = nlu.understand("I'd need 8500", context=ctx)
    assert "loan_amount" not in got(r)
    assert [(c.slot, c.value) for c in r.candidates] == [("loan_amount", "8500")]
    r = nlu.understand("actually make that 8500", context=ctx)
    assert got(r)["loan_amount"] == "8500" and not r.candidates


def test_yes_to_a_clarification_writes_the_value(nlu: Understanding) -> None:
    ctx = TurnContext.build({"product": "personal_loan"},
                            [{"name": "clarify", "args": {"slot": "monthly_debt", "value": "600"}}])
    r = nlu.understand("yes that's right", context=ctx)
    assert got(r) == {"monthly_debt": "600"}
    assert got(nlu.understand("no, it's 650", context=ctx)) == {"monthly_debt": "650"}


def test_the_catalogue_infers_the_product_with_lower_confidence(nlu: Understanding) -> None:
    r = nlu.understand("I need money to redo our loft, about 9k")
    assert got(r)["loan_purpose"] == "renovation" and got(r)["product"] == "personal_loan"
    product = next(m for m in r.mentions if m.slot == "product")
    assert product.confidence == INFERRED_CONFIDENCE < next(m for m in r.mentions if m.slot == "loan_amount").confidence
    assert got(nlu.understand("I'm after finance for a campervan"))["product"] == "auto_loan"
    # Once a product is known, a purpose does not replace it.
    assert "product" not in got(nlu.understand("it's for a trip", context=asked("loan_purpose", product="mortgage")))


def test_an_existing_product_is_a_debt_not_the_application(nlu: Understanding) -> None:
    ctx = asked("monthly_debt", product="auto_loan", loan_amount="14000")
    r = nlu.understand("there's also the store card, I'm paying 65 a month on it", context=ctx)
    assert got(r) == {"monthly_debt": "65"}
    r = nlu.understand("we have a mortgage on our flat, 780 a month", context=ctx)
    assert got(r) == {"housing": "own", "monthly_debt": "780"}


@pytest.mark.parametrize(("text", "slots"), [
    ("I drive a forklift at a warehouse, been there 9 years", {"employment_status": "employed", "employment_years": "9"}),
    ("I'm a freelance translator", {"employment_status": "self_employed"}),
    ("I got made redundant in the spring", {"employment_status": "unemployed"}),
    ("the cottage is ours outright", {"housing": "own"}),
    ("still staying with my mum and dad", {"housing": "living_with_family"}),
])
def test_meaning_over_surface(nlu: Understanding, text: str, slots: dict[str, str]) -> None:
    assert got(nlu.understand(text)) == slots


def test_a_childs_studies_are_education_not_a_student(nlu: Understanding) -> None:
    r = nlu.understand("my lad starts his engineering degree in october and I want to help with the fees")
    assert got(r)["loan_purpose"] == "education"
    assert "employment_status" not in got(r)


def test_refusing_the_assistant_while_asking_for_a_person_is_a_handoff(nlu: Understanding) -> None:
    assert nlu.understand("no, this isn't working, put a real adviser on please").intent == "request_human"
    assert nlu.understand("no, that's not my income").intent == "deny"


def test_frames_read_clauses_without_cutting_numbers() -> None:
    f = read_frames("i take home 4,350 a month and repay one thousand two hundred and ten monthly")
    assert [c.text.strip() for c in f.clauses] == ["i take home 4,350 a month",
                                                   "repay one thousand two hundred and ten monthly"]
    assert f.clauses[0].income and f.clauses[1].debt


def test_an_uploads_currency_does_not_replace_the_loans() -> None:
    facts = [FactInput("monthly_income", "2400", 0.9, "image"), FactInput("currency", "EUR", 0.9, "image")]
    loan_in_pounds = TurnContext.build({"loan_amount": "6000", "currency": "GBP"})
    kept, held = held_facts(facts, [], loan_in_pounds)
    assert [f.slot for f in kept] == ["monthly_income"]
    assert [(h.slot, h.value) for h in held] == [("currency", "EUR")]
    kept, held = held_facts(facts, [], TurnContext.build({}))
    assert [f.slot for f in kept] == ["monthly_income", "currency"] and not held


def chart_read() -> TurnContext:
    return TurnContext.build({}, [{"name": "describe_chart",
                                   "args": {"trend": "down", "change_percent": "-8"}}])


@pytest.mark.parametrize("text", ["how come the red bars get smaller towards december",
                                  "what is the biggest wedge", "so the curve flattens out?"])
def test_a_question_about_a_charts_parts_is_about_the_chart(nlu: Understanding, text: str) -> None:
    assert nlu.understand(text).intent == "ask_about_chart"


def test_right_after_a_chart_a_question_about_what_it_does_is_about_the_chart(
        nlu: Understanding) -> None:
    text = "why did it go down in the summer?"
    assert nlu.understand(text, context=chart_read()).intent == "ask_about_chart"
    assert nlu.understand(text).intent != "ask_about_chart"  # no chart: nothing to ask about
    for other in ("what are your opening hours?", "could you book me a taxi"):
        assert nlu.understand(other, context=chart_read()).intent == "out_of_scope"


def test_a_line_of_credit_is_no_chart() -> None:
    assert not read_frames("what happens to the line of credit i have?").asks_about_chart


@pytest.mark.parametrize("text", ["we'd like our money to work harder for the next decade",
                                  "how do I grow our nest egg", "I want to put my cash to work"])
def test_money_made_to_grow_opens_an_investment_conversation(nlu: Understanding, text: str) -> None:
    assert nlu.understand(text).intent == "ask_investment_advice"


def test_a_business_to_grow_is_still_a_loan(nlu: Understanding) -> None:
    result = nlu.understand("I need finance to grow the bakery")
    assert result.intent == "apply_loan" and got(result).get("loan_purpose") == "business"


@pytest.mark.parametrize("text", ["im 52", "i'm 47, nearly 48", "I am just 23!"])
def test_a_persons_own_number_is_their_age_whatever_was_asked(nlu: Understanding, text: str) -> None:
    result = nlu.understand(text, context=asked("monthly_debt", product="personal_loan"))
    assert set(got(result)) == {"age"}


def test_a_bare_number_still_answers_what_was_asked(nlu: Understanding) -> None:
    assert got(nlu.understand("52", context=asked("monthly_debt", product="personal_loan"))) \
        == {"monthly_debt": "52"}
    assert got(nlu.understand("i'm 2000 in debt", context=asked("monthly_debt", product="personal_loan"))) \
        == {"monthly_debt": "2000"}


def test_a_car_named_by_its_make_is_a_car_but_an_employer_or_a_debt_is_not(nlu: Understanding) -> None:
    assert got(nlu.understand("thinking of a second-hand Honda, about 7k"))["loan_purpose"] == "car"
    assert "loan_purpose" not in got(nlu.understand("I work at Volvo, 12 years now"))
    assert "loan_purpose" not in got(nlu.understand("my Audi costs me 320 a month"))


def test_a_price_and_a_deposit_leave_the_rest_to_borrow_as_a_question(nlu: Understanding) -> None:
    ctx = asked("loan_amount", product="mortgage")
    result = nlu.understand("our place is about 240k and we have 40k put aside", context=ctx)
    assert "loan_amount" not in got(result)
    assert [(c.slot, c.value) for c in result.candidates][0] == ("loan_amount", "200000")
    # what the customer says they borrow is written as said
    said = nlu.understand("the flat is 320k and I'd borrow 260k", context=ctx)
    assert got(said)["loan_amount"] == "260000"


def test_take_home_pay_is_no_price(nlu: Understanding) -> None:
    assert got(nlu.understand("take-home is about 2.4k monthly",
                              context=asked("monthly_income", product="personal_loan"))) \
        == {"monthly_income": "2400"}


def test_asking_for_a_suggestion_in_an_investment_conversation_asks_for_the_advice(
        nlu: Understanding) -> None:
    summary = TurnContext.build({"product": "investment", "investment_amount": "20000",
                                 "currency": "EUR", "investment_horizon_years": "8",
                                 "risk_tolerance": "low"}, [{"name": "confirm", "args": {}}],
                                intent="ask_investment_advice")
    for text in ("what do you recommend then?", "any ideas?", "what are my options"):
        assert nlu.understand(text, context=summary).intent == "ask_investment_advice"
    assert nlu.understand("what do you recommend then?").intent != "ask_investment_advice"


def test_thousands_grouped_by_spaces_are_one_number(nlu: Understanding) -> None:
    result = nlu.understand("I'm looking for 15 000 € for a new kitchen")
    assert got(result)["loan_amount"] == "15000" and got(result)["currency"] == "EUR"
    assert got(nlu.understand("my salary is 3 200 € net a month",
                              context=asked("monthly_income", product="personal_loan"))
               )["monthly_income"] == "3200"


def test_a_bare_zero_answers_a_count_not_a_loan_amount(nlu: Understanding) -> None:
    assert got(nlu.understand("0", context=asked("dependents", product="personal_loan",
                                                 loan_amount="9000"))) == {"dependents": "0"}


@pytest.mark.parametrize("text, slots", [
    ("we're owners", {"housing": "own"}),
    ("we'd like to remortgage, about 150k", {"product": "mortgage", "loan_amount": "150000"}),
])
def test_more_ways_people_say_it(nlu: Understanding, text: str, slots: dict[str, str]) -> None:
    assert {k: got(nlu.understand(text)).get(k) for k in slots} == slots


def test_what_a_commitment_costs_is_a_debt_not_the_loan(nlu: Understanding) -> None:
    ctx = TurnContext.build({"product": "mortgage", "loan_amount": "200000", "monthly_debt": "300"},
                            [{"name": "request", "args": {"slot": "dependents"}}], intent="apply_loan")
    assert got(nlu.understand("sorry, the car finance is 280", context=ctx)) == {"monthly_debt": "280"}


def test_money_put_aside_each_month_is_not_income(nlu: Understanding) -> None:
    ctx = TurnContext.build({}, [{"name": "request", "args": {"slot": "monthly_income"}}],
                            intent="ask_savings_advice")
    assert "monthly_income" not in got(nlu.understand("we could put 250 a month aside", context=ctx))


@pytest.mark.parametrize("text, slots", [
    ("I live by myself in my own house", {"housing": "own"}),
    ("staying w/ my folks for now", {"housing": "living_with_family"}),
    ("we'd love to buy our own place", {"housing": None, "loan_purpose": "home"}),
    ("hoping to borrow for a stairlift", {"loan_purpose": "medical"}),
])
def test_homes_and_what_people_borrow_for(nlu: Understanding, text: str,
                                         slots: dict[str, str | None]) -> None:
    assert {k: got(nlu.understand(text)).get(k) for k in slots} == slots


@pytest.mark.parametrize("slot", ["monthly_debt", "dependents"])
@pytest.mark.parametrize("text", ["none", "nope", "nothing at all"])
def test_a_bare_none_to_a_question_about_debts_or_dependents_is_zero(
        nlu: Understanding, slot: str, text: str) -> None:
    assert got(nlu.understand(text, context=asked(slot, product="personal_loan"))) == {slot: "0"}


def test_a_bare_no_to_a_read_back_is_still_a_no(nlu: Understanding) -> None:
    clarify = TurnContext.build({"product": "personal_loan"},
                                [{"name": "clarify", "args": {"slot": "monthly_debt", "value": "600"}}])
    result = nlu.understand("no", context=clarify)
    assert result.intent == "deny" and got(result) == {}


@pytest.mark.parametrize("text, months", [("a year", "12"), ("about a year and a half", "18")])
def test_a_year_is_a_duration(nlu: Understanding, text: str, months: str) -> None:
    assert got(nlu.understand(text, context=asked("loan_term_months", product="personal_loan"))) \
        == {"loan_term_months": months}


def test_a_year_after_an_amount_is_its_rate(nlu: Understanding) -> None:
    result = nlu.understand("I take home 41,000 pounds a year",
                            context=asked("monthly_income", product="personal_loan"))
    assert got(result)["monthly_income"] == "3416.67"  # 41000 / 12
    assert "loan_term_months" not in got(result)


def test_asking_for_the_outcome_is_an_eligibility_question(nlu: Understanding) -> None:
    assert nlu.understand("so what's the decision?",
                          context=asked("housing", product="personal_loan")).intent == "ask_eligibility"


# -- a home owned with a mortgage, what a mortgage costs, income from a job ------------------------
@pytest.mark.parametrize("text", ["owned house, still with a mortgage on it", "we own home, mortgage left on it"])
def test_a_home_owned_with_a_mortgage_is_housing_not_the_product(nlu: Understanding, text: str) -> None:
    result = nlu.understand(text, context=asked("housing", product="auto_loan", loan_purpose="car"))
    assert got(result) == {"housing": "own"}
    assert not [c for c in result.candidates if c.slot in ("product", "loan_purpose")]


def test_a_home_to_buy_is_still_wanted_not_owned(nlu: Understanding) -> None:
    assert got(nlu.understand("we want to buy own home next year")).get("housing") != "own"


def test_what_a_mortgage_costs_each_month_is_a_debt(nlu: Understanding) -> None:
    result = nlu.understand("our mortgage is 870 a month", context=asked("monthly_debt", product="personal_loan"))
    assert got(result) == {"monthly_debt": "870", "housing": "own"}
    # without a month, a mortgage's figure in a mortgage application is its amount
    result = nlu.understand("the mortgage is 240k", context=asked("loan_amount", product="mortgage"))
    assert got(result).get("loan_amount") == "240000" and "monthly_debt" not in got(result)


@pytest.mark.parametrize("text, income", [("I get 850 a month from a cleaning job", "850"),
                                          ("we receive about 1,300 monthly from our shop business", "1300")])
def test_money_received_from_work_is_income_whatever_was_asked(nlu: Understanding, text: str, income: str) -> None:
    assert got(nlu.understand(text, context=asked("monthly_debt", product="personal_loan"))) \
        == {"monthly_income": income}


def test_a_charge_one_gets_is_still_a_debt(nlu: Understanding) -> None:
    result = nlu.understand("I get charged 45 a month on my overdraft",
                            context=asked("monthly_debt", product="personal_loan"))
    assert got(result) == {"monthly_debt": "45"}


# -- savings conversations ----------------------------------------------------------------------------
def test_a_duration_in_a_savings_conversation_is_its_horizon(nlu: Understanding) -> None:
    ctx = savings({"name": "request", "args": {"slot": "currency", "task": "savings"}}, monthly_income="2100")
    assert got(nlu.understand("probably about four years", context=ctx)) == {"investment_horizon_years": "4"}
    # ... and in a loan conversation it is the term (written, or read back when unasked), never a horizon
    result = nlu.understand("probably about four years", context=asked("currency", product="personal_loan"))
    said = [(m.slot, m.value) for m in [*result.mentions, *result.candidates]]
    assert said == [("loan_term_months", "48")]


def test_money_put_aside_is_neither_owed_nor_earned(nlu: Understanding) -> None:
    ctx = savings({"name": "request", "args": {"slot": "monthly_income", "task": "savings"}})
    result = nlu.understand("we could set aside roughly 250 every month", context=ctx)
    assert not [m for m in [*result.mentions, *result.candidates]
                if m.slot in ("monthly_debt", "monthly_income", "investment_horizon_years")]


def test_a_request_for_advice_after_a_read_back_keeps_the_savings_task(nlu: Understanding) -> None:
    read_back = {"name": "clarify", "args": {"slot": "monthly_income", "value": "3900"}}
    assert nlu.understand("ok so which would you recommend then?", context=savings(read_back)).intent \
        == "ask_savings_advice"
    # the task comes from the advisor's latest question, not from the read-back
    assert TurnContext.build({}, [read_back], "inform").task("") is None
    assert savings(read_back).task("") == "savings"


def test_saving_in_other_words_is_not_investing(nlu: Understanding) -> None:
    assert nlu.understand("can you help me put a little money by every month?").intent == "ask_savings_advice"
    assert nlu.understand("I want to invest in index funds").intent == "ask_investment_advice"


def test_the_two_of_us_counts_people_not_years(nlu: Understanding) -> None:
    ctx = savings({"name": "request", "args": {"slot": "currency", "task": "savings"}}, monthly_income="2000")
    result = nlu.understand("the three of us bring home 5100 a month", context=ctx)
    assert "investment_horizon_years" not in got(result) and "dependents" not in got(result)
    assert [(c.slot, c.value) for c in result.candidates] == [("monthly_income", "5100")]


@pytest.mark.parametrize("text", ["I need finance for a used van", "a loan for a minibus please"])
def test_a_van_is_a_vehicle(nlu: Understanding, text: str) -> None:
    assert got(nlu.understand(text))["loan_purpose"] == "car"


# -- one message with many facts, summaries agreed to, outcomes and payments asked for ---------------
def test_a_frame_does_not_carry_over_a_full_stop(nlu: Understanding) -> None:
    result = nlu.understand("I've worked at the bakery for 9 years. I'd pay the loan back over 4 years.",
                            context=asked("loan_term_months", product="personal_loan"))
    assert got(result)["employment_years"] == "9" and got(result)["loan_term_months"] == "48"


@pytest.mark.parametrize("text", ["£60 phone contract", "a phone contract, 60 pounds"])
def test_money_is_no_count_of_years(nlu: Understanding, text: str) -> None:
    result = nlu.understand(text, context=asked("monthly_debt", product="personal_loan"))
    assert got(result) == {"monthly_debt": "60", **({"currency": "GBP"})}


def test_a_loan_paid_per_month_is_a_repayment_not_the_amount(nlu: Understanding) -> None:
    result = nlu.understand("a van loan, 180/m", context=asked("monthly_debt", product="mortgage"))
    assert got(result) == {"monthly_debt": "180"}


def test_repayments_named_together_are_summed(nlu: Understanding) -> None:
    result = nlu.understand("I pay 120 on a store card and 80 for my phone contract",
                            context=asked("monthly_debt", product="personal_loan"))
    assert got(result) == {"monthly_debt": "200"}


def test_money_received_in_benefits_is_not_a_debt(nlu: Understanding) -> None:
    result = nlu.understand("we get 900 a month in child benefit",
                            context=asked("monthly_debt", product="personal_loan"))
    said = {m.slot: m.value for m in [*result.mentions, *result.candidates]}
    assert "monthly_debt" not in said and said.get("monthly_income") == "900"


@pytest.mark.parametrize("text", ["zero at the moment", "none living with us"])
def test_a_none_with_more_words_to_a_count_is_zero(nlu: Understanding, text: str) -> None:
    assert got(nlu.understand(text, context=asked("dependents", product="personal_loan"))) == {"dependents": "0"}


def test_agreeing_that_all_is_correct_is_no_goodbye(nlu: Understanding) -> None:
    summary = TurnContext.build({"product": "personal_loan"}, [{"name": "confirm", "args": {"slots": "loan_amount"}}])
    assert nlu.understand("yep that's all spot on", context=summary).intent == "affirm"
    assert nlu.understand("that's all for today, bye", context=summary).intent == "goodbye"


@pytest.mark.parametrize("text", ["how much will the instalments be?", "what would we repay per month?",
                                  "would you lend it to us?", "what's the probable outcome?", "outcome?"])
def test_asking_for_the_outcome_or_the_payments_is_an_eligibility_question(nlu: Understanding, text: str) -> None:
    assert nlu.understand(text, context=asked("housing", product="personal_loan")).intent == "ask_eligibility"


def test_a_price_said_with_for_is_no_loan_amount(nlu: Understanding) -> None:
    result = nlu.understand("we've found a house for 300k and have 60k deposit",
                            context=asked("loan_amount", product="mortgage"))
    assert "loan_amount" not in got(result)
    assert [(c.slot, c.value) for c in result.candidates] == [("loan_amount", "240000")]


def test_ups_and_downs_is_a_medium_risk(nlu: Understanding) -> None:
    ctx = TurnContext.build({"product": "investment"},
                            [{"name": "request", "args": {"slot": "risk_tolerance", "task": "investment"}}])
    assert got(nlu.understand("I don't mind a few ups and downs", context=ctx)) == {"risk_tolerance": "medium"}
