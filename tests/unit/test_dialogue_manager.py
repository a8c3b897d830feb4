"""The dialogue manager's rules, one behaviour per test (no models, no network)."""

from __future__ import annotations

import random

import pytest

from finadvisor.dialogue.acts import Act, act, heard_arg, heard_values
from finadvisor.dialogue.config import TASK_SLOTS, DialogueConfig
from finadvisor.dialogue.evaluate import reasks, simulate_reasks
from finadvisor.dialogue.manager import Candidate, CreditView, DialogueManager, Turn

DM = DialogueManager()
LOAN = {"product": "auto_loan", "loan_amount": "12000", "currency": "EUR",
        "loan_term_months": "36", "monthly_income": "2900", "monthly_debt": "0",
        "employment_status": "employed", "employment_years": "5", "age": "29",
        "dependents": "0", "housing": "rent"}


def names(acts: list[Act]) -> list[str]:
    return [a.name for a in acts]


def requested(acts: list[Act]) -> list[str]:
    return [a.get("slot") for a in acts if a.name == "request"]


def test_never_requests_a_slot_the_state_holds_whatever_arrives_when() -> None:
    rng = random.Random(7)
    intents = ["inform", "apply_loan", "ask_rate", "thank", "greet", "out_of_scope",
               "ask_eligibility", "affirm", "ask_investment_advice", "ask_savings_advice"]
    for _ in range(3000):
        task = rng.choice(list(TASK_SLOTS))
        pool = list(TASK_SLOTS[task]) + ["product"]
        slots = {s: {"product": "savings_account" if task == "savings" else "investment"
                     if task == "investment" else "credit_card" if task == "credit_card"
                     else "personal_loan"}.get(s, "1") for s in rng.sample(pool, rng.randint(0, len(pool)))}
        acts = DM.decide(Turn(intent=rng.choice(intents), slots=slots))
        assert not set(requested(acts)) & set(slots), (slots, acts)
        assert len(requested(acts)) <= 1


def test_the_next_request_follows_the_banks_order_from_configuration() -> None:
    acts = DM.decide(Turn(intent="inform", slots={"product": "mortgage", "loan_amount": "260000"}))
    assert requested(acts) == ["currency"]
    custom = DialogueManager(DialogueConfig(task_slots={**TASK_SLOTS, "loan": (
        "age", "loan_amount", "currency")}))
    acts = custom.decide(Turn(intent="inform", slots={"product": "mortgage", "loan_amount": "1"}))
    assert requested(acts) == ["age"]


def test_a_request_for_a_person_is_a_handoff_and_nothing_else() -> None:
    for slots in ({}, {"loan_amount": "1500", "currency": "USD"}, LOAN):
        acts = DM.decide(Turn(intent="request_human", slots=slots,
                              credit=CreditView("decline", "too much debt")))
        assert names(acts) == ["handoff"]


def test_a_rate_question_is_answered_first_with_the_published_rate_then_the_task_resumes() -> None:
    acts = DM.decide(Turn(intent="ask_rate", slots={"product": "mortgage"}))
    assert acts[0] == act("answer_rate", product="mortgage", rate="4.5")
    assert requested(acts) == ["loan_amount"]
    savings = DM.decide(Turn(intent="ask_rate", slots={"product": "savings_account"}))
    assert savings[0].get("rate") == "3.1"
    invest = DM.decide(Turn(intent="ask_rate", slots={"product": "investment"}))
    assert invest[0] == act("explain", topic="investment_returns")


def test_out_of_scope_mid_task_gets_one_sentence_and_the_task_resumes() -> None:
    acts = DM.decide(Turn(intent="out_of_scope", slots={"loan_purpose": "travel",
                                                         "loan_amount": "1500"}))
    assert names(acts) == ["out_of_scope", "request"]
    assert requested(acts) == ["currency"]


def test_out_of_scope_before_any_task_says_what_the_advisor_can_do() -> None:
    for turn in (Turn(intent="out_of_scope", slots={}),
                 Turn(intent="out_of_scope", slots={}, previous_acts=[[act("greet")]])):
        assert DM.decide(turn) == [act("explain", topic="services")]


