"""User and advisor templates of the dialogue simulator.

User templates: ``{slot}`` or ``{slot:form}`` is filled with a surface form of the slot's value
and annotated with its span; ``[words](slot=value)`` is a literal annotated span (for values such
as "no kids" -> dependents 0). Templates are grouped by the act they express; a group's id plus
the template's index is its ``template_id`` ("inform.age.003"). Every fifth template of a group
(index % 5 == 4) is held out: only the test split uses it, so the test figure measures how well
the models generalise to phrasings they never saw.

Advisor templates are delexicalised: ``[slot]`` placeholders of ontology slots (plus
``[monthly_instalment]`` and ``[max_affordable_amount]``), several variants per act.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- surface forms
# ``[...]`` inside a surface marks the annotated part (the rest is plain text).
PRODUCT_SURFACES: dict[str, list[str]] = {
    "personal_loan": ["personal loan", "unsecured loan", "cash loan", "personal loan"],
    "mortgage": ["mortgage", "home loan", "house loan", "mortage"],
    "auto_loan": ["car loan", "auto loan", "vehicle loan", "car finance loan"],
    "credit_card": ["credit card", "credit-card", "new credit card"],
    "savings_account": ["savings account", "savings plan", "deposit account", "savings acount"],
    "investment": ["investment account", "investment portfolio", "investment fund", "stocks and shares account"],
}

PURPOSE_NOUN: dict[str, list[str]] = {
    "car": ["a new [car]", "a [car]", "a used [car]", "a [vehicle]"],
    "home": ["a new [home]", "a [house]", "a [flat]", "an [apartment]"],
    "education": ["my [education]", "[university fees]", "my [studies]", "[tuition fees]", "a [masters degree]"],
    "business": ["my [business]", "a [business venture]", "a small [business]"],
    "debt_consolidation": ["[debt consolidation]", "[consolidating my debts]", "[paying off my credit cards]"],
    "renovation": ["a [renovation]", "[home improvements]", "a new [kitchen]", "[renovating the house]"],
    "travel": ["a [holiday]", "[travel]", "a [trip] abroad", "a [vacation]"],
    "medical": ["[medical bills]", "[surgery]", "[medical treatment]", "[dental work]"],
    "other": ["a [wedding]", "[personal reasons]", "[other expenses]", "[a few other things]"],
}

PURPOSE_VERB: dict[str, list[str]] = {
    "car": ["buy a [car]", "buy a new [car]", "get a [vehicle]"],
    "home": ["buy a [house]", "buy a [home]", "purchase a [flat]", "buy an [apartment]"],
    "education": ["pay for my [studies]", "fund my [education]", "cover [tuition fees]", "pay [university fees]"],
    "business": ["start a [business]", "grow my [business]", "expand my [business]"],
    "debt_consolidation": ["[consolidate my debts]", "[pay off my credit cards]", "[consolidate my loans]"],
    "renovation": ["[renovate my kitchen]", "do some [home improvements]", "pay for a [renovation]"],
    "travel": ["[travel] around Asia", "go on a [holiday]", "take a [trip]"],
    "medical": ["pay [medical bills]", "cover [surgery] costs", "pay for [medical treatment]"],
    "other": ["pay for a [wedding]", "cover [other expenses]", "pay for [a few other things]"],
}

EMPLOYMENT_SURFACES: dict[str, list[str]] = {
    "employed": ["employed", "in full-time employment", "employed full-time", "a [salaried employee]", "working full time"],
    "self_employed": ["self-employed", "self employed", "a [freelancer]", "freelancing", "a [contractor]"],
    "unemployed": ["unemployed", "out of work", "between jobs", "currently not working", "jobless"],
    "retired": ["retired", "a [pensioner]", "on a pension", "a [retiree]"],
    "student": ["a [student]", "a [full-time student]", "still studying", "at college"],
}

# Predicates that follow "I" ("I [own my home]").
HOUSING_SURFACES: dict[str, list[str]] = {
    "own": ["[own my home]", "[own my house]", "[own my flat]", "am a [homeowner]", "[own the place I live in]"],
    "rent": ["[rent]", "[rent my flat]", "am [renting]", "[rent an apartment]", "am a [tenant]"],
    "living_with_family": [
        "[live with my parents]",
        "[live with family]",
        "still [live with my family]",
        "[live at my parents' place]",
    ],
}

RISK_BARE: dict[str, list[str]] = {
    "low": ["low", "very low", "pretty low"],
    "medium": ["medium", "moderate", "average"],
    "high": ["high", "very high", "pretty high"],
}
RISK_ADJ: dict[str, list[str]] = {
    "low": ["cautious", "conservative", "risk-averse", "careful"],
    "medium": ["moderate", "balanced"],
    "high": ["aggressive", "adventurous", "bold"],
}

# code forms, word forms (plural), symbol (or "")
CURRENCY_SURFACES: dict[str, tuple[list[str], list[str], str]] = {
    "USD": (["USD"], ["dollars", "US dollars", "bucks"], "$"),
    "EUR": (["EUR"], ["euros", "euro"], "€"),
    "GBP": (["GBP"], ["pounds", "pounds sterling", "british pounds"], "£"),
    "CNY": (["CNY", "RMB"], ["yuan", "renminbi"], "¥"),
    "CHF": (["CHF"], ["swiss francs", "francs"], ""),
    "CAD": (["CAD"], ["canadian dollars"], ""),
}
CURRENCY_WEIGHTS: dict[str, float] = {"USD": 0.35, "EUR": 0.25, "GBP": 0.2, "CNY": 0.1, "CHF": 0.05, "CAD": 0.05}

EMPLOYERS: tuple[str, ...] = (
    "Northwind Logistics", "Blue Harbor Foods", "Acme Tools", "Riverside Clinic", "Summit Software",
    "Greenfield School", "City Transport", "Oakwood Retail",
)

# --------------------------------------------------------------------------- user templates
# group -> (intent, templates)
USER_TEMPLATES: dict[str, tuple[str, list[str]]] = {
    "greet": ("greet", [
        "hi", "hello", "hello there", "good morning", "hey", "good afternoon", "hi there, good evening",
        "hello, anyone there?", "hey there", "good day", "greetings", "hiya", "morning!",
        "hi, nice to meet you", "good evening",
    ]),
    "goodbye": ("goodbye", [
        "bye", "goodbye", "see you later", "that's all, bye", "bye for now", "have a nice day, bye",
        "i'm done, goodbye", "talk to you later", "cheers, bye", "ok bye", "farewell", "catch you later",
    ]),
    "thank": ("thank", [
        "thanks", "thank you", "thanks a lot", "thank you very much", "great, thanks", "many thanks",
        "cheers", "thanks for your help", "that's helpful, thank you", "much appreciated",
        "thank you so much", "thanks, that helps",
    ]),
    "affirm": ("affirm", [
        "yes", "yes, that's right", "correct", "that's correct", "yep", "sure", "exactly",
        "yes please", "that is right", "absolutely", "right", "yeah, go ahead", "sounds good",
        "yes, all correct", "perfect, yes", "ok, do it",
    ]),
    "deny": ("deny", [
        "no", "no, that's wrong", "that's not right", "nope", "not quite", "no, something is off",
        "incorrect", "no, that is not correct", "that's not what I said", "no way", "wrong",
        "no, please fix that",
    ]),
    "request_human": ("request_human", [
        "can I talk to a human", "I want to speak to a real person", "put me through to an agent",
        "let me talk to a human advisor", "is there a person I can speak with", "connect me to someone",
        "I'd rather talk to a person", "get me a human please", "transfer me to a real advisor",
        "can a human call me back", "I need to speak with a staff member", "operator please",
    ]),
    "out_of_scope": ("out_of_scope", [
        "what's the weather like today", "tell me a joke", "who won the football match",
        "what's the capital of France", "can you recommend a good restaurant", "how tall is Everest",
        "what time is it in Tokyo", "play some music", "what is the meaning of life",
        "do you like pizza", "who is the president", "how do I bake bread", "can you book me a taxi",
        "what's your favourite colour", "translate hello into Spanish", "how old is the moon",
        "write me a poem", "set an alarm for 7", "what films are on tonight", "how do I fix my bike",
    ]),
    "ask_rate.bare": ("ask_rate", [
        "what are your interest rates", "what rate would I get", "how much interest do you charge",
        "what's the current APR", "what interest rate do you offer", "tell me about your rates",
        "is the rate fixed or variable", "how high are the rates at the moment",
        "what would the interest be", "what are the rates like",
    ]),
    "ask_rate.product": ("ask_rate", [
        "what's the interest rate on a {product}", "what rate do you charge for a {product}",
        "how much interest is there on a {product}", "what APR do you offer on a {product}",
        "what are the rates for a {product} right now", "tell me the {product} interest rate",
        "how expensive is a {product} in terms of interest", "what's the rate on your {product}",
        "is the {product} rate fixed", "current {product} rates?",
    ]),
    "apply_loan.bare": ("apply_loan", [
        "I'd like to apply for a loan", "I need to borrow some money", "I want to take out a loan",
        "can I apply for a loan", "I'm looking for a loan", "I would like to get a loan",
        "I need some financing", "help me apply for credit", "I want to borrow money",
        "start a loan application please", "looking to borrow", "I need a loan",
    ]),
    "apply_loan.product": ("apply_loan", [
        "I'd like to apply for a {product}", "I want a {product}", "I need a {product}",
        "can I open a {product}", "I'm interested in a {product}", "I would like to take out a {product}",
        "help me get a {product}", "looking for a {product}", "sign me up for a {product}",
        "I want to apply for a {product} please", "I'd like a {product}", "how do I get a {product}",
    ]),
    "apply_loan.amount": ("apply_loan", [
        "I want to borrow {loan_amount}", "I need a loan of {loan_amount}", "I'd like to borrow {loan_amount}",
        "can I borrow {loan_amount}", "I need {loan_amount} in credit", "I'm looking to borrow {loan_amount}",
        "please lend me {loan_amount}", "I'd like a loan for {loan_amount}", "I need to borrow about {loan_amount}",
        "I want to apply for {loan_amount}", "a loan of {loan_amount} please", "I need to get {loan_amount} as a loan",
    ]),
    "apply_loan.amount_purpose": ("apply_loan", [
        "I'd like to borrow {loan_amount} to {loan_purpose:verb}", "I need {loan_amount} for {loan_purpose}",
        "I want a loan of {loan_amount} to {loan_purpose:verb}", "can I borrow {loan_amount} for {loan_purpose}",
        "I need to borrow {loan_amount} so I can {loan_purpose:verb}", "looking for {loan_amount} to {loan_purpose:verb}",
        "I'd like a {loan_amount} loan for {loan_purpose}", "please lend me {loan_amount} to {loan_purpose:verb}",
        "I want to borrow {loan_amount} for {loan_purpose}", "I need a loan of {loan_amount} to {loan_purpose:verb}",
        "we want to borrow {loan_amount} to {loan_purpose:verb}", "I'm hoping to borrow {loan_amount} for {loan_purpose}",
    ]),
    "apply_loan.purpose": ("apply_loan", [
        "I need a loan for {loan_purpose}", "I want to borrow money to {loan_purpose:verb}",
        "I'd like financing for {loan_purpose}", "can I get a loan to {loan_purpose:verb}",
        "I need some money for {loan_purpose}", "looking for a loan to {loan_purpose:verb}",
        "I want to apply for a loan for {loan_purpose}", "I need credit to {loan_purpose:verb}",
        "help me finance {loan_purpose}", "I'd like to borrow to {loan_purpose:verb}",
    ]),
    "apply_loan.product_amount": ("apply_loan", [
        "I'd like a {product} of {loan_amount}", "I want to apply for a {product} for {loan_amount}",
        "I need a {product} for {loan_amount}", "can I get a {loan_amount} {product}",
        "I'm after a {product} of about {loan_amount}", "I'd like to take out a {product} worth {loan_amount}",
        "apply for a {product}, {loan_amount} please", "I want a {product}, around {loan_amount}",
        "looking for a {product} of {loan_amount}", "I need to borrow {loan_amount} with a {product}",
    ]),
    "apply_loan.product_amount_term": ("apply_loan", [
        "I'd like a {product} of {loan_amount} over {loan_term_months}",
        "I want a {product} for {loan_amount} paid back over {loan_term_months}",
        "can I get a {product} of {loan_amount} for {loan_term_months}",
        "I need a {loan_amount} {product} over {loan_term_months}",
        "apply for a {product}: {loan_amount}, {loan_term_months}",
        "I'd like to borrow {loan_amount} as a {product} over {loan_term_months}",
        "looking for a {product}, {loan_amount} repaid over {loan_term_months}",
        "a {product} of {loan_amount} with a term of {loan_term_months} please",
    ]),
    "apply_loan.amount_term": ("apply_loan", [
        "I want to borrow {loan_amount} over {loan_term_months}", "I need {loan_amount} repaid over {loan_term_months}",
        "can I borrow {loan_amount} for {loan_term_months}", "I'd like a loan of {loan_amount} over {loan_term_months}",
        "lend me {loan_amount} for {loan_term_months}", "I need a {loan_amount} loan over {loan_term_months}",
        "I'd like to borrow {loan_amount} and pay it back over {loan_term_months}",
        "a loan of {loan_amount} for {loan_term_months} please",
    ]),
    "ask_eligibility.bare": ("ask_eligibility", [
        "am I eligible for a loan", "could I qualify for credit", "would you approve me for a loan",
        "can I get approved for a loan", "do I qualify for a loan", "what are my chances of getting a loan approved",
        "would I be accepted for credit", "check if I'm eligible for a loan", "am I eligible to borrow",
        "could you tell me if I qualify for a loan",
    ]),
    "ask_eligibility.product": ("ask_eligibility", [
        "am I eligible for a {product}", "could I qualify for a {product}", "would I get approved for a {product}",
        "can someone like me qualify for a {product}", "do I qualify for a {product}", "would I be approved for a {product}",
        "what do I need to qualify for a {product}", "could I be accepted for a {product}",
        "check my eligibility for a {product}", "am I eligible to get a {product}",
    ]),
    "ask_eligibility.amount": ("ask_eligibility", [
        "would I qualify to borrow {loan_amount}", "am I eligible for {loan_amount}",
        "can I be approved for {loan_amount}", "would I be accepted for a loan of {loan_amount}",
        "do I qualify for a loan of {loan_amount}", "could I get approved for {loan_amount}",
        "am I eligible to borrow {loan_amount}", "check whether I qualify for {loan_amount}",
    ]),
    "ask_eligibility.product_income": ("ask_eligibility", [
        "am I eligible for a {product} if I earn {monthly_income} a month",
        "I make {monthly_income} per month, would I qualify for a {product}",
        "with a monthly income of {monthly_income} am I eligible for a {product}",
        "could I qualify for a {product} on {monthly_income} a month",
        "I earn {monthly_income:yearly} a year, am I eligible for a {product}",
        "would I qualify for a {product} with a salary of {monthly_income:yearly} per year",
        "am I eligible for a {product} earning {monthly_income} monthly",
        "my income is {monthly_income} a month, could I qualify for a {product}",
    ]),
    "ask_investment_advice.bare": ("ask_investment_advice", [
        "I'd like some investment advice", "how should I invest my money", "what should I invest in",
        "can you help me invest", "I want to start investing", "where should I put my money to grow it",
        "give me some investment tips", "I'm thinking about investing", "what are good investments",
        "help me build a portfolio", "should I buy stocks or bonds", "I want my money to work for me",
    ]),
    "ask_investment_advice.amount": ("ask_investment_advice", [
        "I have {investment_amount} to invest, what do you suggest", "how should I invest {investment_amount}",
        "I want to invest {investment_amount}, can you advise me", "what should I do with {investment_amount} of savings",
        "I'd like advice on putting {investment_amount} into investments", "where can I invest {investment_amount}",
        "I've got {investment_amount}, how should I invest it", "help me invest {investment_amount}",
        "what's the best way to invest {investment_amount}", "any investment advice for {investment_amount}",
    ]),
    "ask_investment_advice.amount_horizon": ("ask_investment_advice", [
        "I want to invest {investment_amount} for {investment_horizon_years}",
        "how should I invest {investment_amount} over {investment_horizon_years}",
        "I have {investment_amount} to invest for the next {investment_horizon_years}",
        "I'd like to put {investment_amount} away for {investment_horizon_years}",
        "what can I do with {investment_amount} over a horizon of {investment_horizon_years}",
        "I'm looking to invest {investment_amount} and leave it for {investment_horizon_years}",
        "invest {investment_amount} for {investment_horizon_years}, what do you suggest",
    ]),
    "ask_investment_advice.product": ("ask_investment_advice", [
        "I'd like to open an {product}", "tell me about your {product}", "how does your {product} work",
        "what can I invest in through an {product}", "can you advise me on an {product}",
        "I'm interested in an {product}, what would you recommend", "should I get an {product}",
        "which {product} do you recommend",
    ]),
    "ask_savings_advice.bare": ("ask_savings_advice", [
        "how can I save more money", "I'd like some savings advice", "help me save", "what's the best way to save",
        "I want to build up my savings", "how much should I be saving", "give me tips to save money",
        "I want to start saving", "how do I build an emergency fund", "can you help me plan my savings",
        "I never manage to save, any advice",
    ]),
    "ask_savings_advice.income": ("ask_savings_advice", [
        "I earn {monthly_income} a month, how much should I save",
        "with {monthly_income} per month, what can I save",
        "I make {monthly_income:yearly} a year, how should I save",
        "how much of my {monthly_income} monthly income should I put aside",
        "my salary is {monthly_income} a month, help me save",
        "I take home {monthly_income} a month and want to save more",
        "on {monthly_income:yearly} per year how much can I save",
        "what should I save if I earn {monthly_income} monthly",
    ]),
    "ask_savings_advice.product": ("ask_savings_advice", [
        "tell me about your {product}", "I'd like to open a {product}", "how does the {product} work",
        "should I open a {product}", "would a {product} help me save", "is a {product} a good way to save",
        "can I save with a {product}", "I'm interested in a {product} to save money",
    ]),
    # ----------------------------------------------------------------- inform, one slot
    "inform.product": ("inform", [
        "a {product}", "the {product} please", "a {product} please", "I'd go for a {product}",
        "the {product}", "I think a {product}", "{product}", "a {product} would be best",
        "probably a {product}", "let's go with the {product}", "{product}, I think",
    ]),
    "inform.loan_amount": ("inform", [
        "{loan_amount}", "about {loan_amount}", "the loan amount is {loan_amount}", "around {loan_amount}",
        "{loan_amount} would be enough", "I was thinking {loan_amount}", "let's say {loan_amount}",
        "roughly {loan_amount}", "maybe {loan_amount}", "the amount is {loan_amount}", "{loan_amount} please",
        "I'd say {loan_amount}", "somewhere around {loan_amount}", "{loan_amount} in total", "just {loan_amount}",
    ]),
    "inform.investment_amount": ("inform", [
        "{investment_amount} to invest", "about {investment_amount} to put in",
        "I could put in {investment_amount}", "I'd put in {investment_amount}",
        "the amount to invest is {investment_amount}", "around {investment_amount} in total to invest",
        "roughly {investment_amount} for investing", "{investment_amount} for the investment",
        "I've saved {investment_amount} to put in", "let's say {investment_amount} to invest",
    ]),
    "inform.monthly_income": ("inform", [
        "I earn {monthly_income} a month", "my monthly income is {monthly_income}", "I make {monthly_income} per month",
        "my take-home pay is {monthly_income} a month", "I get {monthly_income} monthly", "{monthly_income} a month",
        "my salary is {monthly_income} per month", "I bring home {monthly_income} every month",
        "monthly I earn about {monthly_income}", "my net income is {monthly_income} a month",
        "I'm paid {monthly_income} each month", "income of {monthly_income} per month",
        "I take home {monthly_income} a month", "about {monthly_income} a month after tax",
        "my wage is {monthly_income} monthly",
    ]),
    "inform.monthly_income.yearly": ("inform", [
        "I earn {monthly_income:yearly} a year", "my annual salary is {monthly_income:yearly}",
        "I make {monthly_income:yearly} per year", "{monthly_income:yearly} a year",
        "my yearly income is {monthly_income:yearly}", "I get {monthly_income:yearly} annually",
        "about {monthly_income:yearly} per annum", "I'm on {monthly_income:yearly} a year",
        "my salary is {monthly_income:yearly} per year", "I earn around {monthly_income:yearly} annually",
        "annual income of {monthly_income:yearly}", "{monthly_income:yearly} per year before nothing else",
    ]),
    "inform.monthly_debt": ("inform", [
        "I pay {monthly_debt} a month on debts", "my monthly debt payments are {monthly_debt}",
        "I have {monthly_debt} in monthly repayments", "about {monthly_debt} a month goes to loans",
        "my debts cost me {monthly_debt} per month", "I repay {monthly_debt} each month",
        "existing loans take {monthly_debt} a month", "monthly repayments of {monthly_debt}",
        "I spend {monthly_debt} a month paying off credit", "around {monthly_debt} monthly in debt payments",
        "my other loans are {monthly_debt} a month",
    ]),
    "inform.monthly_debt.zero": ("inform", [
        "I have [no debts](monthly_debt=0)", "[no debt](monthly_debt=0) at all", "I'm [debt-free](monthly_debt=0)",
        "I [don't have any debts](monthly_debt=0)", "[nothing](monthly_debt=0), I have no loans",
        "I [don't owe anything](monthly_debt=0)", "[zero](monthly_debt=0) debt payments",
        "I'm completely [debt free](monthly_debt=0)", "[no monthly repayments](monthly_debt=0)",
        "I [don't have any debt](monthly_debt=0)",
    ]),
    "inform.currency": ("inform", [
        "in {currency}", "{currency}", "it's in {currency}", "{currency} please", "the currency is {currency}",
        "I mean {currency}", "all in {currency}", "that's {currency}", "we're talking {currency}",
        "{currency} of course", "in {currency} please",
    ]),
    "inform.loan_term_months": ("inform", [
        "over {loan_term_months}", "{loan_term_months}", "I'd like to repay it over {loan_term_months}",
        "for {loan_term_months}", "a term of {loan_term_months}", "let's say {loan_term_months}",
        "I want to pay it back in {loan_term_months}", "{loan_term_months} would suit me",
        "spread over {loan_term_months}", "repayment over {loan_term_months}", "I'd prefer {loan_term_months}",
        "can we do {loan_term_months}",
    ]),
    "inform.loan_purpose": ("inform", [
        "it's for {loan_purpose}", "I want to {loan_purpose:verb}", "the money is for {loan_purpose}",
        "for {loan_purpose}", "I need it to {loan_purpose:verb}", "to {loan_purpose:verb}",
        "it will pay for {loan_purpose}", "mainly for {loan_purpose}", "I'm planning to {loan_purpose:verb}",
        "the purpose is {loan_purpose}", "I'd use it to {loan_purpose:verb}",
    ]),
    "inform.employment_status": ("inform", [
        "I'm {employment_status}", "I am {employment_status}", "currently I'm {employment_status}",
        "right now I am {employment_status}", "at the moment I'm {employment_status}",
        "my employment status is {employment_status}", "I've been {employment_status} for a while",
        "these days I'm {employment_status}", "I'm {employment_status} at the moment",
        "well, I'm {employment_status}",
    ]),
    "inform.employment_years": ("inform", [
        "I've worked there for {employment_years}", "I have been in my job for {employment_years}",
        "{employment_years} with my current employer", "I've been working for {employment_years}",
        "for {employment_years} now at the same company", "I've had this job for {employment_years}",
        "about {employment_years} in my current role", "I've been with my employer for {employment_years}",
        "my job started {employment_years} ago", "{employment_years} at my company",
    ]),
    "inform.age": ("inform", [
        "I'm {age}", "I am {age} years old", "I'm {age} years old", "my age is {age}", "{age} years old",
        "I just turned {age}", "I'm aged {age}", "I'll be {age} next week", "age {age}",
        "I am {age}", "I'm {age} this year", "I'm currently {age}",
    ]),
    "inform.dependents": ("inform", [
        "I have {dependents} kids", "{dependents} children", "I've got {dependents} dependents",
        "we have {dependents} children", "I support {dependents} dependents", "{dependents} dependants",
        "there are {dependents} kids at home", "I'm responsible for {dependents} children",
        "I have {dependents} dependents", "my family has {dependents} kids",
    ]),
    "inform.dependents.zero": ("inform", [
        "I have [no kids](dependents=0)", "[no dependents](dependents=0)", "I [don't have any children](dependents=0)",
        "[no children](dependents=0)", "I have [no dependants](dependents=0)", "[nobody depends on me](dependents=0)",
        "I [don't have kids](dependents=0)", "[zero](dependents=0) dependents", "I have [no children](dependents=0) yet",
        "[none](dependents=0), I have no kids",
    ]),
    "inform.housing": ("inform", [
        "I {housing}", "at the moment I {housing}", "currently I {housing}", "we {housing}",
        "right now I {housing}", "I {housing} at the moment", "these days I {housing}", "actually I {housing}",
        "I {housing} currently", "well, I {housing}",
    ]),
    "inform.risk_tolerance": ("inform", [
        "my risk tolerance is {risk_tolerance}", "I'd say {risk_tolerance} risk", "{risk_tolerance} risk please",
        "I'm a {risk_tolerance:adj} investor", "I prefer {risk_tolerance} risk", "I'm fairly {risk_tolerance:adj}",
        "I can handle {risk_tolerance} risk", "I'd describe myself as {risk_tolerance:adj}",
        "{risk_tolerance} risk is fine with me", "I'm comfortable with {risk_tolerance} risk",
        "keep the risk {risk_tolerance}", "I'm quite {risk_tolerance:adj} with money",
    ]),
    "inform.investment_horizon_years": ("inform", [
        "for {investment_horizon_years}", "I'd invest for {investment_horizon_years}",
        "I can leave it for {investment_horizon_years}", "my horizon is {investment_horizon_years}",
        "I won't need the money for {investment_horizon_years}", "about {investment_horizon_years}",
        "I'm thinking {investment_horizon_years}", "over {investment_horizon_years}",
        "an investment horizon of {investment_horizon_years}", "I'd keep it invested {investment_horizon_years}",
    ]),
    # ----------------------------------------------------------------- inform, several slots
    "inform.age+dependents": ("inform", [
        "I'm {age} and I have {dependents} kids", "{age} years old with {dependents} children",
        "I am {age}, with {dependents} dependents", "I'm {age} years old and have {dependents} children",
        "age {age}, {dependents} kids", "I'm {age}; we have {dependents} children",
    ]),
    "inform.employment_status+employment_years": ("inform", [
        "I'm {employment_status} and have been for {employment_years}",
        "I am {employment_status}, {employment_years} at the same firm",
        "{employment_status}, for {employment_years} now",
        "I've been {employment_status} for {employment_years}",
        "I'm {employment_status}; I've worked there {employment_years}",
        "currently {employment_status}, about {employment_years} in the job",
    ]),
    "inform.monthly_income+monthly_debt": ("inform", [
        "I earn {monthly_income} a month and pay {monthly_debt} on debts",
        "my income is {monthly_income} per month and my repayments are {monthly_debt} a month",
        "I make {monthly_income} monthly, with {monthly_debt} going to loans each month",
        "income {monthly_income} a month, debt payments {monthly_debt} a month",
        "I take home {monthly_income} a month and repay {monthly_debt} monthly",
        "I earn {monthly_income:yearly} a year and pay {monthly_debt} a month on loans",
    ]),
    "inform.monthly_income+employment_status": ("inform", [
        "I'm {employment_status} and earn {monthly_income} a month",
        "I am {employment_status}, making {monthly_income} per month",
        "{employment_status}, bringing in {monthly_income} monthly",
        "I'm {employment_status} on {monthly_income:yearly} a year",
        "I work, I'm {employment_status}, with a salary of {monthly_income} a month",
        "as I'm {employment_status} I earn {monthly_income:yearly} per year",
    ]),
    "inform.loan_amount+loan_term_months": ("inform", [
        "{loan_amount} over {loan_term_months}", "I'd like {loan_amount} for {loan_term_months}",
        "borrow {loan_amount} and repay over {loan_term_months}", "{loan_amount}, paid back in {loan_term_months}",
        "I need {loan_amount} over {loan_term_months}", "let's say {loan_amount} over {loan_term_months}",
    ]),
    "inform.age+housing": ("inform", [
        "I'm {age} and I {housing}", "{age} years old and I {housing}", "I am {age}; I {housing}",
        "I'm {age} years old, and I {housing}", "age {age}, and I {housing}",
    ]),
    "inform.housing+dependents": ("inform", [
        "I {housing} and have {dependents} kids", "we {housing} with {dependents} children",
        "I {housing}, {dependents} dependents", "I {housing} and support {dependents} children",
        "I {housing} and I have {dependents} dependents",
    ]),
    "inform.investment_amount+investment_horizon_years": ("inform", [
        "I'd invest {investment_amount} for {investment_horizon_years}",
        "{investment_amount} to invest over {investment_horizon_years}",
        "I have {investment_amount} to invest and can wait {investment_horizon_years}",
        "about {investment_amount} to invest, for {investment_horizon_years}",
        "I want to invest {investment_amount} over {investment_horizon_years}",
    ]),
    "inform.investment_horizon_years+risk_tolerance": ("inform", [
        "for {investment_horizon_years}, and I'm {risk_tolerance:adj}",
        "{investment_horizon_years} with {risk_tolerance} risk", "I'd say {investment_horizon_years} and {risk_tolerance} risk",
        "over {investment_horizon_years}; I'm a {risk_tolerance:adj} investor",
        "I can leave it for {investment_horizon_years} and accept {risk_tolerance} risk",
    ]),
    "inform.loan_purpose+loan_term_months": ("inform", [
        "it's for {loan_purpose} and I'd repay over {loan_term_months}",
        "to {loan_purpose:verb}, over {loan_term_months}", "for {loan_purpose}, paid back in {loan_term_months}",
        "I want to {loan_purpose:verb} and repay it over {loan_term_months}",
        "the money is for {loan_purpose}; a term of {loan_term_months}",
    ]),
    # ----------------------------------------------------------------- corrections
    "correct.loan_amount.bare": ("inform", [
        "actually make it {loan_amount}", "sorry, I meant {loan_amount}", "change it to {loan_amount}",
        "actually, {loan_amount}", "wait, make that {loan_amount}", "on second thought, {loan_amount}",
        "let's make it {loan_amount} instead", "no wait, {loan_amount}", "correction: {loan_amount}",
        "can you change that to {loan_amount}", "hmm, make it {loan_amount}", "I'd rather go with {loan_amount}",
    ]),
    "correct.loan_amount": ("inform", [
        "actually I need to borrow {loan_amount}", "sorry, the loan should be {loan_amount}",
        "let me change the amount to {loan_amount}", "actually make the loan {loan_amount}",
        "I'd like to borrow {loan_amount} instead", "correction: the loan amount is {loan_amount}",
        "please change the loan amount to {loan_amount}", "can I borrow {loan_amount} instead",
    ]),
    "correct.monthly_income": ("inform", [
        "sorry, I actually earn {monthly_income} a month", "correction: my income is {monthly_income} per month",
        "I made a mistake, I make {monthly_income} a month", "actually my salary is {monthly_income:yearly} a year",
        "let me correct that, I earn {monthly_income} monthly", "oops, my monthly income is {monthly_income}",
        "actually it's {monthly_income:yearly} per year", "I meant I earn {monthly_income} per month",
    ]),
    "correct.age": ("inform", [
        "sorry, I'm actually {age}", "correction, I am {age} years old", "I meant I'm {age}",
        "oops, my age is {age}", "actually I'm {age} years old", "wait, I'm {age} not what I said",
    ]),
    "correct.loan_term_months": ("inform", [
        "actually, make it {loan_term_months}", "sorry, I'd rather repay over {loan_term_months}",
        "let's change the term to {loan_term_months}", "correction: over {loan_term_months}",
        "on second thought, {loan_term_months} is better", "can we do {loan_term_months} instead",
    ]),
    "correct.dependents": ("inform", [
        "sorry, I have {dependents} kids", "correction: {dependents} children", "actually I have {dependents} dependents",
        "I meant {dependents} children", "oops, we have {dependents} kids",
    ]),
    "correct.investment_amount": ("inform", [
        "actually I'd invest {investment_amount}", "sorry, I meant to invest {investment_amount}",
        "let's change the investment to {investment_amount}", "correction: I want to invest {investment_amount}",
        "on second thought, invest {investment_amount}",
    ]),
    # ----------------------------------------------------------------- modalities
    "upload_document.payslip": ("upload_document", [
        "here is my payslip", "I've attached my latest payslip", "here's my pay slip", "attaching my salary slip",
        "this is my payslip from last month", "see my payslip attached", "I'm sending my payslip",
        "please check my payslip", "here's proof of income", "uploading my payslip now",
        "here is a photo of my pay stub", "my most recent payslip is attached",
    ]),
    "upload_document.bank_statement": ("upload_document", [
        "here is my bank statement", "I've attached a bank statement", "this is my last statement",
        "attaching my account statement", "here's my statement from the bank", "please look at my bank statement",
        "I'm uploading my statement",
    ]),
    "upload_document.id_document": ("upload_document", [
        "here is my ID", "attached is my passport", "this is my driving licence", "here's a copy of my ID card",
        "uploading my identity document", "my passport scan is attached", "here is my identification",
    ]),
    "ask_about_chart": ("ask_about_chart", [
        "what does this chart say", "can you explain this graph", "what does this chart show",
        "how should I read this chart", "what's going on in this graph", "explain this chart to me",
        "is this chart good or bad news", "what's the trend in this chart", "I don't understand this graph",
        "can you tell me what this plot means", "what does this picture of my portfolio show",
        "what am I looking at in this chart",
    ]),
}

# --------------------------------------------------------------------------- advisor templates
REQUEST_TEMPLATES: dict[str, list[str]] = {
    "product": [
        "Which product are you interested in: a personal loan, a mortgage, a car loan or a credit card?",
        "What kind of product would you like?",
        "Which of our products can I help you with?",
    ],
    "loan_amount": [
        "How much would you like to borrow?",
        "What loan amount do you have in mind?",
        "How much money do you need?",
    ],
    "investment_amount": [
        "How much would you like to invest?",
        "What amount are you thinking of investing?",
        "How much money do you want to put in?",
    ],
    "currency": [
        "Which currency is that in?",
        "In which currency, please?",
        "Could you tell me the currency?",
    ],
    "monthly_income": [
        "What is your monthly income after tax?",
        "How much do you earn per month?",
        "Could you tell me your net monthly income? You can also upload a payslip.",
    ],
    "monthly_debt": [
        "How much do you pay each month towards existing debts?",
        "What are your monthly debt repayments?",
        "Do you have any monthly loan or card repayments, and how much?",
    ],
    "loan_term_months": [
        "Over how many months would you like to repay?",
        "What repayment term would suit you?",
        "How long would you like to take to pay it back?",
    ],
    "loan_purpose": [
        "What will the loan be used for?",
        "What is the purpose of the loan?",
        "What do you need the money for?",
    ],
    "employment_status": [
        "What is your employment status?",
        "Are you employed, self-employed, retired, a student or currently not working?",
        "Could you tell me about your work situation?",
    ],
    "employment_years": [
        "How many years have you been in your current job?",
        "How long have you worked for your current employer?",
        "How many years of employment do you have in your current role?",
    ],
    "age": ["How old are you?", "May I ask your age?", "Could you tell me your age?"],
    "dependents": [
        "How many dependents do you have?",
        "Do you have any children or other dependents?",
        "How many people depend on you financially?",
    ],
    "housing": [
        "Do you own your home, rent, or live with family?",
        "What is your housing situation?",
        "Are you a homeowner or a tenant?",
    ],
    "risk_tolerance": [
        "How much risk are you comfortable with: low, medium or high?",
        "What is your risk tolerance?",
        "Would you describe yourself as a cautious, balanced or adventurous investor?",
    ],
    "investment_horizon_years": [
        "For how many years can you leave the money invested?",
        "What is your investment horizon?",
        "When will you need the money back?",
    ],
}

ADVISOR_TEMPLATES: dict[str, list[str]] = {
    "greet": [
        "Hello! I'm your financial advisor. How can I help you today?",
        "Hi, welcome. What can I do for you?",
        "Good to see you. How can I help with your finances today?",
    ],
    "how_can_i_help": [
        "How can I help you today: a loan, savings or investments?",
        "What would you like to do: borrow, save or invest?",
        "Tell me what you are looking for and I will guide you.",
    ],
    "welcome": [
        "You're welcome! Is there anything else I can help with?",
        "My pleasure. Anything else?",
        "Glad I could help. Anything else today?",
    ],
    "goodbye": ["Goodbye, and thank you for banking with us.", "Bye! Have a great day.", "Thank you, goodbye."],
    "handoff": [
        "I'll connect you with one of our human advisors now.",
        "Of course, I'm transferring you to a colleague.",
        "Sure, a human advisor will take over from here.",
    ],
    "out_of_scope": [
        "I'm sorry, I can only help with loans, savings and investments.",
        "That is outside what I can help with, I'm afraid.",
        "I can't help with that, but I'm happy to talk about your finances.",
    ],
    "ask_correction": [
        "Sorry about that. What should I change?",
        "No problem, which detail is wrong?",
        "Let's fix it. What is the correct information?",
    ],
    "ack_payslip": [
        "Thanks for the payslip: I read a net monthly pay of [monthly_income] [currency].",
        "Got it, your payslip shows [monthly_income] [currency] net per month.",
        "Thank you. I've noted a monthly income of [monthly_income] [currency] from your payslip.",
    ],
    "ack_document": [
        "Thank you, I've added the document to your file.",
        "Thanks, the document is received.",
        "Got it, I've saved your document.",
    ],
    "describe_chart_rising": [
        "The chart shows a rising trend: the values go up over the period.",
        "This chart is trending upwards.",
        "Overall the line rises, which is a positive development.",
    ],
    "describe_chart_falling": [
        "The chart shows a falling trend: the values go down over the period.",
        "This chart is trending downwards.",
        "Overall the values decline over time.",
    ],
    "describe_chart_flat": [
        "The chart is mostly flat: the values stay about the same.",
        "There is no clear trend; it stays stable.",
        "The values hardly change over the period.",
    ],
    "describe_chart_volatile": [
        "The chart is volatile: the values swing up and down.",
        "This chart moves a lot without a steady direction.",
        "The values fluctuate strongly over the period.",
    ],
    "describe_chart": [
        "I can see a chart, but I cannot read a clear trend from it.",
        "I'm not able to tell the trend of this chart.",
        "The chart is unclear to me, sorry.",
    ],
    "inform_rate": [
        "Our rates depend on the product and your profile: loans start at 6.9% APR.",
        "Rates currently start at 6.9% APR for loans and 4.5% for mortgages.",
        "Interest depends on your situation; personal loans start from 6.9% APR.",
    ],
    "inform_rate_personal_loan": [
        "Personal loans currently start at 6.9% APR.",
        "Our personal loan rate starts from 6.9% APR, fixed.",
        "A personal loan costs from 6.9% APR at the moment.",
    ],
    "inform_rate_mortgage": [
        "Mortgage rates currently start at 4.5% per year.",
        "Our fixed mortgage rate starts from 4.5%.",
        "Mortgages are available from 4.5% a year at the moment.",
    ],
    "inform_rate_auto_loan": [
        "Car loans currently start at 5.9% APR.",
        "Our auto loan rate starts from 5.9% APR.",
        "A car loan costs from 5.9% APR right now.",
    ],
    "inform_rate_credit_card": [
        "Our credit card has a representative rate of 19.9% APR.",
        "The credit card rate is 19.9% APR variable.",
        "Credit card purchases are charged at 19.9% APR.",
    ],
    "inform_rate_savings_account": [
        "Our savings account pays 3.1% a year.",
        "Savings currently earn 3.1% interest per year.",
        "The savings account rate is 3.1% AER.",
    ],
    "inform_rate_investment": [
        "Investments have no fixed rate; returns depend on the markets.",
        "Investment returns are not guaranteed and vary with the markets.",
        "There is no interest rate on investments; their value can go up or down.",
    ],
    "confirm_loan": [
        "To confirm: you'd like to borrow [loan_amount] [currency] over [loan_term_months] months, with a monthly income of [monthly_income] [currency]. Is that right?",
        "So that's [loan_amount] [currency] over [loan_term_months] months, and you earn [monthly_income] [currency] a month. Correct?",
        "Let me check: a loan of [loan_amount] [currency], [loan_term_months] months, monthly income [monthly_income] [currency], debts [monthly_debt] [currency] a month. Is everything correct?",
    ],
    "confirm_credit_card": [
        "To confirm: a credit card, with a monthly income of [monthly_income] [currency] and debts of [monthly_debt] [currency] a month. Right?",
        "So you earn [monthly_income] [currency] a month and repay [monthly_debt] [currency]. Is that correct?",
        "Let me check: monthly income [monthly_income] [currency], age [age]. Is that right?",
    ],
    "confirm_investment": [
        "To confirm: you'd like to invest [investment_amount] [currency] for [investment_horizon_years] years with [risk_tolerance] risk. Is that right?",
        "So that's [investment_amount] [currency] over [investment_horizon_years] years, [risk_tolerance] risk. Correct?",
        "Let me check: [investment_amount] [currency], a [investment_horizon_years]-year horizon and a [risk_tolerance] risk profile. Right?",
    ],
    "confirm_savings": [
        "To confirm: you earn [monthly_income] [currency] a month and repay [monthly_debt] [currency]. Is that right?",
        "So your monthly income is [monthly_income] [currency] with [monthly_debt] [currency] of debt payments. Correct?",
        "Let me check: [monthly_income] [currency] income and [dependents] dependents. Is that right?",
    ],
    "offer_loan": [
        "Based on what you told me, the monthly instalment would be about [monthly_instalment] [currency], and you could borrow up to [max_affordable_amount] [currency].",
        "Your instalment would be around [monthly_instalment] [currency] a month; the most you could afford is about [max_affordable_amount] [currency].",
        "For [loan_amount] [currency] over [loan_term_months] months you'd pay roughly [monthly_instalment] [currency] a month. You could afford up to [max_affordable_amount] [currency].",
    ],
    "offer_credit_card": [
        "Based on your income of [monthly_income] [currency], you could get a credit limit of up to [max_affordable_amount] [currency].",
        "We could offer a card with a limit of about [max_affordable_amount] [currency].",
        "Your profile fits a credit card with a limit of up to [max_affordable_amount] [currency].",
    ],
    "offer_investment_low": [
        "With a low risk tolerance, I'd suggest mostly bonds and cash for your [investment_amount] [currency].",
        "For a cautious profile, a bond-heavy portfolio suits your [investment_amount] [currency] over [investment_horizon_years] years.",
        "A low-risk mix of government bonds and savings would fit your [investment_amount] [currency].",
    ],
    "offer_investment_medium": [
        "With a medium risk tolerance, a balanced mix of shares and bonds fits your [investment_amount] [currency].",
        "For a balanced profile over [investment_horizon_years] years, I'd split [investment_amount] [currency] between equity and bond funds.",
        "A balanced portfolio of index funds and bonds would suit your [investment_amount] [currency].",
    ],
    "offer_investment_high": [
        "With a high risk tolerance, a share-heavy portfolio could grow your [investment_amount] [currency] over [investment_horizon_years] years.",
        "For an adventurous profile, global equity funds suit your [investment_amount] [currency].",
        "A growth portfolio of mostly shares fits your [investment_amount] [currency] and a [investment_horizon_years]-year horizon.",
    ],
    "offer_investment": [
        "A diversified portfolio of index funds would suit your [investment_amount] [currency].",
        "I'd suggest spreading your [investment_amount] [currency] over several funds.",
        "Diversified funds are a good start for your [investment_amount] [currency].",
    ],
    "offer_savings": [
        "With a monthly income of [monthly_income] [currency], setting aside a fifth of it each month in our savings account would build a solid buffer.",
        "I'd suggest an automatic monthly transfer from your [monthly_income] [currency] income into a savings account.",
        "Saving a fixed share of your [monthly_income] [currency] each month, starting with an emergency fund, is a good plan.",
    ],
}

GENERIC_FALLBACK: str = "How else can I help you?"
