"""Amounts and currencies as documents write them: parsing for OCR, canonical form for the ontology.

Why a module of its own: the OCR reader (serving) and the renderers (training data, the external
evaluation set) both need the one canonical amount form; serving code must not import the
training renderer to get it.

Amounts are parsed by their separators, not by locale guesses: the last ``.`` or ``,`` followed by
one or two digits is the decimal mark, so ``$3,850.00``, ``3.850,00 €`` and ``3 850,00 EUR`` all
read as 3850.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ISO_CODES = frozenset({"USD", "EUR", "GBP", "CNY", "CHF", "JPY", "CAD", "AUD", "INR", "SEK", "NOK",
                       "DKK", "PLN", "HKD", "SGD", "NZD", "ZAR", "MXN", "BRL"})
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY"}
# Confidence a symbol gives its currency: "$" is shared by several currencies, "€" is not.
SYMBOL_CERTAINTY = {"$": 0.75, "€": 0.95, "£": 0.9, "¥": 0.6}
# An amount: digits grouped by , . space or ' with an optional 1-2 digit decimal part.
AMOUNT_RE = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d])")
MONEY_TOKEN_RE = re.compile(r"([A-Z]{3}|[$€£¥])")


def canonical_amount(value: Decimal) -> str:
    """Plain decimal string of the ontology: no separators, cents only when not zero."""
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return str(int(q)) if q == q.to_integral_value() else f"{q:.2f}"


_DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5",
                              "B": "8", "Z": "2"})


def fix_digits(text: str) -> str:
    """Undo OCR letter-for-digit swaps inside number-like runs (``3,85O.OO`` -> ``3,850.00``)."""

    def fix(m: re.Match[str]) -> str:
        return m.group(0).translate(_DIGIT_FIXES)

    # A run that starts with a digit and mixes digits, separators and look-alike letters.
    text = re.sub(r"(?<=\d)[\dOoDlI|SBZ.,' ]*[\dOoDlI|SBZ]", fix, text)
    # Spaces OCR puts around a separator: "3.147, 00" -> "3.147,00".
    return re.sub(r"(\d)\s*([.,])\s*(\d)", r"\1\2\3", text)


def parse_amount(text: str) -> Decimal | None:
    """The amount written in ``text`` (e.g. '3.850,00' or '$3,850'), or None."""
    s = text.strip().replace("'", "").replace(" ", "")
    if not s or not re.fullmatch(r"[\d.,]+", s):
        return None
    last_sep = max(s.rfind("."), s.rfind(","))
    if last_sep >= 0 and len(s) - last_sep - 1 in (1, 2):
        whole, frac = s[:last_sep], s[last_sep + 1:]
    else:
        whole, frac = s, ""
    whole = whole.replace(".", "").replace(",", "")
    if not whole.isdigit():
        return None
    try:
        return Decimal(f"{whole}.{frac or '0'}")
    except InvalidOperation:
        return None


def find_amounts(line: str) -> list[tuple[Decimal, str | None, int]]:
    """Amounts on a line as (value, currency token or None, position), left to right."""
    fixed = fix_digits(line)
    found: list[tuple[Decimal, str | None, int]] = []
    for m in AMOUNT_RE.finditer(fixed):
        value = parse_amount(m.group(1))
        if value is None:
            continue
        around = fixed[max(0, m.start() - 5): m.end() + 5]
        currency = None
        for tok in MONEY_TOKEN_RE.findall(around):
            if tok in ISO_CODES or tok in SYMBOLS:
                currency = tok
                break
        found.append((value, currency, m.start()))
    return found


def currency_of(token: str) -> tuple[str, float]:
    """(ISO code, certainty) of a currency symbol or code token."""
    if token in SYMBOLS:
        return SYMBOLS[token], SYMBOL_CERTAINTY[token]
    return token, 0.95