def test_a_card_applicant_asking_for_the_outcome_hears_that_the_team_decides() -> None:
    card = {"product": "credit_card", "monthly_income": "2100", "currency": "GBP",
            "monthly_debt": "0", "employment_status": "employed", "age": "30", "housing": "rent"}
    summary = [[DM.confirm_act("credit_card", card)]]
    acts = DM.decide(Turn(intent="ask_eligibility", slots=card, previous_acts=summary))
    assert names(acts) == ["offer", "explain"] and acts[1] == act("explain", topic="no_decision")
    # agreeing to the summary takes the offer, which promises no decision
    assert names(DM.decide(Turn(intent="affirm", slots=card, previous_acts=summary))) == ["offer"]


def test_a_payslip_is_acknowledged_with_the_income_and_currency_read() -> None:
    acts = DM.decide(Turn(intent="upload_document", slots={"monthly_income": "3200",
                                                           "currency": "GBP"},
                          image_type="payslip", image_fields={"net_pay": "3200"},
                          changed_slots=["monthly_income"]))
    assert acts[0] == act("ack_payslip", monthly_income="3200", currency="GBP")
    unread = DM.decide(Turn(intent="upload_document", slots={}, image_type="payslip"))
    assert unread[0] == act("ack_unreadable", kind="payslip")


def test_a_chart_is_described_by_its_trend_and_change() -> None:
    acts = DM.decide(Turn(intent="ask_about_chart", slots={}, image_type="line_chart",
                          chart_trend="falling", trend_change_percent=-12.4))
    assert acts[0] == act("describe_chart", trend="falling", change_percent="-12")
    assert "request" not in names(acts)  # no task yet: nothing unrelated is asked


def test_a_question_about_a_chart_sent_earlier_is_answered_from_what_was_read() -> None:
    shown = act("describe_chart", trend="down", change_percent="-8")
    acts = DM.decide(Turn(intent="ask_about_chart", slots={},
                          previous_acts=[[shown], [act("request", slot="product")]]))
    assert shown in acts and "ack_unreadable" not in names(acts)
    never = DM.decide(Turn(intent="ask_about_chart", slots={}))
    assert act("ack_unreadable", kind="chart") in never


def test_an_unsure_voice_transcript_is_read_back_instead_of_acted_on() -> None:
    acts = DM.decide(Turn(intent="inform", slots={}, text_source="audio",
                          transcript="I'm 29", transcript_confidence=0.2,
                          candidates=[Candidate("age", "29", 0.9, held=True)]))
    assert acts == [act("confirm_heard", transcript="I'm 29", heard="age=29", intent="inform")]
    sure = DM.decide(Turn(intent="inform", slots={"age": "29"}, text_source="audio",
                          transcript="I'm 29", transcript_confidence=0.9))
    assert "confirm_heard" not in names(sure)


def test_the_read_back_carries_only_the_held_values_and_the_transcripts_intent() -> None:
    # a held amount and an ordinary uncertain value of the same turn: only the held one is
    # confirmed by a "yes"; the act round-trips through its string arguments
    acts = DM.decide(Turn(intent="apply_loan", slots={"loan_purpose": "car"}, text_source="audio",
                          transcript="I would like tomorrow 20,000", transcript_confidence=0.44,
                          candidates=[Candidate("loan_amount", "20000", 0.8, held=True),
                                      Candidate("currency", "USD", 0.8, held=True),
                                      Candidate("monthly_debt", "300", 0.3)]))
    assert names(acts) == ["confirm_heard"]
    assert heard_values(acts[0].get("heard")) == {"loan_amount": "20000", "currency": "USD"}
    assert acts[0].get("intent") == "apply_loan"


def test_only_an_unsure_transcript_is_held() -> None:
    assert DM.unsure_transcript("audio", "I'm 29", 0.49)
    assert not DM.unsure_transcript("audio", "I'm 29", 0.5)
    assert not DM.unsure_transcript("text", "I'm 29", 0.1)  # typed text is never read back
    assert not DM.unsure_transcript("audio", "I'm 29", None)  # not measured
    assert not DM.unsure_transcript("audio", " ", 0.1)
    strict = DialogueManager(DialogueConfig(low_transcript_confidence=0.8))
    assert strict.unsure_transcript("audio", "I'm 29", 0.7)


