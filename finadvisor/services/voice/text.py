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
