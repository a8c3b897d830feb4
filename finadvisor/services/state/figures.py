"""What a figure in a turn can be, before the models and the context weigh it: the slots it
fits at all, money against durations and counts, a spelled "one" as a pronoun, a short answer,
a calendar year said as a date, a correction's size.

Pure string and number work over the folded text (no model), shared by ``interpret``.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping

from finadvisor.ontology import AMOUNT_SLOTS as ONTOLOGY_AMOUNT_SLOTS
from finadvisor.services.state.meaning import Clause
from finadvisor.services.state.normalize import NumberSpan

DURATION_SLOTS = frozenset({"loan_term_months", "employment_years", "investment_horizon_years"})
AMOUNT_SLOTS = frozenset(ONTOLOGY_AMOUNT_SLOTS)

#: Nouns a small number counts without being a slot ("one loan", "my three credit cards").
_THINGS = re.compile(r"\s*of\s+(?:your|the|them|my|our|those|these|you|us)\b|\s*(?:of\s+(?:my|the|them)\s+)?(?:[a-z]+\s+)?(?:loans?|cards?|credit cards?|jobs?|cars?|houses?|"
                     r"accounts?|payments?|debts?|times?|people|persons?|banks?|lenders?|companies|things|"
                     r"bedrooms?|bed|rooms?|weeks?|days?|hours?|credit|questions?|points|options|ways|minutes|seconds)\b")

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

YEARS_OLD = re.compile(r"\s*-?\s*(?:years?|yrs?)\s*-?\s*old\b|\s*y/?o\b")
#: "I'm 52", "i am now 41": a person's own number with nothing after it is their age, whatever
#: the advisor asked ("im 52" answering a question about debts is no debt of 52).
IM_BEFORE = re.compile(r"\b(?:i'm|im|i am)\s+(?:now\s+|just\s+|nearly\s+|almost\s+|turning\s+)?$")
IM_AFTER = re.compile(r"\s*(?:$|[,.;!?)]|(?:and|but|so|now|already|this|next|soon)\b)")

#: Words a short answer may carry around its value ("about 16k", "3 years please").
_FILLER = frozenset("""no nope nah yes yep about around roughly approx approximately maybe perhaps like say its it's it is i
think guess would be probably just only over for in the a an of ok okay yes yeah please pls thanks
um uh er well so and that make let's lets hmm""".split())

def fits(slot: str, number: NumberSpan) -> bool:
    """Whether a number can be a value of the slot at all (a duration needs no unit or a time unit)."""
    v = float(number.value)
    if slot in DURATION_SLOTS:
        return v <= 600 and (number.unit is not None or v <= 480)
    if slot == "age":
        return number.unit in (None, "year") and 16 <= v <= 110
    if slot == "dependents":
        return number.unit is None and v <= 15
    if slot in AMOUNT_SLOTS:
        # nothing is lent or invested at 0; a debt or an income may be 0
        zero_ok = slot not in ("loan_amount", "investment_amount")
        return number.unit is None and (v >= 20 or number.shorthand or (v == 0 and zero_ok))
    return True


#: A rate per month right after a figure ("300 each month", "450 a month"): an amount of money.
PER_MONTH_AFTER = re.compile(r"\s*(?:(?:a|per|each|every)\s+month\b|monthly\b|/\s*(?:month|mo|m)\b|pm\b|p/m\b)")
#: A currency sign or name around a figure ("£90", "90 pounds"): money, not a count or duration.
MONEY_BEFORE = re.compile(r"[$€£¥]\s*$|\b(?:usd|eur|gbp|cny)\s*$|"
                           r"\b(?:pay|pays|paying|spend|spends|spending|owe|owes|costs?|repay|repaying)\s+(?:about|around|roughly)?\s*$|"
                           # what a thing one repays costs ("a phone contract at 35")
                           r"\b(?:contract|loan|card|finance|lease|leasing|plan|overdraft|mortgage|subscription)\s+"
                           r"(?:at|of|for|costing)\s+(?:about|around|roughly)?\s*$")
MONEY_AFTER = re.compile(r"\s*(?:pounds?|quid|euros?|dollars?|bucks|usd|eur|gbp|yuan|rmb)\b")
YEARLY = re.compile(r"\b(?:a year|per year|yearly|annual|annually|per annum|p\.a)\b")

def kind(slot: str) -> str:
    if slot in DURATION_SLOTS:
        return "duration"
    if slot in AMOUNT_SLOTS:
        return "amount"
    return slot

#: Words after which a spelled "one" stands for a thing ("I want one", "that one").
_BEFORE_PRONOUN_ONE = re.compile(r"\b(?:want|need|like|take|get|have|apply for|open|go for|fancy|that|this|which|another)\s*$")
_PRONOUN_FOLLOW = re.compile(r"\s*(?:$|[,.!?;]|(?:then|too|of|please|as|for|more|now|and|or|with|instead)\b)")


def pronoun_one(low: str, number: NumberSpan) -> bool:
    """A spelled "one" in a sentence ("I'd like one then", "I want one") is a pronoun, not a
    value; alone or with a unit ("one", "one year") it is the number."""
    if not (number.words and number.value == 1 and number.unit is None):
        return False
    if _BEFORE_PRONOUN_ONE.search(low, 0, number.start) and _PRONOUN_FOLLOW.match(low, number.end):
        return True
    return not is_fragment(low, number) and _PRONOUN_FOLLOW.match(low, number.end) is not None


def frameless(clause: Clause | None) -> bool:
    """A clause that says nothing of what its figure is ("more like 2,400")."""
    return clause is None or not (clause.debt or clause.income or clause.request or clause.price
                                  or clause.work or clause.invest)


def nearest(number: NumberSpan, values: Mapping[str, str]) -> str | None:
    """The slot whose value is of the number's size (within half again, and the others at least
    twice as far off), or None."""
    v = float(number.value)
    gaps = []
    for slot, old in values.items():
        try:
            gaps.append((abs(math.log(v / float(old))), slot))
        except (ValueError, ZeroDivisionError):
            continue
    gaps.sort()
    if not gaps or gaps[0][0] > math.log(1.5):
        return None
    if len(gaps) > 1 and gaps[1][0] < 2 * gaps[0][0] + math.log(1.5):
        return None
    return gaps[0][1]


def counts_things(low: str, number: NumberSpan) -> bool:
    """A small count of things ("one loan", "4 credit cards"), not a slot's value."""
    if number.unit is not None or number.shorthand or number.value > 20:
        return False
    m = _THINGS.match(low, number.end)
    return m is not None and not re.match(r"\s*(?:kids?|children|child|sons?|daughters?|boys|girls|dependents?|dependants?)",
                                          low[number.end:])


def is_fragment(low: str, number: NumberSpan | None) -> bool:
    """A short answer: the value and a few filler words ("about 16k", "three years please")."""
    rest = low if number is None else low[:number.start] + " " + low[number.unit_end:]
    words = [w for w in _WORD.findall(rest) if w not in _FILLER]
    return len(words) <= 1


_DATED = re.compile(r"\b(?:since|in|from|back in|started in|starting in|joined in|born in|born)\s*$")
BORN = re.compile(r"\bborn(?:\s+in)?\s*$")


def calendar_year(low: str, number: NumberSpan) -> bool:
    """A calendar year said as a date ("since 2010", "born in 1987")."""
    text = low[number.start:number.end]
    return number.unit is None and len(text) == 4 and text.isdigit() and \
        1930 <= int(text) <= datetime.date.today().year and _DATED.search(low, 0, number.start) is not None