def test_held_values_round_trip_through_the_acts_arguments() -> None:
    raw = heard_arg([("loan_amount", "15000"), ("currency", "EUR"), ("loan_purpose", "")])
    assert raw == "loan_amount=15000,currency=EUR"
    assert heard_values(raw) == {"loan_amount": "15000", "currency": "EUR"}
    assert heard_values("") == {} and heard_values("junk,=1,age=") == {}


def test_the_completing_turn_confirms_the_figures_and_tells_the_outcome() -> None:
    credit = CreditView("decline", "your repayments would take 61% of your income",
                        instalment="366", currency="EUR")
    acts = DM.decide(Turn(intent="inform", slots=LOAN, credit=credit))
    assert names(acts) == ["confirm", "inform_decision"]
    assert acts[0].items("slots") == ["loan_amount", "currency", "loan_term_months",
                                      "monthly_income", "monthly_debt"]
    told = acts[1]
    assert (told.get("decision"), told.get("instalment")) == ("decline", "366")
    assert "61%" in told.get("reason")
    # asked again: told again; a plain "thanks" afterwards does not repeat it
    again = DM.decide(Turn(intent="ask_eligibility", slots=LOAN, credit=credit,
                           previous_acts=[acts]))
    assert names(again) == ["inform_decision"]
    thanks = DM.decide(Turn(intent="thank", slots=LOAN, credit=credit, previous_acts=[acts]))
    assert names(thanks) == ["welcome"]


def test_a_referral_says_what_is_needed_and_an_approval_gives_no_reason() -> None:
    refer = DM.decide(Turn(intent="ask_eligibility", slots={"loan_amount": "4000"},
                           credit=CreditView("refer", "", ("age", "monthly_income"))))
    told = [a for a in refer if a.name == "inform_decision"][0]
    assert told.items("needs") == ["age", "monthly_income"]
    approve = DM.decide(Turn(intent="ask_eligibility", slots=LOAN,
                             credit=CreditView("approve", "ignored", instalment="366",
                                               currency="EUR")))
    told = [a for a in approve if a.name == "inform_decision"][0]
    assert not told.get("reason") and told.get("instalment") == "366"


def test_eligibility_asked_before_anything_is_known_says_so_and_asks_the_next_thing() -> None:
    acts = DM.decide(Turn(intent="ask_eligibility", slots={}))
    assert acts[0] == act("explain", topic="eligibility")
    assert requested(acts) == ["loan_purpose"]


def test_a_complete_investment_profile_asked_for_advice_gets_the_offer() -> None:
    slots = {"product": "investment", "investment_amount": "10000", "currency": "GBP",
             "investment_horizon_years": "8", "risk_tolerance": "low"}
    acts = DM.decide(Turn(intent="ask_investment_advice", slots=slots))
    assert names(acts) == ["offer"] and acts[0].get("risk_tolerance") == "low"
    summary = DM.decide(Turn(intent="inform", slots=slots))
    assert names(summary) == ["confirm"]
    agreed = DM.decide(Turn(intent="affirm", slots=slots, previous_acts=[summary]))
    assert names(agreed) == ["offer"]


def test_uncertain_and_impossible_values_are_asked_about_not_requested_again() -> None:
    acts = DM.decide(Turn(intent="inform", slots={"loan_purpose": "car", "loan_amount": "9000",
                                                   "currency": "USD", "loan_term_months": "24",
                                                   "monthly_income": "3000"},
                          candidates=[Candidate("monthly_debt", "600", 0.4)]))
    assert names(acts) == ["clarify"] and acts[0].get("value") == "600"
    impossible = DM.decide(Turn(intent="inform", slots={}, candidates=[Candidate("age", "240")]))
    assert impossible[0] == act("check_value", slot="age", value="240")


def test_the_task_of_the_advisors_last_question_is_kept_for_a_bare_answer() -> None:
    first = DM.decide(Turn(intent="ask_investment_advice", slots={}))
    assert requested(first) == ["investment_amount"]
    # "about 10k" read as a loan amount must not turn the conversation into a loan
    acts = DM.decide(Turn(intent="inform", slots={"investment_amount": "10000"},
                          previous_acts=[first]))
    assert requested(acts) == ["currency"]


