"""Template realisation of acts: several paraphrases per act, delexicalised then filled.

Two uses: the training pairs of the generator (acts -> delexicalised reply, a paraphrase picked
by a seeded RNG) and the last resort of the faithfulness guard (a template realisation is
faithful by construction). Placeholders are ``[name]`` where ``name`` is an act argument
(``[rate]``, ``[instalment]``, ``[reason]``) or a confirmed slot (``[loan_amount]``); ``fill``
replaces them from the acts' arguments, so every figure a customer reads is an argument.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from finadvisor.dialogue.acts import Act

PLACEHOLDER_RE = re.compile(r"\[([a-z_]+)\]")

#: How a slot reads inside a sentence ("your ..."); also the cue the guard looks for.
SLOT_WORDS: dict[str, str] = {
    "product": "product", "loan_amount": "loan amount", "investment_amount": "amount to invest",
    "monthly_income": "monthly income", "monthly_debt": "monthly debt repayments",
    "currency": "currency", "loan_term_months": "loan term", "loan_purpose": "loan purpose",
    "employment_status": "employment status", "employment_years": "years in your job",
    "age": "age", "dependents": "number of dependents",
    "investment_horizon_years": "investment horizon", "housing": "housing situation",
    "risk_tolerance": "risk tolerance",
}
PRODUCT_WORDS: dict[str, str] = {
    "personal_loan": "personal loan", "mortgage": "mortgage", "auto_loan": "car loan",
    "credit_card": "credit card", "savings_account": "savings account",
    "investment": "investment account",
}
NEED_WORDS: dict[str, str] = {**{k: f"your {v}" for k, v in SLOT_WORDS.items()},
                              # items of the bank's profile the credit model may ask for
                              "credit_history": "your credit history",
                              "proof_of_income": "proof of your income",
                              "checking_status": "the status of your current account",
                              "savings_status": "your savings",
                              "existing_credits": "the number of credits you already have",
                              "other_instalment_plans": "any other instalment plans",
                              "guarantor": "a guarantor or co-applicant",
                              "property": "the property you hold",
                              "employment": "your employment and how long you have had it"}

REQUEST: dict[str, list[str]] = {
    "product": ["Which product are you interested in: a loan, a card, savings or investing?",
                "What can I help you with: borrowing, saving or investing?",
                "Which of our products would you like to look at?"],
    "loan_purpose": ["What is the loan for?", "What would you like to use the money for?",
                     "What do you need the loan for?", "Could you tell me the purpose of the loan?"],
    "loan_amount": ["How much would you like to borrow?", "What amount do you need?",
                    "How much money are you looking to borrow?",
                    "Could you tell me the amount you need?"],
    "currency": ["Which currency is that in?", "In which currency, please?",
                 "Which currency should I use for that?"],
    "loan_term_months": ["Over how long would you like to repay it?",
                         "How long a term would you like?",
                         "Over how many months or years would you repay the loan?",
                         "What repayment period suits you?"],
    "monthly_income": ["What is your monthly income after tax?",
                       "How much do you take home each month?",
                       "Could you tell me your net monthly income?",
                       "What do you earn per month, after tax?"],
    "monthly_debt": ["How much do you pay each month towards other loans or cards?",
                     "Do you repay any other debts each month, and if so, how much?",
                     "What are your current monthly debt repayments?"],
    "employment_status": ["What is your employment situation?",
                          "Are you employed, self-employed, retired or something else?",
                          "Could you tell me about your work situation?"],
    "employment_years": ["How many years have you been in your current job?",
                         "How long have you worked there?",
                         "For how many years have you been working in that role?"],
    "age": ["How old are you?", "May I ask your age?", "Could you tell me your age?"],
    "dependents": ["How many people depend on you financially?",
                   "How many dependents do you have, if any?",
                   "How many children or other dependents do you support?"],
    "housing": ["Do you own your home, rent, or live with family?",
                "What is your housing situation: owner, tenant or living with family?",
                "Do you rent or own where you live?"],
    "investment_amount": ["How much would you like to invest?",
                          "What amount are you thinking of investing?",
                          "How much money do you want to put in?"],
    "investment_horizon_years": ["For how many years would you like to invest?",
                                 "How long can you leave the money invested?",
                                 "What is your investment horizon, in years?"],
    "risk_tolerance": ["How much risk are you comfortable with: low, medium or high?",
                       "Would you prefer low, medium or high risk?",
                       "What level of risk suits you: low, medium or high?"],
}
GENERIC: dict[str, list[str]] = {
    "greet": ["Hello! How can I help you with your finances today?",
              "Hi, welcome. What can I do for you today?",
              "Good to hear from you. How can I help today?"],
    "goodbye": ["Thank you for talking with us. Goodbye!", "Goodbye, and have a good day.",
                "Thanks for your time. Goodbye."],
    "welcome": ["You're welcome.", "My pleasure.", "Glad to help."],
    "handoff": ["Of course. I'm connecting you with one of our advisors now.",
                "Certainly, a member of our team will take over from here.",
                "Sure. I'm passing you to a colleague who will continue with you."],
    "out_of_scope": ["I'm afraid I can only help with loans, cards, savings and investments.",
                     "That's outside what I can help with, sorry.",
                     "I can't help with that one, but I can help with your finances."],
    "ack": ["Thank you, I've noted that.", "Thanks, noted.", "Understood, thank you."],
}
ANSWER_RATE = ["Our [product] rate currently starts at [rate]% a year.",
               "The [product] is available from [rate]% a year at the moment.",
               "For a [product], rates start from [rate]% a year."]
ACK_PAYSLIP = ["Thanks for the payslip: it shows a net monthly pay of [monthly_income] [currency].",
               "I've read your payslip: [monthly_income] [currency] net per month.",
               "Your payslip shows a monthly take-home pay of [monthly_income] [currency]."]
ACK_UNREADABLE = {
    "payslip": ["I'm sorry, I couldn't read the amounts on that payslip. Could you upload a "
                "clearer photo, or type your net monthly pay?",
                "I couldn't read that payslip, unfortunately. A sharper image, or your monthly "
                "take-home pay typed in, would do."],
    "chart": ["I'm sorry, I couldn't read a trend from that image. Could you upload the chart "
              "again, ideally a clearer picture?",
              "I couldn't make out the chart, unfortunately. Could you send a clearer image?"],
    "other": ["I'm sorry, I couldn't read that document. Could you upload a clearer image?",
              "I couldn't read that image, unfortunately. Could you try a clearer photo?"],
}
ACK_DOCUMENT = {
    "bank_statement": ["Thank you, I've received your bank statement.",
                       "Thanks, your bank statement is on file."],
    "id_document": ["Thank you, I've received your identity document.",
                    "Thanks, your ID document is on file."],
    "other": ["Thank you, I've received the document.", "Thanks, the document is on file."],
}
CHART = {
    "rising": ["The chart shows a rising trend", "The values in the chart go up over the period",
               "This chart trends upwards"],
    "falling": ["The chart shows a falling trend",
                "The values in the chart go down over the period", "This chart trends downwards"],
    "flat": ["The chart is broadly flat", "The values in the chart stay about the same",
             "This chart shows no clear trend up or down"],
    "volatile": ["The chart is volatile", "The values in the chart swing up and down",
                 "This chart moves sharply without a steady direction"],
}
CHART_CHANGE = [", a change of [change_percent]% from start to end.",
                " ([change_percent]% from the first value to the last)."]
DECISION = {
    "approve": ["Good news: on the figures you've given me, we can approve this loan in principle.",
                "Based on what you've told me, the outcome is positive: we can approve this in principle.",
                "Your application meets our criteria, so we can approve it in principle."],
    "refer": ["I can't give a final answer yet: your application needs a review by one of our team.",
              "Your application is referred for a closer look rather than decided automatically.",
              "The outcome for now is a referral: a colleague needs to review your application."],
    "decline": ["I'm sorry, we can't offer this loan on the figures you've given me.",
                "Unfortunately, we're unable to approve this application as it stands.",
                "I'm sorry to say that the outcome is a decline for this application."],
}
DECISION_REASON = [" The main reason: [reason].", " The main reason is this: [reason]."]
DECISION_NEEDS = [" To decide, we would need [needs].", " What we still need is [needs]."]
DECISION_INSTALMENT = [" The monthly instalment would be about [instalment] [currency].",
                       " You would repay roughly [instalment] [currency] a month."]
CONFIRM_PARTS = {
    "loan_amount": ["a loan of [loan_amount] [currency]", "[loan_amount] [currency] to borrow"],
    "loan_term_months": ["over [loan_term_months] months", "repaid over [loan_term_months] months"],
    "monthly_income": ["a monthly income of [monthly_income] [currency]",
                       "[monthly_income] [currency] of income a month"],
    "monthly_debt": ["[monthly_debt] [currency] a month of other repayments",
                     "other debts of [monthly_debt] [currency] a month"],
    "investment_amount": ["[investment_amount] [currency] to invest",
                          "an investment of [investment_amount] [currency]"],
    "investment_horizon_years": ["for [investment_horizon_years] years",
                                 "over [investment_horizon_years] years"],
    "risk_tolerance": ["with [risk_tolerance] risk", "at a [risk_tolerance] risk level"],
}
CONFIRM_OPEN = ["To confirm, I have ", "Here is what I have: ", "So far I have "]
CONFIRM_CLOSE = [". Let me know if anything is wrong.", ". Tell me if any of that is wrong.",
                 ". Please correct me if anything is off."]
CLARIFY = ["Just to check: is [value] your [slot]?", "Did you mean [value] as your [slot]?",
           "Is [value] your [slot]?"]
CHECK_VALUE = ["[value] doesn't look right for your [slot]. Could you check it?",
               "I may have misread: [value] as your [slot] seems unlikely. Could you check it?"]
CONFIRM_HEARD = ["I want to be sure I heard you correctly: did you say \"[transcript]\"?",
                 "Sorry, the recording wasn't very clear. Did you say \"[transcript]\"?"]
OFFER = {
    "investment": ["For [risk_tolerance] risk, a diversified fund portfolio matched to that level "
                   "would suit your [investment_amount] [currency].",
                   "With [risk_tolerance] risk, I'd suggest a diversified portfolio at that risk "
                   "level for your [investment_amount] [currency]."],
    "investment_any_risk": ["A diversified fund portfolio could suit your [investment_amount] [currency]; "
                            "the mix depends on how much risk you are comfortable with."],
    "savings_account": ["Our savings account would suit you: it pays interest monthly and you "
                        "can add to it at any time.",
                        "I'd suggest our savings account, with a regular monthly transfer."],
    "default": ["The [product] looks like a good fit for you; a colleague can take you through "
                "the details.", "I'd suggest our [product] for you."],
}
EXPLAIN = {
    "risk_tolerance": ["Lower risk means steadier but smaller expected returns; higher risk can "
                       "grow more but can also lose more.",
                       "With low risk your money moves less, with high risk it can rise or fall "
                       "much more."],
    "investment_returns": ["Investments have no fixed rate: their value can go down as well as up.",
                           "There is no set interest rate on investments; returns depend on the markets."],
    "eligibility": ["To tell you whether you are eligible I need a few more details.",
                    "I can check your eligibility once I have a few more details."],
    "no_decision": ["I can't give you a decision right now; an advisor will review your "
                    "application and get back to you.",
                    "I'm not able to give a decision at the moment; a colleague will review it "
                    "and contact you."],
    "correction": ["Sorry about that. Which detail should I change?",
                   "No problem. What should I correct?"],
    "services": ["I can help with loans, mortgages, credit cards, savings and investments. What "
                 "would you like to do?",
                 "I can help you borrow, save or invest. What are you looking for?"],
}


def _choose(options: Sequence[str], rng: random.Random | None, index: int = 0) -> str:
    if rng is None:
        return options[index % len(options)]
    return rng.choice(list(options))


def realise_act(a: Act, rng: random.Random | None = None, last: bool = True) -> str:
    """The delexicalised sentence(s) of one act (the first paraphrase when ``rng`` is None)."""
    name = a.name
    if name == "ack" and a.get("document"):
        return _choose(ACK_DOCUMENT.get(a.get("document"), ACK_DOCUMENT["other"]), rng)
    if name in GENERIC:
        return _choose(GENERIC[name], rng)
    if name == "request":
        return _choose(REQUEST.get(a.get("slot"), REQUEST["product"]), rng)
    if name == "answer_rate":
        return _choose(ANSWER_RATE, rng)
    if name == "ack_payslip":
        return _choose(ACK_PAYSLIP, rng)
    if name == "ack_unreadable":
        return _choose(ACK_UNREADABLE.get(a.get("kind"), ACK_UNREADABLE["other"]), rng)
    if name == "describe_chart":
        text = _choose(CHART.get(a.get("trend"), CHART["flat"]), rng)
        return text + (_choose(CHART_CHANGE, rng) if a.get("change_percent") else ".")
    if name == "inform_decision":
        text = _choose(DECISION.get(a.get("decision"), DECISION["refer"]), rng)
        if a.get("reason"):
            text += _choose(DECISION_REASON, rng)
        if a.get("needs"):
            text += _choose(DECISION_NEEDS, rng)
        if a.get("instalment"):
            text += _choose(DECISION_INSTALMENT, rng)
        return text
    if name == "confirm":
        parts = [_choose(CONFIRM_PARTS[s], rng) for s in a.items("slots") if s in CONFIRM_PARTS]
        if not parts:
            return _choose(CONFIRM_CLOSE, rng).lstrip(". ")
        body = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
        return _choose(CONFIRM_OPEN, rng) + body + _choose(CONFIRM_CLOSE, rng)
    if name == "clarify":
        return _choose(CLARIFY, rng)
    if name == "check_value":
        return _choose(CHECK_VALUE, rng)
    if name == "confirm_heard":
        return _choose(CONFIRM_HEARD, rng)
    if name == "offer":
        product = a.get("product")
        if product == "investment" and not a.get("risk_tolerance"):
            product = "investment_any_risk"  # the customer did not say how much risk suits them
        return _choose(OFFER.get(product, OFFER["default"]), rng)
    if name == "explain":
        return _choose(EXPLAIN.get(a.get("topic"), EXPLAIN["services"]), rng)
    raise ValueError(f"no template for act {name!r}")


def realise_delex(acts: Sequence[Act], rng: random.Random | None = None) -> str:
    """The delexicalised reply of a list of acts, one paraphrase per act, in order."""
    return " ".join(realise_act(a, rng, i == len(acts) - 1) for i, a in enumerate(acts))


def format_value(name: str, value: str) -> str:
    """How an argument reads in a sentence."""
    value = str(value)
    if name == "product":
        return PRODUCT_WORDS.get(value, value.replace("_", " "))
    if name == "slot":
        return SLOT_WORDS.get(value, value.replace("_", " "))
    if name == "needs":
        items = [NEED_WORDS.get(v, v.replace("_", " ")) for v in value.split(",") if v]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    if name == "reason":
        return value.rstrip(". ")
    if name in ("risk_tolerance", "trend", "decision", "kind", "topic"):
        return value.replace("_", " ")
    return value


def fill_values(acts: Sequence[Act]) -> dict[str, str]:
    """Placeholder -> text, from every act's arguments (the first act that has it wins)."""
    values: dict[str, str] = {}
    for a in acts:
        for key, value in a.args.items():
            if key not in values and str(value) != "":
                values[key] = format_value(key, value)
    return values


