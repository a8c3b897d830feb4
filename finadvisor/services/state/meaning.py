"""What a turn is about, beyond the surface of its phrases: general knowledge the learned models
cannot get from the simulator's templates.

The learned part reads phrases and numbers; people, though, say what they mean indirectly:
"I'm a nurse at the hospital" is an employment status, "we've paid off our house" is housing
(not a loan purpose), "I pay 400 a month on my car loan" is an existing debt (not the product
applied for), "my son's tuition" is a loan for education. This module reads those frames:

- ``read_frames(text)`` finds the clauses of a turn and what each is about (existing debt,
  income, work, housing, a request for a person) and the closed-set values the frames imply;
- ``slot_prior(frame)`` turns a number's clause into a prior over slots, which the
  interpretation multiplies with the learned slot probabilities.

Everything here is pure string work over the folded text (no model, no I/O), so it costs
microseconds per turn and behaves the same in training, evaluation and serving.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from finadvisor.services.state.commitments import COMMITMENT_AT as _COMMITMENT_AT
from finadvisor.services.state.commitments import repayment_size
from finadvisor.services.state.housing import other_housing, owned_home, wanted_home
from finadvisor.services.state.normalize import one_edit
from finadvisor.services.state.words import OCCUPATIONS, OWN_BUSINESS, PURPOSE_WORDS

_W = r"[a-z']+"


_FIRST_PERSON = r"(?:i'm|i am|im|i've been|ive been|i have been|i was|i've|i work|i worked)"
_KIN = (r"(?:son|daughter|child|kid|kids|children|boy|girl|boys|girls|grandson|granddaughter|nephew|niece|lad|"
        r"lass|stepson|stepdaughter)")

# --------------------------------------------------------------------------- patterns
# Commas and points inside numbers ("13,300", "2.5k") do not end a clause.
# ... nor does the "and" of "four hundred and fifty".
_CLAUSE_SPLIT = re.compile(r"[;!?]+|\.(?!\d)|,(?!\d{3})|(?<!hundred)(?<!thousand)(?<!million)\s+"
                           r"(?:and|but|plus|so|while|whereas|although|n|nd|&|\+)\s+|\s+-\s+")

_SELF_EMPLOYED = re.compile(
    r"\bself[- ]?employ\w*|\bfreelanc\w*|\bcontract(?:or| work)\b|\bsole trader\b|"
    r"\b(?:my|our) own (?:small |little )?(?:[a-z]+ )?(?:" + "|".join(sorted(OWN_BUSINESS)) + r")\b|"
    r"\b(?:run|own|have|started|opened|had) (?:a|my|our|the) (?:small |little |own )?(?:[a-z]+ )?(?:"
    + "|".join(sorted(OWN_BUSINESS)) + r")\b|\bwork for myself\b|\bmy own boss\b|"
    r"\brent a chair\b|\bgig work\b"
)
_UNEMPLOYED = re.compile(
    r"\b(?:lost my job|laid off|made redundant|redundant|unemployed|jobless|out of work|between jobs|"
    r"no job|not working|looking for (?:a )?(?:job|work)|on benefits|job ?seeker)\b"
)
_RETIRED = re.compile(r"\b(?:retired|pensioner|retiree|on (?:a|my) pension)\b")
_STUDENT = re.compile(
    r"\b(?:(?:i'm|i am|im|still)\s+(?:a\s+|an\s+)?(?:full[- ]time\s+|phd\s+|uni\s+|university\s+|college\s+)?"
    r"(?:student|at uni|at university|at college|studying|in college|in school)|"
    r"(?:doing|finishing|studying for) my (?:degree|masters|phd|studies|course)|phd student|"
    r"undergrad\w*)\b"
)
_STUDENT_LOAN = re.compile(r"\bstudent (?:loan|debt|finance)s?\b")
_WORKING = re.compile(
    r"\b(?:work(?:ing|ed|s)?|employed|job|been)\s+(?:as|at|for|in|with|by)\b|"
    r"\b(?:full[- ]time|part[- ]time)\b|\bmy (?:job|employer|boss|company)\b|"
    r"\b(?:been|i've been|ive been)\s+(?:teaching|nursing|driving|working|managing|cooking|cleaning|"
    r"building|coding|programming|selling|designing)\b|\bhired\b|\bon (?:the )?payroll\b|"
    r"\b(?:zero[- ]hours?|fixed[- ]term|permanent|temporary|agency)\s+(?:contract|job|work|role)\b"
)
_EDUCATION = re.compile(
    r"\b(?:studies|tuition|university|uni|college|school|masters|master's|degree|course|fees|education|"
    r"phd|semester|student)\b"
)
_KIN_RE = re.compile(r"\b" + _KIN + r"(?:'s)?\b|\b(?:her|his|their)\b")
_HUMAN_TARGET = (r"(?:person|human|humans|someone|somebody|agents?|advisors?|advisers?|staff|representatives?|"
                 r"operators?|colleagues?|manager|people|man|woman)")
_HUMAN = re.compile(
    r"\b(?:speak|talk|chat|connect|transfer|put)\b[^.?!]{0,40}?\b" + _HUMAN_TARGET + r"\b|"
    r"\b(?:want|need|get|give|rather have|prefer)\s+(?:me\s+)?(?:to\s+)?(?:a|an|one of your|some)?\s*"
    r"(?:real|actual|proper|live)?\s*(?:human|person|agent|advisor|adviser|staff|representative|human being)\b|"
    r"\b(?:real|actual|live) (?:person|human|advisor|adviser|agent|people)\b|\bhuman being\b|"
    r"\bput me through\b|\bcall (?:me|someone|somebody)\b|\bcan i call\b"
)
_DEBT_VERB = re.compile(
    r"\b(?:pay|pays|paying|repay|repaying|repayments?|instalments?|installments?|costs?\s+me|cost\s+us|"
    r"outgoings|commitments?|spend|payments?|already have|already got|existing|charged|charges|billed)\b"
)
_DEBT_THING = re.compile(
    r"\b(?:loans?|cards?|lease|leasing|finance|mortgage|overdraft|debts?|contract|credit|hp|hire purchase|"
    r"repayments?|instalments?|installments?|store card|car payment|catalogue|klarna|buy now pay later)\b"
)
#: Money the customer receives, said as such ("I get 700 in universal credit", "we receive 1,300 a
#: month from the shop"): income, whatever the words after it suggest.
_RECEIVED = re.compile(r"\b(?:i|we)\s+(?:get|receive|am paid|are paid|get paid)\s+(?:about|around|roughly|just|only)?\s*"
                       r"[$€£]?\d[\d,.]*\s*(?:k\b)?\s*(?:(?:a|per|each|every)\s+(?:month|week)\s*|monthly\s*)?"
                       r"(?:in|from|of|as)\b")
#: Asking for money for something ("need 800 quid for my rent deposit"): the figure is the loan.
_NEED_FOR = re.compile(r"\b(?:need|want|borrow|looking for|after)\s+(?:about|around|roughly)?\s*[$€£]?\d[\d,.]*\s*"
                       r"(?:k|grand|quid|pounds?|euros?|dollars?|bucks)?\s+(?:for|to)\b")
LIMIT = re.compile(r"\b(?:credit\s+)?limit\b")
#: What an income comes from, right before a word ("... a month from our shop").
FROM_SOURCE = re.compile(r"\bfrom\s+(?:my|our|the|a|his|her)\s+(?:[a-z-]+\s+){0,2}$")
_BORROW = re.compile(r"\b(?:borrow|borrowing|lend me|lend us)\b")
_HAVE = re.compile(r"\b(?:have|has|had|got)\b")
#: What a running commitment comes to ("the car finance is 350", "the store card's about 60"):
#: things people have rather than apply for, with what they cost.
_COMMITMENT_IS = re.compile(
    r"\b(?:finance|cards?|overdraft|lease|hp|hire purchase|contract|store card|car payment|"
    r"repayments?|instalments?|installments?)\s*(?:is|are|was|'s|comes to|come to|costs?)\s+"
    r"(?:about|around|roughly|only|just|now)?\s*[$€£]?\d")
#: What a running mortgage costs each month ("mortgage is 1100 a month"); with no month said,
#: "the mortgage is 250k" stays the amount of a mortgage applied for.
_MORTGAGE_COST = re.compile(
    r"\bmortgage\s*(?:payments?\s*|repayments?\s*)?(?:(?:which|that)\s+)?(?:is|are|'s|comes to|costs?|of|at)\s+"
    r"(?:about|around|roughly|only|just|now|currently)?\s*[$€£]?\d")
#: Money paid each time for something ("I pay 75 for my phone", "we pay 40 towards the car"):
#: a commitment, unless it is rent (housing) or what the customer would pay for the new loan.
_PAY_FOR = re.compile(r"\b(?:i|we)\s+(?:pay|spend)\s+(?:about|around|roughly)?\s*[$€£]?\d[\d,.]*\s*(?:a month\s+|monthly\s+)?"
                      r"(?:for|on|towards|to)\s+(?!(?:the|a|this|that)\s+(?:new\s+)?(?:loan|mortgage)\b)")
_EXISTING = re.compile(
    r"\b(?:already|existing|currently|current|outstanding|at the moment|right now)\b|"
    r"\b(?:my|our|the)\s+(?:[a-z]+\s+)?(?:loans?|cards?|lease|mortgage|overdraft|debts?|finance|contract)\b"
)
_RENT_PAID = re.compile(r"\b(?:rent|renting|rental)\b(?!\s+(?:deposit|arrears))")
_QUESTION = re.compile(r"\b(?:interest|rate|rates|apr|how|what|which(?!\s+(?:is|are|comes|costs?)\b)|expensive|cheap|"
                       r"cheaper)\b|\?")  # "the mortgage which is 750" tells, it does not ask
_LOAN_REQUEST = re.compile(r"\b(?:borrow|lend|apply|need|want|wanna|would like|i'd like|looking for|take out)\b")
_PER_MONTH = re.compile(r"\b(?:a|per|each|every)\s+month\b|\bmonthly\b|/\s*(?:month|mo|m)\b|\bpm\b|\bp/m\b")
_REQUEST_VERB = re.compile(r"\b(?:borrow|lend|apply|need|want|wanna|like|looking|get|take out|would)\b")
#: Saying that something said before was wrong: strong cues refer back to an earlier value.
_REVISE = re.compile(
    r"\b(?:actually|sorry|meant|correction|correct that|correct myself|let me correct|oops|wait|instead|"
    r"rather|change|changed|update|fix that|mistake|typo|make (?:it|that)|on second thoughts?|scratch that)\b"
)
_CORRECTION = re.compile(r"\b(?:no|not|nope|wrong|mean)\b")
#: Correction words long enough to be recognised with one typo ("insead", "acutally").
_CORRECTION_WORDS = ("actually", "instead", "correction", "mistake", "rather")
_INCOME = re.compile(
    r"\b(?:earn|earns|earning|salary|salaries|wage|wages|income|take[- ]home|take home|net|gross|"
    r"pension|benefits|paid|make|makes|making|bring in|brings in|brings home|bring home|pays me|"
    r"universal credit|child benefit|allowance|jobseeker'?s|tax credits?|disability living)\b|"
    # money one gets from work or a pension ("I get 600 a month from a part time job")
    r"\b(?:i|we)\s+(?:get|receive|take)\b(?!\s+(?:charged|billed))(?=[^.;!?]*\b(?:from|at|in)\s+"
    r"(?:my|our|a|the|his|her)\s+(?:[a-z-]+\s+){0,2}(?:job|jobs|work|employer|pension|benefits|business|shifts?)\b)"
)
_AGE = re.compile(r"\b(?:years? old|yrs? old|aged?|i'm|i am|im|turned|turning|birthday)\b")
_DEPENDENTS = re.compile(r"\b(?:kids?|children|child|dependents?|dependants?|sons?|daughters?|boys|girls|babies|baby|"
                         r"teenagers?|teens|toddlers?|twins|stepkids|stepchildren|little ones)\b")
_INVEST = re.compile(r"\b(?:invest\w*|portfolio|shares|stocks|funds?|horizon|grow|retirement|pension pot|"
                     r"long[- ]term|untouched|not touching|leave it)\b")
_ZERO_DEBT = re.compile(
    r"\b(?:no|zero|without|don't have any|dont have any|do not have any|haven't got any|havent got any|"
    r"don't have|dont have|not any|have not|haven't|havent|has not)\s+(?:any\s+)?(?:other\s+|existing\s+|outstanding\s+|more\s+)?"
    r"(?:loans?|debts?|repayments|credits?|borrowing|commitments)\b|\bnothing owed\b|\bowe nothing\b|"
    r"\b(?:don't|dont|do not) owe\b|\bdebt[- ]free\b"
)
#: "I have no income of my own", "not earning at the moment": an income of 0.
_ZERO_INCOME = re.compile(r"\b(?:no|zero|without\s+(?:an?|any))\s+(?:income|salary|wages?|earnings)\b|"
                          r"\b(?:don't|do not|dont)\s+(?:earn|have\s+(?:an?|any)\s+income)\b|\bnot earning\b")
#: A spouse or parent the customer keeps ("my wife, she does not work", "my husband stays at home").
_KEPT_PERSON = re.compile(
    r"\b(?:my|our)\s+(?:wife|husband|partner|spouse|mum|mom|mother|dad|father)\b[^.;!?]{0,30}?"
    r"(?:\b(?:does not|doesn't|doesnt|don't|isn't|is not|can't|cannot)\s+(?:work|working|employed)\b|"
    r"\bstays?\s+(?:at\s+)?home\b|\bhousewife\b|\bhomemaker\b|\bdepends on me\b)")
#: A child named one at a time ("a son", "one daughter", "a little boy", "twins").
_ONE_CHILD = re.compile(r"\b(?:(?:a|an|one)\s+(?:little\s+|baby\s+|young\s+|teenage\s+|grown[- ]up\s+)?"
                        r"(son|daughter|boy|girl|child|kid|baby|stepson|stepdaughter)|(twins))\b(?!')")
_ZERO_DEPENDENTS = re.compile(
    r"\b(?:nobody|no one|noone|no-one)\s+(?:to support|depends|relies|else to (?:feed|support))\b|"
    r"\bno (?:kids|children|dependents|dependants|little ones)\b|\bchildless\b|\bnone\b(?=.*\b(?:kids|children)\b)"
)
#: Risk said with a negation ("not risky", "nothing too aggressive"): low.
_NOT_RISKY = re.compile(r"\b(?:not|nothing|never|no|don't want anything|isn't|without)\s+(?:too\s+|very\s+|that\s+|overly\s+)?"
                        r"(?:risky|high[- ]risk|aggressive|volatile|speculative)\b")
_RISK_LOW = re.compile(r"\b(?:play it safe|safe|can't afford to lose|cannot afford to lose|can not afford to lose|"
                       r"don't want to lose|dont want to lose|no risk|low risk|not much risk|minimal risk|"
                       r"little risk|protect|secure|careful|cautious|risk[- ]averse|"
                       r"(?:don't|dont|do not)\s+(?:like|want|take|fancy|do)\s+(?:any\s+|much\s+|a lot of\s+)?risks?)\b")
_RISK_HIGH = re.compile(r"\b(?:high risk|lots of risk|a lot of risk|plenty of risk|maximum growth|aggressive|"
                        r"go big|risky|fair amount of risk)\b")
_RISK_MEDIUM = re.compile(r"\b(?:some risk|bit of risk|little bit of risk|in the middle|middle ground|balanced|"
                          r"ups and downs|some volatility|a few bumps|"
                          r"moderate|medium)\b")
#: What the customer can spare ("I can afford 150 a month"): not an income, a debt or the loan.
_AFFORD = r"\b(?:can|could)\s+(?:only\s+)?(?:afford|manage|spare)\b|\bbudget\s+(?:is|of)\b"
#: Money put aside in other words ("put 200 a month aside", "put a bit by").
PUT_ASIDE = r"\bput\b[^.,;!?]{0,25}?\b(?:aside|away|by)\b"
_PRICE = re.compile(r"\b(?:costs?|price[ds]?|worth|valued|saved|savings|deposit|down payment|put down|"
                    r"sale|selling for|listed at|put away|set aside|put aside|save|saving|tuck away)\b|"
                    + PUT_ASIDE + "|" + _AFFORD + "|"
                    # what a thing is: "the house is 250k", "the car's 14,000"
                    r"\b(?:the|this|that|our|my|a|an)\s+(?:[a-z-]+\s+)?"
                    r"(?:house|home|flat|apartment|property|place|condo|car|van|truck|bike)\s*"
                    # "the house we like is 310,000"
                    r"(?:(?:we|i)\s+(?:like|want|found|saw|chose|picked|love|are buying|are looking at)\s+)?"
                    r"(?:is|was|'s|will be|would be|comes to|goes for|is going for)\s+"
                    r"(?:about|around|roughly|nearly|almost|just under|just over)?\s*[$€£]?\d|"
                    # what a thing sells for: "looking at a flat for 180k", "a car at 9,000"
                    r"\b(?:a|an|the|this|that)\s+(?:[a-z-]+\s+)?(?:house|home|flat|apartment|property|place|condo|car|van)"
                    r"\s+(?:for|at|priced at|costing|listed at|on sale for)\s+(?:about|around|roughly)?\s*[$€£]?\d")
#: Money the customer already has towards a price ("50k deposit", "I have 2000 saved").
#: "the car costs 8500, I have 1500": money of one's own said beside a price (only then a deposit)
HAVE_CASH = (r"\b(?:i|we)\s+(?:have|'ve got|have got|got)\s+(?:about|around|roughly|only|just)?\s*[$€£]?\d[\d,.]*\s*"
             r"(?:k|grand|euros?|pounds?|dollars?|quid)?\s*(?:saved|ready|in the bank|of (?:my|our) own|cash)?\s*$")
DEPOSIT = re.compile(HAVE_CASH + "|" r"\b(?:saved|savings|deposit|down payment|put down|put away|set aside|put aside)\b|"
                     + PUT_ASIDE)
_AGE_NONNATIVE = re.compile(r"\b(?:i have|i've|ive|i got|i am|i'm|im)\s+(?=\S+\s+(?:years?|yrs?)\b(?!\s+(?:of|in|at|with)))")
_ELIGIBILITY = re.compile(
    r"\b(?:will|would|could|can|do|does|am)\s+(?:i|we|you)\s+(?:get|qualify|be approved|be accepted|be eligible|"
    r"have it|approve)\b|\beligib\w*|\bverdict\b|\bgo through\b|\bapprove (?:me|us|it)\b|\bdoes (?:that|it) work\b|"
    r"\bis (?:that|it) (?:possible|likely|doable|ok|okay)\b|\b(?:it|that)(?:'s| is) (?:ok|okay|possible|approved)\s*\?|^\W*is (?:possible|ok|okay)\s*\?|\bchances\b|\bget (?:it|the loan|the mortgage|approved)\b|"
    # asking for the outcome itself ("what's the decision?", "so what's the verdict then")
    r"\bwhat(?:'s| is| was|s)? (?:the|my|your) (?:[a-z]+ )?(?:decision|outcome|result|answer)\b|"
    r"\bwhat happens (?:now|next)\b|\bwhat(?:'s| is| are)? (?:the )?next steps?\b|\bwhat(?:'s| is|s)? next\b|"
    # "so, yes or no?", "how does that look?"
    r"\byes or (?:a )?no\b|\bis (?:that|it) a (?:yes|no)\b|"
    r"\b(?:am|are) (?:i|we) (?:getting|going to get) (?:it|the (?:money|loan|mortgage|card|credit))\b|\bhow (?:does|do) (?:that|it|this|things|my application) look\b|"
    r"\bhow(?:'s| is| are) (?:it|that|things|we|my application) looking\b|"
    r"^\W*(?:so|and|ok|okay)?\W*(?:the |your |my )?(?:decision|verdict|outcome)\W*$|"
    # "will you lend to me?", "would you give me the loan?"
    r"\b(?:will|would|could|can) you (?:lend|loan|give|offer) (?:it |that |the money |the loan )?(?:to )?(?:me|us)\b|"
    # what the loan would cost each month: told with the outcome ("what would the monthly payments be?")
    r"\b(?:what|how much)\b[^.?!]{0,30}\b(?:monthly (?:payments?|repayments?|instalments?|installments?)|"
    r"(?:payments?|repayments?|instalments?|installments?) (?:be|come to|cost)|(?:i|we) (?:pay|repay|pay back) "
    r"(?:each|a|per|every) month)\b"
)
#: "How much could I borrow?": a question about eligibility, whatever else the words suggest.
_HOW_MUCH_BORROW = re.compile(
    r"\bhow much (?:could|can|would|will|might) (?:i|we) (?:borrow|get|be lent|be approved for)\b|"
    r"\bhow much (?:could|can|would|will) you (?:lend|give|offer)\b|"
    r"\b(?:most|maximum|max|upper limit) (?:that )?(?:i|we|you) (?:could|can|would) (?:borrow|lend|get)\b"
)
_INVEST_REQUEST = re.compile(
    r"\b(?:invest|investing|stocks|shares|portfolio|index funds?|etfs?)\b|"
    # money made to grow is invested money ("grow my savings", "put our money to work")
    r"\b(?:grow|growing|build up|multiply)\s+(?:my|our|the|some)\s+(?:money|savings|wealth|nest egg|cash|pot)\b|"
    r"\b(?:my|our|the)\s+(?:money|savings|cash)\s+(?:to\s+)?(?:grow|work harder|working)\b|"
    r"\bput\s+(?:my|our|the)\s+(?:money|savings|cash)\s+to\s+work\b|"
    # money put into something for later ("put 20k into something for my retirement")
    r"\bput\s+(?:[$€£]?\d[\d,.]*\s*k?|some\s+money|money|my\s+savings|our\s+savings)\s+(?:into|in)\s+"
    r"(?:something|investments?|the\s+markets?|funds?|shares|stocks|a\s+pension|my\s+pension)\b|"
    r"\bfor\s+(?:my|our)\s+retirement\b")
_LOAN_WORDS = re.compile(r"\b(?:loan|borrow|lend|mortgage|credit)\b")
_GOODBYE = re.compile(r"\b(?:bye|goodbye|see ya|see you|cya|have a good (?:day|one|evening)|i'm off|im off)\b|"
                      # "that's all" ends the talk; "that's all correct" agrees to a summary
                      r"\b(?:that's|thats|that is) all\b(?!\s+(?:correct|right|fine|good|true|accurate|ok|okay|"
                      r"spot on|perfect|there|of it|i need to))")
_TERM = re.compile(r"\b(?:over|term|back|repay|pay it back|within|spread|loan term|duration)\b")
#: A question about what a chart shows, in the chart's own terms: a part of it (the line, the
#: bars, a slice, the curve) or the chart itself, and what it does or shows ("why does the line
#: dip at the end?", "what's the big slice?").
_CHART_PART = re.compile(
    r"\b(?:charts?|graphs?|plots?|diagram)\b|"
    r"\b(?:the|this|that|these|those) (?:[a-z]+ )?(?:lines?(?! of credit)|bars?|slices?|curve|columns?|spikes?|"
    r"dips?|peaks?|segments?|wedges?)\b")
_CHART_MOVE = re.compile(
    r"\b(?:drops?|dropped|dipp?(?:s|ed)?|falls?|fell|rises?|rose|climbs?|climbed|jumps?|jumped|"
    r"spiked?|spikes|peaks?|peaked|(?:go|goes|went|going) (?:up|down)|flat(?:tens|tened)?|"
    r"trends?|trending|shows?|showing|means?|say|says|biggest|largest|smallest|bigger|smaller)\b")
#: Asking the advisor for a recommendation ("what would you suggest?", "any ideas?").
_RECOMMEND = re.compile(
    r"\bwhat (?:would|do|should|could|can|might) you (?:suggest|recommend|advise|propose)\b|"
    r"\b(?:any|some|your) (?:suggestions?|recommendations?|advice|ideas|tips)\b|"
    r"\bwhat (?:should|shall|could|can) (?:i|we) (?:do|go for|choose|pick)\b|"
    r"\bwhat do you think (?:i|we) should\b|\bwhere (?:should|shall|could) (?:i|we) put\b|"
    r"\bwhat are (?:my|our) options\b|\bwhich (?:one|option|fund|account) (?:would you|should (?:i|we))\b|"
    r"\b(?:what|which) do you (?:suggest|recommend)\b|"
    r"\b(?:what|which)\b(?:\s+[a-z']+){0,3}\s+(?:would|do|should|could|can|might) you (?:suggest|recommend|advise)\b|"
    # asking the advisor's view, also in texting ("wot do u think")
    r"\b(?:what|wot|wat|wut|whats|what's)\s+(?:do|d'?|would)?\s*(?:you|u|ya|yu)\s+(?:think|reckon|say)\b|\byour thoughts\b")
#: Declining to answer ("I'd rather not say", "prefer not to share that", "skip that one").
_DECLINE = re.compile(
    r"\b(?:(?:i'd|i would|id)\s+)?(?:rather|prefer)\s+not\b|\b(?:don't|dont|do not)\s+(?:want|wish|like)\s+to\s+"
    r"(?:say|tell|share|give|answer|disclose)\b|\bnot\s+(?:telling|saying|sharing|comfortable\s+(?:saying|sharing|telling|giving))\b|"
    r"\bnone of your business\b|\bskip (?:that|this|it)\b|\bpass on (?:that|this)\b|\b(?:won't|wont|will not) (?:say|tell)\b|"
    r"\bno comment\b")
_ASKS = re.compile(r"^\W*(?:why|what|whats|what's|how|is|are|does|did|do|can you|could you|explain)\b|\?")

_PURPOSE_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(PURPOSE_WORDS, key=len, reverse=True)) + r")\b")
_CONSOLIDATE = re.compile(
    r"\b(?:consolidat\w*|combine|merge|roll|bring together|put together|clear|pay off|paying off|"
    r"one loan|single loan|one payment)\b"
)
_DEBTS_WORD = re.compile(r"\b(?:debts?|cards|credit cards|overdraft|loans|bills|store cards|them)\b")
_VEHICLE_FOR_BUSINESS = re.compile(r"\b(?:business|company|work)\b")


@dataclass(frozen=True)
class Clause:
    """A stretch of a turn between separators, with what it is about."""

    start: int
    end: int
    text: str
    debt: bool  # names an existing repayment ("I pay 300 a month on my card")
    income: bool
    work: bool
    age: bool
    dependents: bool
    invest: bool
    term: bool
    request: bool = False  # asks for a new loan ("want to roll them into one loan")
    price: bool = False  # a price or savings ("the flat costs 320k", "I have 2000 saved"): not the loan
    #: what a running commitment costs, said ("the car finance is 350", "mortgage is 1100 a month")
    commitment: bool = False
    #: money received, said as such ("I get 700 in universal credit")
    received: bool = False
    #: what rent costs ("we rent, about 900"): a housing cost, no slot's value
    rent: bool = False


@dataclass
class Frames:
    """What a turn is about, read from its folded text."""

    clauses: list[Clause] = field(default_factory=list)
    implied: dict[str, tuple[str, float]] = field(default_factory=dict)  # slot -> (value, confidence)
    #: Spans whose product / purpose mentions name something the customer already has.
    existing_spans: list[tuple[int, int]] = field(default_factory=list)
    owns_home: bool = False
    wants_human: bool = False
    correction: bool = False  # the customer says a value is wrong ("no", "actually", "instead")
    revision: bool = False  # ... and refers back to what was said before ("actually make it", "instead")
    third_party_education: bool = False
    #: A risk attitude said in other words ("I like to play it safe"); used in an investment context.
    risk: str | None = None
    risk_negated: bool = False  # "not risky", "nothing aggressive": low, whatever the words name
    asks_eligibility: bool = False
    asks_how_much: bool = False  # "what's the most I could borrow?"
    wants_to_invest: bool = False  # investing words and no loan words
    says_goodbye: bool = False
    #: asks what a chart shows, in its own terms ("why does the line drop at the end?")
    asks_about_chart: bool = False
    #: asks the advisor for a recommendation ("what would you suggest?")
    asks_recommendation: bool = False
    #: spans declining to answer ("I'd rather not say", "none of your business")
    declined_spans: list[tuple[int, int]] = field(default_factory=list)
    #: a question in words that fit what a chart shows ("why did it fall?", "what does that
    #: mean?"): about the chart when one was just read
    asks_what_it_shows: bool = False

    def clause_at(self, pos: int) -> Clause | None:
        for c in self.clauses:
            if c.start <= pos < c.end:
                return c
        return None

    def in_existing(self, start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in self.existing_spans)


def clauses(low: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of the folded text."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _CLAUSE_SPLIT.finditer(low):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(low):
        spans.append((pos, len(low)))
    return spans or [(0, len(low))]


def _occupation(low: str) -> bool:
    words = re.findall(r"[a-z]+", low)
    for i, w in enumerate(words):
        base = w[:-1] if w.endswith("s") and w[:-1] in OCCUPATIONS else w
        if base in OCCUPATIONS:
            before = " ".join(words[max(0, i - 4):i])
            framed = i <= 1 or bool(re.search(r"\b(?:a|an|as|am|im|i'm|m|retired|former|senior|junior|head|"
                                             r"qualified|trainee|freelance)\b", " ".join(words[max(0, i - 3):i])))
            if not framed:
                continue
            # "my husband is a teacher" is not the applicant; "retired teacher" is retired.
            if re.search(r"\b(?:husband|wife|partner|son|daughter|mum|mom|dad|father|mother|brother|sister)\b", before):
                continue
            return True
    return False


#: Words whose typos ("no loas", "no kis") should not hide a "none".
_MENDED = ("loans", "debts", "kids", "children", "dependents", "dependants", "repayments")


def _mend_typos(low: str) -> str:
    def mend(m: re.Match[str]) -> str:
        w = m.group(0)
        if len(w) >= 3 and w not in _MENDED:
            for target in _MENDED:
                if one_edit(w, target):
                    return target
        return w

    return re.sub(r"[a-z]+", mend, low)


def names_debt(low: str) -> bool:
    """Whether the text names something people repay (a loan, a card, a contract, finance)."""
    return bool(_DEBT_THING.search(low))


def read_frames(low: str) -> Frames:
    """Frames of a folded turn (see the module docstring)."""
    f = Frames()
    previous: Clause | None = None
    for s, e in clauses(low):
        t = low[s:e]
        thing = bool(_DEBT_THING.search(t))
        commitment = bool(_COMMITMENT_IS.search(t) or _COMMITMENT_AT.search(t) or _PAY_FOR.search(t)
                          or ((m := _MORTGAGE_COST.search(t)) and (_PER_MONTH.search(t) or (
                              repayment_size(t, m.end())))))  # "mortgage of 800": no mortgage is that small
        per_month = bool(_PER_MONTH.search(t) or re.search(r"\b(?:a|per|each|every) week\b|\bweekly\b", t))
        received = bool(_RECEIVED.search(t))
        debt = bool((_DEBT_VERB.search(t) and (thing or per_month)) or (thing and _HAVE.search(t))
                    or commitment or (thing and per_month and re.search(r"\d", t)))
        if debt and (re.search(r"\brent\b", t) or _INCOME.search(t) or received or _QUESTION.search(t)
                     or (_LOAN_REQUEST.search(t) and not _EXISTING.search(t))):
            debt = False  # rent, income, a question about rates, or a request for a new loan
        clause = Clause(
            s, e, t, debt=debt, income=bool(_INCOME.search(t) or received) and not debt,
            work=bool(_WORKING.search(t) or _SELF_EMPLOYED.search(t) or _occupation(t)),
            age=bool(_AGE.search(t)), dependents=bool(_DEPENDENTS.search(t)), invest=bool(_INVEST.search(t)),
            term=bool(_TERM.search(t)), price=bool(_PRICE.search(t)),
            request=bool((_LOAN_REQUEST.search(t) and (_DEBT_THING.search(t) or _BORROW.search(t))) or
                         _NEED_FOR.search(t)) and not debt,
            commitment=commitment and debt, received=received, rent=bool(_RENT_PAID.search(t)),
        )
        joined = previous is not None and not re.search(r"[.;!?]", low[previous.end:s])
        if previous is not None and joined and not (clause.debt or clause.income or clause.work or clause.age
                                                    or clause.dependents or clause.invest or clause.request):
            # "I have a student loan, 200 a month": the bare figure belongs to the clause before.
            clause = Clause(s, e, t, previous.debt, previous.income, previous.work, previous.age,
                            previous.dependents, previous.invest, clause.term, previous.request, clause.price,
                            rent=previous.rent or clause.rent)
        f.clauses.append(clause)
        if clause.debt:
            f.existing_spans.append((s, e))
        previous = clause
    if any(c.price for c in f.clauses):
        f.clauses = [dataclasses.replace(c, price=True) if not c.debt and re.search(HAVE_CASH, c.text.strip())
                     else c for c in f.clauses]
    kin = bool(_KIN_RE.search(low))
    # Employment status: the strongest frame wins (self-employed over a bare occupation).
    if _UNEMPLOYED.search(low):
        f.implied["employment_status"] = ("unemployed", 0.9)
    elif _RETIRED.search(low):
        f.implied["employment_status"] = ("retired", 0.9)
    elif _SELF_EMPLOYED.search(low):
        f.implied["employment_status"] = ("self_employed", 0.9)
    elif _STUDENT.search(low) and not kin and not _STUDENT_LOAN.search(low):
        f.implied["employment_status"] = ("student", 0.85)
    elif _WORKING.search(low) or _occupation(low):
        f.implied["employment_status"] = ("employed", 0.85)
    # Housing.
    owned = []
    for m in owned_home(low):
        c = f.clause_at(m.start())
        if not wanted_home(low, c.start if c else 0, m):
            owned.append(m)
    if owned:
        f.owns_home = True
        f.implied["housing"] = ("own", 0.9)
        for m in owned:
            c = f.clause_at(m.start())
            f.existing_spans.append((c.start, c.end) if c else (m.start(), m.end()))
    elif (other := other_housing(low)) is not None:
        f.implied["housing"] = (other, 0.9)
    # Purposes named by what they are.
    if _CONSOLIDATE.search(low) and _DEBTS_WORD.search(low):
        f.implied["loan_purpose"] = ("debt_consolidation", 0.85)
    elif _EDUCATION.search(low) and (kin or re.search(r"\bpay (?:for )?(?:my|the) (?:studies|course|degree|tuition|fees)\b", low)) \
            and not _STUDENT_LOAN.search(low):
        f.implied["loan_purpose"] = ("education", 0.85)
        f.third_party_education = kin
    else:
        m = _PURPOSE_RE.search(low)
        if m:
            value = PURPOSE_WORDS[m.group(0)]
            if value == "car" and _VEHICLE_FOR_BUSINESS.search(low):
                value = "business"
            clause = f.clause_at(m.start())
            income_source = clause is not None and clause.income and \
                FROM_SOURCE.search(low, clause.start, m.start()) is not None  # "a month from our shop"
            if not f.in_existing(m.start(), m.end()) and not (clause and clause.work) and not income_source:
                f.implied["loan_purpose"] = (value, 0.8)
    mended = _mend_typos(low)
    if _ZERO_DEBT.search(mended):
        f.implied["monthly_debt"] = ("0", 0.9)
    if _ZERO_DEPENDENTS.search(mended):
        f.implied["dependents"] = ("0", 0.9)
    elif _KEPT_PERSON.search(low) and not _DEPENDENTS.search(low):
        f.implied["dependents"] = ("1", 0.8)
    elif _HAVE.search(low) and not re.search(r"\d", low) and (named := _ONE_CHILD.findall(low)):
        # "I've got a son and a daughter": the children counted one by one ("twins" are two)
        f.implied["dependents"] = (str(sum(2 if twins else 1 for _one, twins in named)), 0.85)
    if _ZERO_INCOME.search(low):
        f.implied["monthly_income"] = ("0", 0.85)
    if _NOT_RISKY.search(low):
        f.risk, f.risk_negated = "low", True
    elif _RISK_HIGH.search(low):
        f.risk = "high"
    elif _RISK_MEDIUM.search(low):
        f.risk = "medium"
    elif _RISK_LOW.search(low):
        f.risk = "low"
    f.wants_human = bool(_HUMAN.search(low))
    f.asks_eligibility = bool(_ELIGIBILITY.search(low))
    f.says_goodbye = bool(_GOODBYE.search(low))
    asks, moves = bool(_ASKS.search(low)), bool(_CHART_MOVE.search(low))
    f.asks_about_chart = bool(_CHART_PART.search(low)) and (asks or moves)
    f.asks_what_it_shows = asks and moves
    f.asks_recommendation = bool(_RECOMMEND.search(low))
    f.declined_spans = [m.span() for m in _DECLINE.finditer(low)]
    f.asks_how_much = bool(_HOW_MUCH_BORROW.search(low))
    f.wants_to_invest = bool(_INVEST_REQUEST.search(low)) and not _LOAN_WORDS.search(low)
    f.revision = bool(_REVISE.search(low)) or any(
        len(w) >= 5 and one_edit(w, c) for w in re.findall(r"[a-z]+", low) for c in _CORRECTION_WORDS)
    f.correction = f.revision or bool(_CORRECTION.search(low))
    return f


def slot_prior(clause: Clause | None, unit: str | None) -> dict[str, float]:
    """Multipliers of a number's slot probabilities from what its clause is about."""
    if clause is None:
        return {}
    p: dict[str, float] = {}

    def mul(slot: str, k: float) -> None:
        p[slot] = p.get(slot, 1.0) * k

    if clause.price and not clause.debt and not clause.request:
        for s in ("loan_amount", "investment_amount", "monthly_income", "monthly_income_yearly", "monthly_debt"):
            mul(s, 0.05)
        mul("none", 10.0)
        if DEPOSIT.search(clause.text) or re.search(_AFFORD + r"|\bsav(?:e|ing)\b", clause.text):  # neither owed nor earned
            for s in ("monthly_debt", "monthly_income", "monthly_income_yearly"):
                mul(s, 0.05)
    if clause.rent and not (clause.income or clause.request or clause.debt or clause.price):
        for s in ("loan_amount", "investment_amount", "monthly_income", "monthly_income_yearly", "monthly_debt"):
            mul(s, 0.05)
        mul("none", 10.0)
    if clause.age and unit in (None, "year") and _AGE_NONNATIVE.search(clause.text):
        mul("age", 10.0)
        mul("loan_term_months", 0.1)
        mul("employment_years", 0.3)
    if clause.request and not clause.debt:
        mul("loan_amount", 3.0)
        mul("monthly_debt", 0.3)
    if clause.debt:
        mul("monthly_debt", 6.0)
        for s in ("loan_amount", "monthly_income", "investment_amount", "dependents"):
            mul(s, 0.2)
        if clause.commitment:  # "the car finance is 350": what it costs, said
            mul("monthly_debt", 5.0)
            mul("loan_amount", 0.1)
            mul("age", 0.1)
    elif clause.income:
        mul("monthly_income", 4.0)
        mul("monthly_income_yearly", 4.0)
        mul("loan_amount", 0.4)
        if clause.received:  # "I get 700 in universal credit", said as money received
            mul("monthly_income", 10.0)
            mul("monthly_debt", 0.03)
            if not re.search(r"\b(?:a|per|each|every) year\b|\byearly\b|\bannual", clause.text):
                mul("monthly_income_yearly", 0.1)
    if clause.work and unit == "year":
        mul("employment_years", 20.0)
        mul("loan_term_months", 0.05)
        mul("investment_horizon_years", 0.05)
    if clause.invest and unit == "year":
        mul("investment_horizon_years", 3.0)
        mul("loan_term_months", 0.4)
    if unit is None and LIMIT.search(clause.text):  # "a limit of around 3000": the credit asked for
        mul("loan_amount", 5.0)
        mul("monthly_income", 0.1)
        mul("monthly_income_yearly", 0.1)
        mul("monthly_debt", 0.3)
    if clause.dependents and unit is None:
        mul("dependents", 3.0)
    return p