def test_an_unanswered_question_is_not_asked_twice_in_a_row_when_something_else_came() -> None:
    last = [act("request", slot="loan_purpose", task="loan")]
    acts = DM.decide(Turn(intent="inform", slots={"product": "personal_loan",
                                                   "loan_amount": "4000"},
                          changed_slots=["loan_amount"], previous_acts=[last]))
    assert requested(acts) == ["currency"]


def test_a_value_asked_about_and_left_unanswered_is_read_back_when_its_turn_comes() -> None:
    # "i have 44 years": 44 was understood as the age, unsure; the customer went on to another
    # topic. When the age is the next thing missing, 44 is read back, not asked for afresh.
    unsure = [act("clarify", slot="age", value="44")]
    no_age = {k: v for k, v in LOAN.items() if k != "age"}
    acts = DM.decide(Turn(intent="inform", slots=no_age, changed_slots=["housing"],
                          previous_acts=[unsure, [act("request", slot="housing", task="loan")]]))
    assert act("clarify", slot="age", value="44") in acts and requested(acts) == []


def test_the_read_back_waits_for_its_turn_and_is_not_repeated_in_a_row() -> None:
    unsure = [act("clarify", slot="age", value="44")]
    slots = {k: v for k, v in LOAN.items() if k not in ("age", "housing")}
    acts = DM.decide(Turn(intent="inform", slots=slots, changed_slots=["employment_years"],
                          previous_acts=[unsure]))
    assert requested(acts) == ["housing"] and "clarify" not in names(acts)


def test_after_the_value_was_asked_for_afresh_or_was_impossible_it_is_not_offered_back() -> None:
    no_age = {k: v for k, v in LOAN.items() if k != "age"}
    denied = [[act("clarify", slot="age", value="44")], [act("request", slot="age", task="loan")],
              [act("request", slot="housing", task="loan")]]
    acts = DM.decide(Turn(intent="inform", slots=no_age, changed_slots=["housing"],
                          previous_acts=denied))
    assert requested(acts) == ["age"]
    impossible = [[act("check_value", slot="age", value="240")],
                  [act("request", slot="housing", task="loan")]]
    acts = DM.decide(Turn(intent="inform", slots=no_age, changed_slots=["housing"],
                          previous_acts=impossible))
    assert requested(acts) == ["age"]


def test_a_read_back_ignored_at_once_or_twice_gives_way_to_a_fresh_question() -> None:
    # "I can put away 300 a month" -> "is 300 your monthly income?" -> "what's the interest?":
    # no answer, and nothing else said; the income is asked for afresh, not read back again.
    unsure = [act("request", slot="monthly_income", task="savings"),
              act("clarify", slot="monthly_income", value="300")]
    acts = DM.decide(Turn(intent="ask_rate", slots={"product": "savings_account"},
                          previous_acts=[unsure]))
    assert "clarify" not in names(acts) and requested(acts) == ["monthly_income"]
    no_age = {k: v for k, v in LOAN.items() if k != "age"}
    twice = [[act("clarify", slot="age", value="44")], [act("request", slot="housing")],
             [act("clarify", slot="age", value="44")], [act("request", slot="dependents")]]
    acts = DM.decide(Turn(intent="inform", slots=no_age, changed_slots=["dependents"],
                          previous_acts=twice))
    assert requested(acts) == ["age"]


def test_a_question_passed_over_comes_back_after_the_others_not_every_other_turn() -> None:
    # Asked for the purpose first; the customer gave the amount instead, then the currency.
    asked = [[act("request", slot="loan_purpose", task="loan")],
             [act("request", slot="currency", task="loan")]]
    slots = {"product": "personal_loan", "loan_amount": "5000", "currency": "GBP"}
    acts = DM.decide(Turn(intent="inform", slots=slots, changed_slots=["currency"],
                          previous_acts=asked))
    assert requested(acts) == ["loan_term_months"]
    # once everything else is known it is asked again
    rest = {**LOAN, "product": "personal_loan"}
    rest.pop("loan_purpose", None)
    acts = DM.decide(Turn(intent="inform", slots=rest, changed_slots=["housing"],
                          previous_acts=[*asked, [act("request", slot="housing", task="loan")]]))
    assert requested(acts) == ["loan_purpose"]


