"""Cue phrases that change how a turn is read: chatter that carries no facts, agreeing and
accepting, bare answers (none, own or rent, a risk level, "just me"), asking for the outcome in
other words, buying a home, and what marks a slot said anew. Read by ``interpret``."""

from __future__ import annotations

import re

from finadvisor.services.state.meaning import PUT_ASIDE

#: Intents that carry no facts of their own: with facts in the turn, it is an inform.
CHATTER = frozenset({"affirm", "deny", "out_of_scope", "greet", "thank", "goodbye"})
NOT_LOANS = frozenset({"ask_savings_advice", "ask_investment_advice", "ask_about_chart", "goodbye", "thank"})
SWITCH = re.compile(r"\b(?:instead|switch|rather|prefer|change|actually|apply|borrow|want|need|would like|"
                     r"i'd like|looking for|interested in|take out|get a|get an)\b")
#: A product named as something the customer has ("I also have a credit card").
POSSESSED = re.compile(r"\b(?:have|has|had|got|already|existing|current|my|our|pay|paying)\b")
INVESTING = re.compile(r"\b(?:invest\w*|stocks?|shares|funds?|portfolio|etfs?|bonds|horizon)\b")
#: Wanting or asking how to do something ("help me ...", "how should I ...", "I'd like to ...").
WANTS = re.compile(r"\b(?:help|want|wanna|would like|i'd like|looking to|how (?:do|can|should|could)|"
                    r"best way|tips|advice|start|plan|planning|need to)\b")
SAVING = re.compile(r"\b(?:sav\w*|set aside|rainy day|emergency fund|nest egg)\b|" + PUT_ASIDE)
#: Slots a bare "none" / "no" answers with 0 when the advisor asked for them.
COUNTED_BY_NO = frozenset({"monthly_debt", "dependents"})
BARE_NONE = re.compile(r"^\W*(?:none|nothing|zero|nil|nada|no|nope|nah|not any|no one|nobody|n/a)"
                        r"(?:\W+(?:none|nothing|zero|no one|nobody|at all|whatsoever|thanks|thank you|sorry|really|lol|haha))*"
                        # "nothing apart from netflix": a bill named beside the none, with no figure
                        r"(?:\W+(?:apart from|except|other than|besides|bar|just)\s+[^\d]*)?\W*$")
#: Agreeing in words ("yes", "that's right"), not only by the classifier's reading.
AGREE = re.compile(r"^\W*(?:yes|yeah|yep|yup|yea|correct|right|that's right|thats right|exactly|sure|ok|okay|"
                    r"indeed|true|absolutely|spot on|that's it|thats it|it is|confirmed)\b")
#: One more of something already said ("I also pay ...", "forgot that", "on top of that").
ALSO = re.compile(r"\b(?:also|too|as well|forgot|forgotten|on top|in addition|additionally|another|plus)\b")
#: Taking what was offered ("sign me up", "let's do it", "I'll take it", "go ahead").
ACCEPT = re.compile(r"\b(?:sign me up|sign us up|let'?s do (?:it|that)|i'?ll take (?:it|that|one)|go ahead|"
                     r"go for it|count me in|let'?s go|where do i sign|deal)\b")
#: Buying the home itself ("to buy our first flat"), not things for it ("furniture for my new flat").
BUYING = re.compile(r"\b(?:buy|buying|purchase|purchasing)\s+(?:a|an|the|my|our|this|that)?\s*(?:new\s+|first\s+|own\s+)?"
                     r"(?:house|home|flat|apartment|property|place|condo|bungalow)\b|\bmortgage\b")
#: A bare choice between owning and renting ("own", "we own", "owners", "rent", "renters").
BARE_HOUSING = re.compile(r"^\W*(?:i|we)?\s*(?:(own|owned|owners?|homeowners?|own it)|(rent|renting|renters?|tenants?))"
                           r"(?:\s+(?:it|now|at the moment|currently|thanks|please))?\W*$")
ONLY_ME = re.compile(r"^\W*(?:(?:it's|its)\s+)?(?:just|only)\s+(?:me|myself|me myself)\b|^\W*(?:me|myself)\s+(?:alone|only)\b|"
                      r"^\W*(?:i live alone|nobody but me|no one but me)\b")
OWN_MONEY = re.compile(r"\b(?:got|have|spare|saved|sitting|lying around|inherited|left me|put by)\b")
YES_OR_NO = re.compile(r"\bis (?:that|it) a (?:yes|no)\b|\byes or (?:a )?no\b|\bor not\b")
I_EARN = re.compile(r"\b(?:i|we)\s+(?:earn|make|take home|bring home|get paid|net|clear)\b")
NO_BEFORE = re.compile(r"\b(?:no|not a|not an|without a|without an|don't have a|dont have a|do not have a|"
                        r"never had a)\s+(?:[a-z]+\s+)?$")
#: "How much risk?" - "high, I'm young": the level named first answers it.
BARE_RISK = re.compile(r"^\W*(?:(?:i'd say|i think|probably|maybe|quite|pretty|fairly|rather)\s+)?"
                        r"(low|lowish|medium|middle|moderate|high|highish)\b(?!\s+(?:income|salary|debt|interest|rate))")
#: A bare "why?" ("why not?", "how come?", "on what grounds?").
WHY = re.compile(r"^\W*(?:but\s+|so\s+|and\s+)?(?:why(?:\s+not|\s+is\s+that|\s+that)?|how come|on what (?:grounds|basis)|"
                  r"what(?:'s| is) the reason)\W*$|"
                  r"^\W*(?:and|so|well|and so|and then|then)\s*\?+\W*$")  # "and?" once an outcome was told
#: A product named by its kind with "one" ("a personal one", "the car one").
KIND_ONE = re.compile(r"\b(?:a|the|that|this)\s+(personal|car|auto|home|house|mortgage|business|student|cash)\s+one\b"
                       r"(?!\s*(?:thousand|hundred|million|grand|k\b|-?\d))")
KIND_PRODUCT = {"personal": "personal_loan", "car": "auto_loan", "auto": "auto_loan", "home": "mortgage",
                 "house": "mortgage", "mortgage": "mortgage", "business": "personal_loan",
                 "student": "personal_loan", "cash": "personal_loan"}
#: "none at home any more", "nobody else to support": a count of none, said with more words.
LEADING_NONE = re.compile(r"^\W*(?:none|nobody|no one|noone|zero|nil)\b(?!\s+of\s+(?:your|the|that|this)\b)")
#: Slots that belong to one task (another task's amount or duration is unlikely).
TASK_BOUND = frozenset({"loan_amount", "investment_amount", "loan_term_months", "investment_horizon_years"})
LOANS = re.compile(r"\b(?:loan|borrow|lend|mortgage|credit|debt|repay)\w*")
PURPOSE_FRAME = re.compile(r"\b(?:it's for|it is for|its for|for (?:a|an|the|my|our|some)|to (?:pay|fix|buy|cover|fund|do|get))\b")

#: Asking for a mortgage, not naming one that is running ("want to remortgage", "need a new mortgage").
REMORTGAGE = re.compile(r"\bre-?mortgag\w*|\b(?:want|need|looking for|apply|get|take out|switch|move)\b")
RESTATE = re.compile(r"\b(?:borrow|lend me|loan of|invest|put in)\b")
