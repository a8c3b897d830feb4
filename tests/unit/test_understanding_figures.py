"""Understanding of figures people qualify (session 14): a figure said to be wrong, someone
else's figure, a range, a sum owed beside a repayment, a homeowner's mortgage and a running
finance agreement said with their cost, a price less a deposit, a home shared with parents named
by a pronoun. Each test uses other sentences than the conversations that showed the kind. The
committed model."""

from __future__ import annotations

from finadvisor.services.state.nlu import NLUResult, Understanding
from tests.unit.understanding_cases import asked, got


def values(result: NLUResult) -> set[str]:
    """Every value a turn writes or asks about."""
    return {m.value for m in [*result.mentions, *result.candidates]}


def test_a_figure_said_to_be_wrong_is_no_value(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_amount": "9000", "monthly_income": "3100"}
    result = nlu.understand("sorry my mistake, I take home 3,400 not 3100", context=asked("monthly_debt", **loan))
    assert got(result) == {"monthly_income": "3400"} and values(result) == {"3400"}
    result = nlu.understand("make it 60 months rather than 36", context=asked("monthly_income", **loan))
    assert got(result).get("loan_term_months") == "60" and "36" not in values(result)


def test_someone_elses_figure_beside_the_customers_is_no_value(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_amount": "7000", "loan_term_months": "48"}
    result = nlu.understand("we both work, me for 12 years and her for 2", context=asked("employment_status", **loan))
    assert got(result)["employment_years"] == "12" and "2" not in values(result) and "24" not in values(result)
    result = nlu.understand("i net 1,850 and my husband about 2,300", context=asked("monthly_income", **loan))
    assert got(result)["monthly_income"] == "1850" and "2300" not in values(result)


def test_a_range_is_its_lower_end_checked_with_the_customer(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_amount": "12000"}
    result = nlu.understand("depends on the month, 2-3k usually", context=asked("monthly_income", **loan))
    assert not got(result) and [(c.slot, c.value) for c in result.candidates] == [("monthly_income", "2000")]
    result = nlu.understand("anywhere between 1 and 2 thousand a month", context=asked("monthly_income", **loan))
    assert [(c.slot, c.value) for c in result.candidates] == [("monthly_income", "1000")]
    assert "2000" not in values(result)
    # two figures that are no range stay two values
    result = nlu.understand("I earn 2,900 and pay 250 on a loan", context=asked("monthly_income", **loan))
    assert got(result) == {"monthly_income": "2900", "monthly_debt": "250"}


def test_a_sum_owed_beside_a_repayment_is_no_repayment(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_amount": "6000", "monthly_income": "2400"}
    result = nlu.understand("two store cards, about 5k between them altogether, I pay 220 a month on them",
                            context=asked("monthly_debt", **loan))
    assert got(result) == {"monthly_debt": "220"}
    result = nlu.understand("there's 3,500 outstanding on my overdraft and I pay 90 a month",
                            context=asked("monthly_debt", **loan))
    assert got(result) == {"monthly_debt": "90"}
    # repayments said one by one are still summed
    result = nlu.understand("150 a month on a car loan and 40 a month on a card", context=asked("monthly_debt", **loan))
    assert got(result) == {"monthly_debt": "190"}


def test_a_running_agreement_said_with_its_cost_is_a_repayment(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_purpose": "travel", "monthly_income": "2600"}
    result = nlu.understand("just a sofa on finance at 45", context=asked("monthly_debt", **loan))
    assert got(result) == {"monthly_debt": "45"}
    result = nlu.understand("we own the flat, mortgage of 650", context=asked("housing", **loan, loan_amount="4000"))
    assert got(result)["housing"] == "own" and "loan_amount" not in got(result)
    assert [(m.slot, m.value) for m in [*result.mentions, *result.candidates] if m.value == "650"] == \
        [("monthly_debt", "650")]
    # what a homeowner owes on the mortgage is no monthly repayment
    result = nlu.understand("we own our house, mortgage of 120k left", context=asked("housing", **loan, loan_amount="4000"))
    assert "monthly_debt" not in got(result)


def test_a_price_less_a_deposit_is_the_only_loan_amount_asked_about(nlu: Understanding) -> None:
    home = {"product": "mortgage", "loan_purpose": "home"}
    result = nlu.understand("the house we like is 310,000, we have 40k as a deposit", context=asked("loan_amount", **home))
    assert "loan_amount" not in got(result)
    assert [(c.slot, c.value) for c in result.candidates if c.slot == "loan_amount"] == [("loan_amount", "270000")]


def test_living_with_parents_named_by_a_pronoun(nlu: Understanding) -> None:
    card = {"product": "credit_card", "monthly_income": "900"}
    result = nlu.understand("my mum and dad own the house, I live with them", context=asked("housing", **card))
    assert got(result)["housing"] == "living_with_family"
    result = nlu.understand("I rent, I live with them as a lodger", context=asked("housing", **card))
    assert got(result)["housing"] == "rent"


def test_a_running_cost_named_in_passing_is_added_to_the_repayments_known(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_amount": "8000", "monthly_income": "3300", "monthly_debt": "120"}
    result = nlu.understand("it's ours, the mortgage is 700 a month", context=asked("housing", **loan))
    assert got(result) == {"housing": "own", "monthly_debt": "820"}
    # the same figure said again is the same repayment, not a second one
    result = nlu.understand("a phone contract of 120, that's the one", context=asked("employment_status", **loan))
    assert got(result).get("monthly_debt", "120") == "120"


def test_a_half_after_digits_and_a_pronoun_one_before_so(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_purpose": "renovation"}
    assert got(nlu.understand("about 7 and a half grand", context=asked("loan_amount", **loan))) == \
        {"loan_amount": "7500"}
    assert got(nlu.understand("3 and a half years", context=asked("loan_term_months", **loan))) == \
        {"loan_term_months": "42"}
    result = nlu.understand("I want to merge my two loans into one so the payments are lower",
                            context=asked("loan_purpose", product="personal_loan"))
    assert "1" not in values(result)


def test_a_turn_that_names_its_loan_reads_years_as_its_term(nlu: Understanding) -> None:
    result = nlu.understand("looking to borrow 6k to pay off my overdraft and cards, over 4 years")
    assert got(result)["loan_term_months"] == "48" and "investment_horizon_years" not in got(result)


def test_non_native_ways_of_saying_age_no_debts_and_is_it_approved(nlu: Understanding) -> None:
    from finadvisor.services.state.context import TurnContext

    car = {"product": "auto_loan", "loan_amount": "9000", "monthly_income": "2100"}
    assert got(nlu.understand("I have 52 years", context=asked("housing", **car)))["age"] == "52"
    # ... but asked how long they have worked, years had are years in work
    assert "age" not in got(nlu.understand("I have 20 years", context=asked("employment_years", **car)))
    assert got(nlu.understand("we have not any other credits", context=asked("monthly_debt", **car))) == \
        {"monthly_debt": "0"}
    told = TurnContext.build(car, [{"name": "inform_decision", "args": {"decision": "refer"}}])
    assert nlu.understand("that is approved?", context=told).intent == "ask_eligibility"


def test_money_of_ones_own_beside_a_price_is_a_deposit(nlu: Understanding) -> None:
    car = {"product": "auto_loan", "loan_purpose": "car"}
    result = nlu.understand("the van costs 12000, we have 3000", context=asked("loan_amount", **car))
    assert "monthly_debt" not in got(result) and "loan_amount" not in got(result)
    assert [(c.slot, c.value) for c in result.candidates] == [("loan_amount", "9000")]
    # without a price, "I have 2 kids" stays a count of children
    assert got(nlu.understand("I have 2 kids", context=asked("dependents", **car))) == {"dependents": "2"}


def test_housing_dependents_risk_and_none_in_plain_words(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_purpose": "travel", "monthly_income": "2500"}
    result = nlu.understand("owned, no more mortgage left", context=asked("housing", **loan))
    assert got(result) == {"housing": "own"}
    assert got(nlu.understand("three teenagers", context=asked("dependents", **loan))) == {"dependents": "3"}
    assert got(nlu.understand("nothing except spotify", context=asked("monthly_debt", **loan))) == {"monthly_debt": "0"}
    invest = {"product": "investment", "investment_amount": "5000"}
    risk = asked("risk_tolerance", **invest)
    assert got(nlu.understand("medium I guess, I've got time", context=risk)) == {"risk_tolerance": "medium"}
    assert got(nlu.understand("pretty low tbh", context=risk)) == {"risk_tolerance": "low"}


def test_so_after_an_outcome_asks_for_it_and_a_cards_balance_is_no_limit(nlu: Understanding) -> None:
    from finadvisor.services.state.context import TurnContext

    told = TurnContext.build({"product": "personal_loan", "loan_amount": "5000"},
                             [{"name": "inform_decision", "args": {"decision": "refer"}}])
    assert nlu.understand("so?", context=told).intent == "ask_eligibility"
    card = {"product": "credit_card", "monthly_income": "1800", "currency": "GBP"}
    result = nlu.understand("there's 2,200 left on my store card, I pay 70 a month", context=asked("monthly_debt", **card))
    assert got(result) == {"monthly_debt": "70"} and "2200" not in values(result)


def test_one_clause_price_and_deposit_joint_income_gross_and_a_bare_small_amount(nlu: Understanding) -> None:
    home = {"product": "mortgage", "loan_purpose": "home"}
    result = nlu.understand("house is three hundred thousand and we've got fifty thousand saved", context=asked("loan_amount", **home))
    assert [(c.slot, c.value) for c in result.candidates if c.slot == "loan_amount"] == [("loan_amount", "250000")]
    result = nlu.understand("I get 1,700 and my partner earns 2,100, 3,800 combined", context=asked("monthly_income", **home))
    assert got(result)["monthly_income"] == "3800"
    loan = {"product": "personal_loan", "loan_purpose": "travel", "loan_amount": "4000"}
    result = nlu.understand("2,450 net, 3,100 gross", context=asked("monthly_income", **loan))
    assert got(result) == {"monthly_income": "2450"} and "3100" not in values(result)
    result = nlu.understand("maybe 8", context=asked("loan_amount", product="personal_loan", loan_purpose="travel"))
    assert not got(result) and [(c.slot, c.value) for c in result.candidates] == [("loan_amount", "8000")]


def test_a_small_mortgage_figure_rent_and_someone_elses_age(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_purpose": "other", "loan_amount": "9000", "monthly_income": "2700"}
    result = nlu.understand("only the mortgage, that is 620", context=asked("monthly_debt", **loan))
    assert got(result) == {"monthly_debt": "620"}
    result = nlu.understand("we rent, it's around 1,050", context=asked("housing", **loan))
    assert got(result) == {"housing": "rent"} and not result.candidates
    result = nlu.understand("my son is 19 and still at home", context=asked("dependents", **loan, age="48"))
    assert "age" not in got(result) and "19" not in values(result)
    # the customer's own income said anew replaces one given as a bare answer
    result = nlu.understand("well I earn 3,000 actually", context=asked("currency", **loan))
    assert got(result)["monthly_income"] == "3000"


def test_getting_by_is_a_purpose_and_housing_answers_the_question_before(nlu: Understanding) -> None:
    from finadvisor.services.state.context import TurnContext

    result = nlu.understand("need 1,500 to tide me over until my new job starts", context=asked("loan_purpose"))
    assert got(result)["loan_purpose"] == "other"
    earlier = [[{"name": "request", "args": {"slot": "housing"}}]]
    ctx = TurnContext.build({"product": "personal_loan"}, [{"name": "request", "args": {"slot": "dependents"}}],
                            "inform", earlier=earlier)
    assert got(nlu.understand("renting", context=ctx)) == {"housing": "rent"}


def test_a_model_year_only_me_and_is_that_a_yes(nlu: Understanding) -> None:
    from finadvisor.services.state.context import TurnContext

    car = {"product": "auto_loan", "loan_purpose": "car"}
    result = nlu.understand("it's for my 2016 corolla, needs replacing", context=asked("loan_amount", **car))
    assert "2016" not in values(result)
    # ... and a thing known by its model year is a vehicle: the purpose, when none was said
    result = nlu.understand("want to buy a 2021 octavia", context=asked("loan_purpose", product="personal_loan"))
    assert got(result)["loan_purpose"] == "car" and "2021" not in values(result)
    # a year-sized amount of money is still money
    assert got(nlu.understand("a 1500 loan would do", context=asked("loan_amount", **car)))["loan_amount"] == "1500"
    assert got(nlu.understand("only me", context=asked("dependents", **car))) == {"dependents": "0"}
    assert "dependents" not in got(nlu.understand("only me", context=asked("monthly_debt", **car)))
    told = TurnContext.build(car, [{"name": "inform_decision", "args": {"decision": "refer"}}])
    assert nlu.understand("right so is it a no then", context=told).intent == "ask_eligibility"
    assert nlu.understand("is ok?", context=told).intent == "ask_eligibility"


def test_a_bare_zero_answers_the_count_asked_just_before(nlu: Understanding) -> None:
    from finadvisor.services.state.context import TurnContext

    earlier = [[{"name": "request", "args": {"slot": "dependents"}}]]
    ctx = TurnContext.build({"product": "auto_loan", "age": "31"},
                            [{"name": "request", "args": {"slot": "housing"}}], "inform", earlier=earlier)
    result = nlu.understand("0", context=ctx)
    assert got(result) == {"dependents": "0"} and not result.candidates


def test_weekly_money_own_money_to_invest_and_things_for_a_home(nlu: Understanding) -> None:
    loan = {"product": "personal_loan", "loan_purpose": "other", "loan_amount": "2000"}
    assert got(nlu.understand("about 300 a week after tax", context=asked("monthly_income", **loan))) == \
        {"monthly_income": "1300"}
    assert got(nlu.understand("I pay 20 a week on a catalogue", context=asked("monthly_debt", **loan))) == \
        {"monthly_debt": "87"}
    invest = asked("investment_amount", product="investment")
    assert got(nlu.understand("there's 40k sitting in my current account", context=invest)) == \
        {"investment_amount": "40000"}
    result = nlu.understand("a sofa and a wardrobe for the new house we bought", context=asked("loan_purpose", product="personal_loan"))
    assert got(result).get("loan_purpose") == "other"
    # buying the home itself is still a home
    result = nlu.understand("to buy our first house", context=asked("loan_purpose", product="personal_loan"))
    assert got(result)["loan_purpose"] == "home"


def test_or_not_and_disliking_risk(nlu: Understanding) -> None:
    from finadvisor.services.state.context import TurnContext

    told = TurnContext.build({"product": "personal_loan", "loan_amount": "3000"},
                             [{"name": "inform_decision", "args": {"decision": "refer"}}])
    assert nlu.understand("am I getting the money or not", context=told).intent == "ask_eligibility"
    risk = asked("risk_tolerance", product="investment", investment_amount="5000")
    assert got(nlu.understand("I really don't want much risk", context=risk)) == {"risk_tolerance": "low"}
