"""What a figure in a turn can be, before the models and the context weigh it: the slots it
fits at all, money against durations and counts, a spelled "one" as a pronoun, a short answer,
a calendar year said as a date, a correction's size.

Pure string and number work over the folded text (no model), shared by ``interpret``.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from collections.abc import Mapping, Sequence

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
_RATE_AFTER = re.compile(r"\s*(?:a|per|each|every)\s+(?:week|day|hour|fortnight)\b")

YEARS_OLD = re.compile(r"\s*-?\s*(?:years?|yrs?)\s*-?\s*old\b|\s*y/?o\b")
#: "I'm 52", "i am now 41": a person's own number with nothing after it is their age, whatever
#: the advisor asked ("im 52" answering a question about debts is no debt of 52).
IM_BEFORE = re.compile(r"\b(?:i'm|im|i am)\s+(?:now\s+|just\s+|nearly\s+|almost\s+|turning\s+)?$")
#: "I have 45 years": an age said the way several languages say it (not "I have 6 years left").
HAVE_BEFORE = re.compile(r"\b(?:i have|i've|ive|i got|i've got)\s+$")
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
#: Money per week ("450 a week", "paid weekly, about 450"): a monthly figure is 52/12 of it.
_PER_WEEK_AFTER = re.compile(r"\s*(?:(?:a|per|each|every)\s+week\b|weekly\b|/\s*(?:week|wk|w)\b|pw\b|p/w\b)")
_WEEKLY = re.compile(r"\b(?:paid weekly|weekly (?:pay|wage|wages|income)|a week\b|per week\b)")


def per_week(low: str, number: NumberSpan, clause: Clause | None) -> bool:
    """A sum of money said per week."""
    return _PER_WEEK_AFTER.match(low, number.unit_end) is not None or (
        number.unit is None and clause is not None and _WEEKLY.search(clause.text) is not None
        and not PER_MONTH_AFTER.match(low, number.unit_end))


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
_BEFORE_PRONOUN_ONE = re.compile(r"\b(?:want|need|like|take|get|have|apply for|open|go for|fancy|that|this|which|another|"
                                 r"into|in to|for)\s*$")  # "roll them into one", "swap them for one"
_PRONOUN_FOLLOW = re.compile(r"\s*(?:$|[,.!?;]|(?:then|too|of|please|as|for|more|now|and|or|with|instead|so|but|"
                             r"because|cos|to|which|that)\b)")


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
    if number.unit is not None or number.shorthand or number.value > 20 or \
            _RATE_AFTER.match(low, number.end):  # "20 a week" is money each week, no count of weeks
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


#: A figure said as the wrong one ("5,000 a month, not 5200", "36 months rather than 24").
_NOT_BEFORE = re.compile(r"\b(?:not|rather than|instead of|no longer)\s+(?:about\s+|around\s+)?[$€£]?\s*$")
#: Another person's figure beside the customer's ("me 6 years and him 3", "I take home 2,200 and
#: my fiancée 1,900"): neither the customer's own value nor a slot of the application.
_OTHER_PERSON = re.compile(
    r"\b(?:and|but|while|whereas)\s+(?:him|her|he|she|he's|she's|my\s+(?:wife|husband|partner|fianc[eé]e?|"
    r"girlfriend|boyfriend|spouse|other half))\s+(?:has\s+|had\s+|is\s+|for\s+|about\s+|around\s+|roughly\s+)?[$€£]?\s*$|"
    # "she's 26", "my son is 12": said of someone else
    r"\b(?:she|he|they)(?:'s|'re|\s+is|\s+are|\s+was)\s+(?:about\s+|around\s+|only\s+|just\s+)?$|"
    r"\bmy\s+(?:wife|husband|partner|son|daughter|mum|mom|dad|mother|father|brother|sister|boy|girl|kid|child)"
    r"\s+(?:is|was)\s+(?:about\s+|around\s+|only\s+|just\s+)?$")
#: A gross figure beside a net one ("3,500 a month, 5k is before tax"): not the income asked for.
_GROSS_AFTER = re.compile(r"\s*(?:a month\s+)?(?:is|was|are)?\s*(?:before tax|gross|pre-?tax|before deductions)\b")
#: A household's income said as one ("so 6,500 together"): the figure the application uses.
TOGETHER_AFTER = re.compile(r"\s*(?:a month\s+|monthly\s+)?(?:together|combined|between us|between the two of us|"
                            r"jointly|as a household|household)\b")


#: A model year before the thing it dates ("a 2019 golf", "my 2015 Ford"): no amount.
_DATED_THING_BEFORE = re.compile(r"\b(?:a|an|the|my|our|his|her|this|that)\s+$")
_DATED_THING_AFTER = re.compile(r"\s+(?!(?:pounds?|quid|euros?|dollars?|bucks|loan|credit|limit|deposit|a\b|per\b|"
                                r"each|every|monthly|k\b|grand|thousand|usd|eur|gbp)\b)[a-z]")


def model_year(low: str, number: NumberSpan) -> bool:
    """"a 2019 golf": the year a thing was made (people finance vehicles by their model year)."""
    text = low[number.start:number.end]
    return text.isdigit() and len(text) == 4 and 1950 <= int(text) <= datetime.date.today().year + 1 and \
        _DATED_THING_BEFORE.search(low, 0, number.start) is not None and \
        _DATED_THING_AFTER.match(low, number.end) is not None


def set_aside(low: str, number: NumberSpan, numbers: Sequence[NumberSpan]) -> bool:
    """A figure the customer says is wrong, someone else's, a gross one beside another, or the
    model year of a thing: no value of theirs."""
    if model_year(low, number):
        return True
    return _NOT_BEFORE.search(low, 0, number.start) is not None or \
        _OTHER_PERSON.search(low, 0, number.start) is not None or \
        (len(numbers) > 1 and _GROSS_AFTER.match(low, number.unit_end) is not None)


#: What is owed in all rather than repaid each time ("I owe 12k on cards", "a balance of 3,000").
_OWED = re.compile(r"\b(?:owe|owed|owing|outstanding|balance|left to pay|left on|maxed)\b")
#: "8k in total", "altogether": a total, which is a balance when a repayment per month is also said.
_TOTAL = re.compile(r"\b(?:in total|all together|altogether|total(?:ling)?)\b"
                    r"(?!\s+(?:monthly\s+)?(?:repayments?|payments?|instalments?|installments?|outgoings))")


def is_balance(low: str, number: NumberSpan, clause: Clause | None, numbers: Sequence[NumberSpan]) -> bool:
    """A sum owed, said beside or instead of what is repaid: never a monthly repayment."""
    if clause is None or PER_MONTH_AFTER.match(low, number.unit_end):
        return False
    monthly_too = any(n is not number and PER_MONTH_AFTER.match(low, n.unit_end) for n in numbers)
    return _OWED.search(clause.text) is not None or (monthly_too and _TOTAL.search(clause.text) is not None)


_RANGE_JOIN = re.compile(r"\s*(?:-|–|to|or)\s*")
_AND = re.compile(r"\s*and\s*")
_BETWEEN = re.compile(r"\bbetween\s+(?:about\s+|around\s+|roughly\s+)?[$€£]?\s*$")


def ranges(low: str, numbers: Sequence[NumberSpan]) -> list[tuple[int, NumberSpan]]:
    """[(index of a range's second figure, the range as one figure: its lower end)] for figures
    said as a range ("3-4k", "between 3 and 4 thousand", "3 or 4 years"); the scale or unit of
    the second figure is the first's too."""
    out: list[tuple[int, NumberSpan]] = []
    for j in range(1, len(numbers)):
        a, b = numbers[j - 1], numbers[j]
        gap = low[a.unit_end:b.start]
        if not (_RANGE_JOIN.fullmatch(gap) or (_AND.fullmatch(gap) and _BETWEEN.search(low, 0, a.start))):
            continue
        if a.unit is not None and a.unit != b.unit:
            continue
        lower = a.value
        if b.shorthand and not a.shorthand and a.value < 1000:
            lower = a.value * (1_000_000 if b.value >= 1_000_000 else 1000)  # "3-4k", "1.5-2 million"
        if not 0 < lower < b.value:
            continue
        out.append((j, dataclasses.replace(a, value=lower, unit=b.unit, end=b.end, unit_end=b.unit_end,
                                           shorthand=b.shorthand)))
    return out
