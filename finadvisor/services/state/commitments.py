"""What a running commitment costs, said without "a month": the words that name something one
repays rather than applies for, and the size of a mortgage repayment. Read by ``meaning``."""

from __future__ import annotations

import re

#: A commitment named with what it costs ("a car finance at 210", "a phone contract of 35"):
#: things people repay and never apply for here (a loan, a card or a mortgage may be either).
COMMITMENT_AT = re.compile(
    r"\b(?:finance|contract|lease|leasing|hp|hire purchase|overdraft|store card|car payment|phone bill|"
    r"subscription)\s+(?:at|of|costing|for)\s+(?:about|around|roughly|only|just)?\s*[$€£]?\d")

_FIGURE = re.compile(r"\s*[$€£]?\s*(\d[\d,]*(?:\.\d+)?)\s*(k|grand|thousand|million|m)?\b")

#: Above this a mortgage figure is what is owed or borrowed, not what is repaid each month.
MAX_MONTHLY_REPAYMENT = 10_000


def repayment_size(text: str, pos: int) -> bool:
    """Whether the figure at ``pos`` ("mortgage of 800") is the size of a monthly repayment: a
    homeowner's "mortgage of 800" is what they pay, "mortgage of 150k" what they owe."""
    m = _FIGURE.match(text, pos - 1 if pos and text[pos - 1].isdigit() else pos)
    if m is None or m.group(2):
        return False
    try:
        return float(m.group(1).replace(",", "")) < MAX_MONTHLY_REPAYMENT
    except ValueError:
        return False