def fill(delex: str, acts: Sequence[Act]) -> tuple[str, list[str]]:
    """(text, missing placeholders): the reply with every ``[name]`` filled from the acts."""
    values = fill_values(acts)
    missing: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            missing.append(name)
            return ""
        return values[name]

    text = PLACEHOLDER_RE.sub(sub, delex)
    return re.sub(r"[ \t]{2,}", " ", text).strip(), missing


def realise(acts: Sequence[Act], rng: random.Random | None = None) -> tuple[str, str]:
    """(delex, text) of a list of acts: the template realisation."""
    delex = realise_delex(acts, rng)
    text, _missing = fill(delex, acts)
    return delex, text


def placeholder_names(acts: Sequence[Act]) -> set[str]:
    """Placeholders the acts can fill (what constrained decoding allows)."""
    return set(fill_values(acts))


def _templates() -> list[str]:
    out: list[str] = []
    for table in (REQUEST, GENERIC, ACK_UNREADABLE, ACK_DOCUMENT, CHART, DECISION, CONFIRM_PARTS,
                  OFFER, EXPLAIN):
        for options in table.values():
            out.extend(options)
    for options in (ANSWER_RATE, ACK_PAYSLIP, CHART_CHANGE, DECISION_REASON, DECISION_NEEDS,
                    DECISION_INSTALMENT, CONFIRM_OPEN, CONFIRM_CLOSE, CLARIFY, CHECK_VALUE,
                    CONFIRM_HEARD):
        out.extend(options)
    return out


def all_placeholders() -> set[str]:
    """Every placeholder a template realisation can contain (the generator's added tokens)."""
    return {m for t in _templates() for m in PLACEHOLDER_RE.findall(t)}
