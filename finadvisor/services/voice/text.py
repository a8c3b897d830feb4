"""Spoken form of customer text: what a person says aloud when they type "$3,850" or "5k".

One normaliser serves three jobs so they can never drift apart: the sentences synthesised for
training and evaluation, the n-gram language model of the speech recogniser, and the reference
transcripts WER is measured against. A recogniser emits words ("five thousand euros"), never
digits, so references must be written the same way; the state tracker's value normalisers turn
"five thousand" back into 5000.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from num2words import num2words

_CURRENCY_SYMBOLS = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yuan"}
_CURRENCY_CODES = {
    "usd": "dollars",
    "eur": "euros",
    "gbp": "pounds",
    "cny": "yuan",
    "rmb": "yuan",
    "jpy": "yen",
    "chf": "francs",
}
_SCALE_WORDS = {"k": "thousand", "m": "million", "mn": "million", "bn": "billion"}

# A number possibly with a currency symbol before it, thousands separators, decimals, a scale
# suffix (5k, 1.2m) or a percent sign after it.
_NUMBER_RE = re.compile(
    r"(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<scale>k|K|m|M|mn|bn)?\b(?P<pct>%)?"
)
_ORDINAL_RE = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_KEEP_RE = re.compile(r"[^a-z' ]+")


def _number_words(num: str) -> str:
    """'15,000' -> 'fifteen thousand'; '1.5' -> 'one point five'."""
    try:
        value = Decimal(num.replace(",", ""))
    except InvalidOperation:
        return num
    if value == value.to_integral_value():
        return num2words(int(value))
    return num2words(value)


def _replace_number(m: re.Match[str]) -> str:
    words = _number_words(m.group("num"))
    scale = m.group("scale")
    if scale:
        words += " " + _SCALE_WORDS[scale.lower()]
    if m.group("pct"):
        words += " percent"
    cur = m.group("cur")
    if cur:
        words += " " + _CURRENCY_SYMBOLS[cur]
    return f" {words} "


def spoken_form(text: str) -> str:
    """Lower-case words only, numbers and symbols written out as a speaker would say them."""
    s = text.replace("’", "'")
    s = _ORDINAL_RE.sub(lambda m: f" {num2words(int(m.group(1)), to='ordinal')} ", s)
    s = _NUMBER_RE.sub(_replace_number, s)
    s = s.replace("&", " and ").replace("%", " percent ").replace("@", " at ")
    s = s.lower()
    s = re.sub(r"-", " ", s)
    s = _KEEP_RE.sub(" ", s)
    words = []
    for w in s.split():
        w = w.strip("'")
        if not w:
            continue
        words.append(_CURRENCY_CODES.get(w, w))
    return " ".join(words)


# ------------------------------------------------------------------------------------------
# Written form: what a recogniser's transcript should look like before the state tracker reads
# it — the way a customer would have typed it.

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1_000, "grand": 1_000, "million": 1_000_000,
           "billion": 1_000_000_000}
_NUMBER_WORD_RE = re.compile(
    r"\b(?:(?:a|an|" + "|".join([*_UNITS, *_TENS, *_SCALES, "point", "and"]) + r")[\s-]+)*"
    r"(?:" + "|".join([*_UNITS, *_TENS, *_SCALES]) + r")\b", re.IGNORECASE)


def _words_value(words: list[str]) -> Decimal | None:
    """['two', 'point', 'one', 'thousand'] -> 2100; None when the words do not form a number."""
    total, current = Decimal(0), Decimal(0)
    fraction: list[int] | None = None
    seen = False
    for w in words:
        if w in ("and",):
            continue
        if w in ("a", "an"):
            if seen:
                return None
            current, seen = Decimal(1), True
            continue
        if w == "point":
            if fraction is not None or not seen:
                return None
            fraction = []
            continue
        if w in _UNITS and fraction is not None:
            fraction.append(_UNITS[w])
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            if fraction is not None:
                current += Decimal("0." + "".join(map(str, fraction))) if fraction else 0
                fraction = None
            scale = _SCALES[w]
            if scale == 100:
                current = (current or Decimal(1)) * 100
            else:
                total += (current or Decimal(1)) * scale
                current = Decimal(0)
        else:
            return None
        seen = True
    if fraction:
        current += Decimal("0." + "".join(map(str, fraction)))
    return total + current if seen else None


def _digits(m: re.Match[str]) -> str:
    text = m.group(0)
    words = [w.lower() for w in re.split(r"[\s-]+", text) if w]
    # leading "a"/"and" that belong to the sentence ("a loan of ...", "and five") stay words
    lead = []
    while words and words[0] in ("a", "an", "and") and not (
            len(words) > 1 and words[1] in _SCALES):
        lead.append(words.pop(0))
    while words and words[-1] in ("and", "point", "a", "an"):
        words.pop()
    # one small number word on its own ("two children", "one loan") reads fine as a word
    if not words or (len(words) == 1 and words[0] in _UNITS and _UNITS[words[0]] < 10):
        return text
    value = _words_value(words)
    if value is None:
        return text
    num = format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))
    return " ".join([*lead, num])


def written_form(text: str) -> str:
    """A transcript as a customer would type it: numbers said in words become digits
    ("fifteen thousand dollars" -> "15000 dollars", "two point one thousand" -> "2100"), the
    way typed turns carry them, so the state tracker reads spoken and typed turns alike.
    Currencies stay as said ("dollars", "$"), which the tracker reads in either form."""
    s = " ".join(text.replace("’", "'").split())
    s = _DIGITS_SCALE_RE.sub(_scaled, s)
    return _NUMBER_WORD_RE.sub(_digits, s)


# Whisper writes "$1.5 million" and "20 thousand": digits followed by a scale word
_DIGITS_SCALE_RE = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s+(?P<scale>thousand|grand|million|billion)\b",
    re.IGNORECASE)


def _scaled(m: re.Match[str]) -> str:
    """'1.5 million' -> '1500000' (written_form turns the scale word alone into its value)."""
    value = Decimal(m.group("num").replace(",", "")) * _SCALES[m.group("scale").lower()]
    return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))