def test_after_a_side_question_the_same_question_comes_again() -> None:
    last = [act("request", slot="monthly_income", task="loan")]
    slots = {"product": "auto_loan", "loan_amount": "9000", "currency": "EUR",
             "loan_term_months": "36"}
    acts = DM.decide(Turn(intent="ask_rate", slots=slots, previous_acts=[last]))
    assert requested(acts) == ["monthly_income"]


def test_reask_counts_requests_of_held_slots_and_repeated_summaries() -> None:
    confirm = act("confirm", slots="loan_amount", loan_amount="5")
    assert reasks([act("request", slot="age")], {"age": "30"}, []) == ["request(age)"]
    assert reasks([confirm], {}, [[confirm]]) == ["confirm(repeated)"]
    assert reasks([confirm, act("request", slot="age")], {}, []) == []


def test_simulated_dialogues_in_random_orders_have_no_reask() -> None:
    result = simulate_reasks(200, seed=3)
    assert result["replies"] > 1000
    assert result["reask_rate"] == 0.0


@pytest.mark.parametrize("bad", ["", "no_such_act"])
def test_unknown_act_names_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        Act(bad)


def test_a_referral_waiting_for_information_names_that_not_a_model_factor() -> None:
    from finadvisor.dialogue.manager import AWAITING_INFORMATION, main_reason

    waiting = [("Needed before a final decision: savings", "missing"),
               ("Repayment term of 24 months is long", "model")]
    assert main_reason(waiting) == AWAITING_INFORMATION
    # a deciding rule comes first and stays the main reason; so does a factor when nothing is missing
    ruled = [("Applicant is a student: the policy refers such applications", "policy"), *waiting]
    assert main_reason(ruled) == ruled[0][0]
    assert main_reason([("", "model"), ("Loan is 0.4 times a year's income", "model")]) \
        == "Loan is 0.4 times a year's income"
    assert main_reason([]) == ""


def test_an_agreement_after_a_side_question_on_an_agreed_summary_gets_the_offer() -> None:
    savings = {"product": "savings_account", "monthly_income": "2400", "currency": "EUR", "monthly_debt": "0"}
    summary = DM.confirm_act("savings", savings)
    rate = [act("answer_rate", product="savings_account", rate="3.1")]
    acts = DM.decide(Turn(intent="affirm", slots=savings, previous_acts=[[summary], rate]))
    assert names(acts) == ["offer"]
    # once offered, another "ok" is no new offer
    offered = DM.decide(Turn(intent="affirm", slots=savings,
                             previous_acts=[[summary], rate, [act("offer", product="savings_account")]]))
    assert "offer" not in names(offered)


def test_a_declined_question_is_passed_over_and_one_asked_three_times_is_left() -> None:
    slots = {k: v for k, v in LOAN.items() if k not in ("age", "dependents")}
    asked_age = [[act("request", slot="age", task="loan")]]
    acts = DM.decide(Turn(intent="deny", slots=slots, previous_acts=asked_age))
    assert requested(acts) == ["dependents"]  # not the age again at once
    thrice = [[act("request", slot="age", task="loan")]] * 3
    after = DM.decide(Turn(intent="inform", slots=slots, changed_slots=["housing"], previous_acts=thrice))
    assert requested(after) == ["dependents"]
    # with everything else known, the application goes on without the age
    done = {k: v for k, v in LOAN.items() if k != "age"}
    final = DM.decide(Turn(intent="deny", slots=done, previous_acts=thrice))
    assert "age" not in requested(final) and "confirm" in names(final)


def test_an_investment_offer_without_a_risk_level_says_the_mix_depends_on_it() -> None:
    from finadvisor.dialogue.realise import realise_act

    slots = {"product": "investment", "investment_amount": "10000", "currency": "USD",
             "investment_horizon_years": "20"}
    asked = [[act("request", slot="risk_tolerance", task="investment")]] * DM.config.max_asks
    acts = DM.decide(Turn(intent="ask_investment_advice", slots=slots, previous_acts=asked))
    offer = next(a for a in acts if a.name == "offer")
    assert "risk_tolerance" not in offer.args
    text = realise_act(offer, None, True)
    assert "risk you are comfortable with" in text and not text.startswith("For risk")
