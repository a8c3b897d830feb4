"""Value normalisers: from what a customer types to the canonical values of the ontology.

Rules live here, not in a model, because canonical values must be exact: "5k", "5K", "five
thousand" and "$5,000" all mean 5000, "1.2 million" means 1200000, "3 years" of a loan term
means 36 months and "60000 a year" of income means 5000 a month. The learned part of the
understanding (which slot a number fills) is in ``nlu``; this module finds the candidate spans
(numbers with their units, currencies, and phrases with a closed set of values) and turns a
surface into its canonical string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from finadvisor.ontology import format_amount as format_decimal
from finadvisor.shared.errors import InvalidInputError

# --------------------------------------------------------------------------- text helpers
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00a0": " "})


def fold(text: str) -> str:
    """Lower-case with typographic apostrophes made plain; always the same length as ``text``,
    so spans found in the folded text are spans of the original."""
    out = text.translate(_APOSTROPHES)
    low = out.lower()
    if len(low) == len(out):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in out)


def one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or neighbour swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]



_WORD_RE = re.compile(r"[a-z]+")


def mentions_word(low: str, word: str) -> bool:
    """True when ``word`` (or a one-typo variant of it) occurs in the folded text."""
    return any(w == word or (len(w) >= 3 and one_edit(w, word)) for w in _WORD_RE.findall(low))


# --------------------------------------------------------------------------- numbers
_SMALL: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALES: dict[str, int] = {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000, "grand": 1000}
_MULTIPLIERS: dict[str, int] = {
    "k": 1000, "thousand": 1000, "grand": 1000, "m": 1_000_000, "mn": 1_000_000, "mil": 1_000_000,
    "million": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000, "billion": 1_000_000_000,
}
_NUMWORD = "|".join(sorted(list(_SMALL) + ["hundred"] + list(_SCALES), key=len, reverse=True))
_WORDS_RE = re.compile(
    rf"(?<![\w-])(?:{_NUMWORD})(?:(?:\s+|-)(?:and\s+)?(?:{_NUMWORD}))*(?![\w-])"
)
_DIGITS_RE = re.compile(
    # thousands grouped by commas ("12,000"), or by a space or an apostrophe as much of Europe
    # writes them ("12 000", "2 800 €", "12'000")
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ '\u00a0\u202f]\d{3}(?!\d))+(?:[.,]\d{1,2}(?!\d))?|"
    # ... or by points ("3.200 euros", "1.250.000"), cents after a comma
    r"[1-9]\d{0,2}(?:\.\d{3})+(?![\d.])(?:,\d{1,2}(?!\d))?|"
    r"\d+(?:\.\d+)?)"
    r"(?:(k|mn|mil|m|bn|b)(?![\w])|\s+(thousand|million|billion|grand)(?![\w]))?",
    re.IGNORECASE,
)
#: A space or an apostrophe grouping thousands ("12 000", "12'000").
_GROUP_SEP_RE = re.compile(r"[ '\u00a0\u202f]")
#: Thousands grouped by points ("3.200", "1.250.000,50"): three digits after every point.
_DOT_GROUPS_RE = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d{1,2})?")
#: "a year", "a month" as a duration (the article is the number).
_A_UNIT_RE = re.compile(r"\ba(?=\s*(?:years?|months?)\b)")
_BREAK_RE = re.compile(r"(?<!\d)[.,;!?]|[.,;!?](?!\d)")  # not a separator inside a number
_AND_A_HALF_RE = re.compile(r"\s+and a half\b")
#: "... and a half" after a number in words, with the scale it may carry ("two and a half thousand").
_HALF_SCALE_RE = re.compile(r"\s+and a half\b(?:\s+(thousand|million|billion|grand)\b|\s*(k)\b)?")
_K_AFTER_RE = re.compile(r"\s*k\b")
_WORD_SCALES = {"thousand": 1000, "grand": 1000, "k": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_PER_WORD_RE = re.compile(r"\b(?:once|twice|times|per|every|each)\s*$")
_UNIT_RE = re.compile(r"\s*-?\s*(years?|yrs?|months?|mos?)(?![\w])", re.IGNORECASE)

MAX_NUMBER = Decimal("1e15")


def words_to_number(words: str) -> int:
    """"twenty-nine" -> 29, "five thousand" -> 5000, "one hundred and fifty thousand" -> 150000."""
    tokens = [t for t in re.split(r"[\s-]+", fold(words).strip()) if t and t != "and"]
    if not tokens:
        raise InvalidInputError(f"not a number: {words!r}")
    total = 0
    current = 0
    for t in tokens:
        if t in _SMALL:
            current += _SMALL[t]
        elif t == "hundred":
            current = (current or 1) * 100
        elif t in _SCALES:
            total += (current or 1) * _SCALES[t]
            current = 0
        else:
            raise InvalidInputError(f"not a number word: {t!r}")
    return total + current


@dataclass(frozen=True)
class NumberSpan:
    """A number found in a text: its span, value and the unit that follows it (if any)."""

    start: int
    end: int  # end of the number expression (multiplier included, unit excluded)
    value: Decimal
    unit: str | None  # "year", "month" or None
    unit_end: int  # end including the unit
    words: bool  # spelled out ("twenty-nine")
    shorthand: bool  # "5k", "1.2 million"


def _parse_digits(number: str, mult: str | None) -> Decimal:
    if _DOT_GROUPS_RE.fullmatch(number):  # "3.200", "1.250.000,50"
        value = Decimal(number.replace(".", "").replace(",", "."))
    elif _GROUP_SEP_RE.search(number):  # "12 000", "2 800,50": the cents may follow a comma
        value = Decimal(_GROUP_SEP_RE.sub("", number).replace(",", "."))
    else:
        value = Decimal(number.replace(",", ""))
    if mult:
        value *= _MULTIPLIERS[mult.lower()]
    return value


def find_numbers(text: str) -> list[NumberSpan]:
    """Every number in ``text`` (digits with separators and multipliers, or words), in order."""
    low = fold(text)
    found: list[NumberSpan] = []
    taken: list[tuple[int, int]] = []
    for m in _DIGITS_RE.finditer(low):
        try:
            value = _parse_digits(m.group(1), m.group(2) or m.group(3))
        except (InvalidOperation, KeyError):
            continue
        if value > MAX_NUMBER:
            continue
        end, shorthand = m.end(), bool(m.group(2) or m.group(3))
        half = None if shorthand else _HALF_SCALE_RE.match(low, end)
        if half:  # "9 and a half grand", "2 and a half years"
            value += Decimal("0.5")
            end = half.end()
            if half.group(1) or half.group(2):
                value *= _WORD_SCALES[half.group(1) or half.group(2)]
                shorthand = True
        found.append(_with_unit(low, m.start(), end, value, False, shorthand))
        taken.append((m.start(), end))
    for m in _WORDS_RE.finditer(low):
        if any(s < m.end() and m.start() < e for s, e in taken) or m.group(0).startswith("grand"):
            continue  # "grand" alone is no number ("the grand total"); "three grand" is 3000
        try:
            value = Decimal(words_to_number(m.group(0)))
        except InvalidInputError:
            continue
        end, shorthand = m.end(), False
        half = _HALF_SCALE_RE.match(low, end)
        if half:  # "two and a half thousand", "one and a half years"
            value += Decimal("0.5")
            end = half.end()
            scale = half.group(1) or half.group(2)
            if scale:
                value *= _WORD_SCALES[scale]
                shorthand = True
        elif (k := _K_AFTER_RE.match(low, end)) is not None:  # "a hundred k", "fifty k"
            value *= 1000
            end, shorthand = k.end(), True
        found.append(_with_unit(low, m.start(), end, value, True, shorthand))
        taken.append((m.start(), end))
    for m in _A_UNIT_RE.finditer(low):
        # "a year", "about a month": one of the unit; not the rate of an amount ("60000 a year",
        # "3 grand a month") nor a frequency ("once a year", "per month")
        clause_start = max((b.end() for b in _BREAK_RE.finditer(low, 0, m.start())), default=0)
        if any(clause_start <= n.start < m.start() for n in found) or _PER_WORD_RE.search(low, 0, m.start()):
            continue  # another figure before it in the clause: most likely that figure's rate
        span = _with_unit(low, m.start(), m.end(), Decimal(1), True, False)
        half = _AND_A_HALF_RE.match(low, span.unit_end)
        if half:  # "a year and a half"
            span = NumberSpan(span.start, span.end, Decimal("1.5"), span.unit, half.end(), True, False)
        found.append(span)
    found.sort(key=lambda n: n.start)
    return found



def _with_unit(low: str, start: int, end: int, value: Decimal, words: bool, shorthand: bool) -> NumberSpan:
    u = _UNIT_RE.match(low, end)
    unit = None
    unit_end = end
    if u:
        unit = "year" if u.group(1).startswith("y") else "month"
        unit_end = u.end()
    return NumberSpan(start, end, value, unit, unit_end, words, shorthand)


def parse_amount(surface: str) -> Decimal:
    """The number of a surface such as "5k", "$3,850", "1.2 million", "five thousand"."""
    nums = find_numbers(surface)
    if len(nums) != 1:
        raise InvalidInputError(f"expected one amount in {surface!r}")
    return nums[0].value


# --------------------------------------------------------------------------- currencies
CURRENCY_SYMBOLS: dict[str, str] = {
    "us$": "USD", "c$": "CAD", "a$": "AUD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "₹": "INR",
}
CURRENCY_CODES: tuple[str, ...] = (
    "USD", "EUR", "GBP", "CNY", "JPY", "CHF", "CAD", "AUD", "INR", "SEK", "NOK", "DKK", "PLN", "HKD", "SGD",
)
CURRENCY_WORDS: dict[str, str] = {
    "us dollars": "USD", "us dollar": "USD", "american dollars": "USD", "dollars": "USD", "dollar": "USD",
    "dolars": "USD", "bucks": "USD", "canadian dollars": "CAD", "australian dollars": "AUD",
    "euros": "EUR", "euro": "EUR", "pounds sterling": "GBP", "british pounds": "GBP", "pounds": "GBP",
    "pound": "GBP", "sterling": "GBP", "quid": "GBP", "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY",
    "swiss francs": "CHF", "francs": "CHF", "yen": "JPY", "rupees": "INR",
}
_SYMBOL_RE = re.compile("|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True)))


def normalize_currency(surface: str) -> str:
    """ISO 4217 code of "$", "€", "euros", "eur", "RMB"...; InvalidInputError otherwise."""
    s = fold(surface).strip()
    if s in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[s]
    if s.upper() in CURRENCY_CODES:
        return s.upper()
    if s in CURRENCY_WORDS:
        return CURRENCY_WORDS[s]
    raise InvalidInputError(f"unknown currency {surface!r}")


# --------------------------------------------------------------------------- closed-set phrases
#: phrase -> (slot, canonical value); slot None marks phrases that must not be read as a slot
#: (for instance "take home" is not a purpose "home").
LEXICON: dict[str, tuple[str | None, str]] = {}


def _add(slot: str | None, value: str, *phrases: str) -> None:
    for p in phrases:
        LEXICON[p] = (slot, value)


_add("product", "personal_loan", "personal loan", "personal loans", "unsecured loan", "cash loan", "personal lone")
_add("product", "mortgage", "mortgage", "mortage", "morgage", "home loan", "house loan", "mortgages", "home loans",
     "remortgage", "remortgaging", "re-mortgage")
_add("product", "auto_loan", "car loan", "car loans", "auto loans", "auto loan", "vehicle loan", "car finance loan", "car finance")
_add("product", "credit_card", "credit card", "credit-card", "creditcard")
_add("product", "savings_account", "savings account", "savings accounts", "savings acount", "savings plan", "deposit account")
_add("product", "investment", "investment account", "investment portfolio", "investment fund",
     "stocks and shares account", "brokerage account")
_add("loan_purpose", "car", "car", "new car", "used car", "vehicle")
_add("loan_purpose", "home", "home", "house", "flat", "apartment", "property", "buy a place", "buy our own place",
     "buy my own place", "buying a place")
_add("loan_purpose", "education", "education", "university fees", "studies", "tuition fees", "tuition",
     "masters degree", "school fees")
_add("loan_purpose", "business", "business", "business venture")
_add("loan_purpose", "debt_consolidation", "debt consolidation", "consolidating my debts", "consolidate my debts",
     "consolidate my loans", "paying off my credit cards", "pay off my credit cards")
_add("loan_purpose", "renovation", "renovation", "home improvements", "kitchen", "renovating the house",
     "renovate my kitchen", "renovate", "renovations")
_add("loan_purpose", "travel", "holiday", "travel", "trip", "vacation", "travelling")
_add("loan_purpose", "medical", "medical bills", "surgery", "medical treatment", "dental work", "medical")
_add("loan_purpose", "other", "wedding", "personal reasons", "other expenses", "a few other things",
     "something else")
_add("employment_status", "employed", "employed", "in full-time employment", "full-time employment",
     "employed full-time", "salaried employee", "salaried", "an employee", "working full time",
     "full-time job", "full time job", "permanent job")
_add("employment_status", "self_employed", "self-employed", "self employed", "freelancer", "freelancing",
     "freelance", "contractor", "run my own business", "own my own company", "business owner")
_add("employment_status", "unemployed", "unemployed", "out of work", "between jobs", "not working",
     "currently not working", "jobless", "looking for work")
_add("employment_status", "retired", "retired", "pensioner", "on a pension", "retiree")
_add("employment_status", "student", "student", "a student", "full-time student", "still studying", "at college",
     "at university")
_add("housing", "own", "own my home", "own my house", "own my flat", "own my apartment", "homeowner",
     "home owner", "own the place i live in", "own a home", "own our home", "homeowners",
     "home owners", "we are owners", "we're owners", "i'm the owner", "owner occupier",
     "owner-occupier")
_add("housing", "rent", "rent", "renting", "rent my flat", "rent an apartment", "tenant", "rent a flat")
_add("housing", "living_with_family", "live with my parents", "live with family", "live with my family",
     "living with my parents", "living with family", "live at my parents' place", "my parents' place")
_add("risk_tolerance", "low", "cautious", "conservative", "risk-averse", "risk averse", "careful", "low-risk")
_add("risk_tolerance", "medium", "balanced", "medium-risk", "moderate")
_add("risk_tolerance", "high", "aggressive", "adventurous", "bold", "high-risk", "risk taker")
_add("monthly_debt", "0", "no debts", "no debt", "debt-free", "debt free", "don't have any debts",
     "don't have any debt", "do not have any debts", "don't owe anything", "no monthly repayments",
     "no loans", "no repayments")
_add("dependents", "0", "no kids", "no children", "no dependents", "no dependants", "don't have any children",
     "don't have kids", "don't have any kids", "nobody depends on me", "childless")
_add(None, "", "take home", "take-home", "bring home", "at home", "take-home pay", "brings home")
for _word, _code in CURRENCY_WORDS.items():
    _add("currency", _code, _word)
for _code in CURRENCY_CODES:
    _add("currency", _code, _code.lower())

#: "low/medium/high" alone only count as a risk tolerance when the text speaks of risk.
RISK_BARE: dict[str, str] = {
    "very low": "low", "pretty low": "low", "low": "low", "medium": "medium", "moderate": "medium",
    "average": "medium", "high": "high", "very high": "high", "pretty high": "high",
}

_LEXICON_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(p) for p in sorted(LEXICON, key=len, reverse=True)) + r")(?![\w-])"
)
_RISK_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(p) for p in sorted(RISK_BARE, key=len, reverse=True)) + r")(?![\w-])"
)


@dataclass(frozen=True)
class RuleMention:
    """A slot value read by a rule (a closed-set phrase or a currency)."""

    slot: str
    value: str
    start: int
    end: int
    confidence: float


LEXICON_CONFIDENCE: float = 0.95
RISK_BARE_CONFIDENCE: float = 0.9


def find_phrases(text: str) -> tuple[list[RuleMention], list[tuple[int, int]]]:
    """Closed-set mentions (products, purposes, employment, housing, risk, currencies, "no kids"),
    longest phrase first; also returns every span consumed (ignored phrases included), so numbers
    inside them are not read twice."""
    low = fold(text)
    mentions: list[RuleMention] = []
    consumed: list[tuple[int, int]] = []
    for m in _LEXICON_RE.finditer(low):
        slot, value = LEXICON[m.group(0)]
        consumed.append((m.start(), m.end()))
        if slot is not None:
            mentions.append(RuleMention(slot, value, m.start(), m.end(), LEXICON_CONFIDENCE))
    for m in _SYMBOL_RE.finditer(low):
        if any(s <= m.start() < e for s, e in consumed):
            continue
        consumed.append((m.start(), m.end()))
        mentions.append(RuleMention("currency", CURRENCY_SYMBOLS[m.group(0)], m.start(), m.end(), LEXICON_CONFIDENCE))
    if mentions_word(low, "risk") or mentions_word(low, "risks"):
        for m in _RISK_RE.finditer(low):
            if any(s < m.end() and m.start() < e for s, e in consumed):
                continue
            consumed.append((m.start(), m.end()))
            mentions.append(RuleMention("risk_tolerance", RISK_BARE[m.group(0)], m.start(), m.end(), RISK_BARE_CONFIDENCE))
    mentions.sort(key=lambda x: x.start)
    return mentions, consumed


# --------------------------------------------------------------------------- slot values
def normalize_number_for_slot(slot: str, number: NumberSpan, yearly: bool = False) -> str:
    """Canonical value of ``number`` as ``slot``.

    Amounts stay as they are (a yearly income is divided by 12); a loan term becomes months
    ("3 years" -> 36, a bare number is taken as months); employment years and investment horizons
    become years ("18 months" -> 1.5); ages and dependents are plain numbers.
    """
    value = number.value
    if slot == "monthly_income" and yearly:
        value = value / 12
    elif slot == "loan_term_months" and number.unit == "year":
        value = value * 12
    elif slot in ("employment_years", "investment_horizon_years") and number.unit == "month":
        value = value / 12
    return format_decimal(value)


def normalize_amount(surface: str) -> str:
    """"5k" -> "5000", "$3,850" -> "3850", "1.2 million" -> "1200000", "five thousand" -> "5000"."""
    return format_decimal(parse_amount(surface))


def normalize_duration_months(surface: str) -> str:
    """"3 years" -> "36", "18 months" -> "18", "two years" -> "24"."""
    nums = find_numbers(surface)
    if len(nums) != 1:
        raise InvalidInputError(f"expected one duration in {surface!r}")
    return normalize_number_for_slot("loan_term_months", nums[0])


def normalize_income(surface: str, period: str = "monthly") -> str:
    """Monthly income of an amount: "60000" with period "yearly" -> "5000"."""
    if period not in ("monthly", "yearly"):
        raise InvalidInputError(f"unknown income period {period!r}")
    nums = find_numbers(surface)
    if len(nums) != 1:
        raise InvalidInputError(f"expected one amount in {surface!r}")
    return normalize_number_for_slot("monthly_income", nums[0], yearly=period == "yearly")


def normalize_count(surface: str) -> str:
    """"twenty-nine" -> "29", "3" -> "3"."""
    nums = find_numbers(surface)
    if len(nums) != 1:
        raise InvalidInputError(f"expected one number in {surface!r}")
    return format_decimal(nums[0].value)


def normalize_phrase(slot: str, surface: str) -> str:
    """Canonical value of a closed-set phrase ("self employed" -> "self_employed")."""
    key = fold(surface).strip()
    entry = LEXICON.get(key) or LEXICON.get(re.sub(r"^(?:a|an|the)\s+", "", key))
    if entry is None or entry[0] != slot:
        if slot == "risk_tolerance" and fold(surface).strip() in RISK_BARE:
            return RISK_BARE[fold(surface).strip()]
        raise InvalidInputError(f"{surface!r} is not a known {slot}")
    return entry[1]
