"""Spelling numbers the way customers type them ("twenty-nine", "fifteen thousand").

The simulator writes amounts and counts in words so the understanding models learn to read
them; the inverse (words to numbers) lives in ``finadvisor.services.state.normalize``.
"""

from __future__ import annotations

ONES: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
TENS: tuple[str, ...] = (
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)


def _below_thousand(n: int, hyphen: bool = True) -> str:
    parts: list[str] = []
    if n >= 100:
        parts.append(f"{ONES[n // 100]} hundred")
        n %= 100
        if n:
            parts.append("and")
    if n >= 20:
        tens, ones = divmod(n, 10)
        if ones:
            parts.append(f"{TENS[tens]}{'-' if hyphen else ' '}{ONES[ones]}")
        else:
            parts.append(TENS[tens])
    elif n or not parts:
        parts.append(ONES[n])
    return " ".join(parts)


def int_to_words(n: int, hyphen: bool = True) -> str:
    """English words for 0 <= n < 10**12 ("15500" -> "fifteen thousand five hundred")."""
    if n < 0 or n >= 10**12:
        raise ValueError(f"cannot spell {n}")
    if n < 1000:
        return _below_thousand(n, hyphen)
    parts: list[str] = []
    for scale, name in ((10**9, "billion"), (10**6, "million"), (10**3, "thousand")):
        if n >= scale:
            parts.append(f"{_below_thousand(n // scale, hyphen)} {name}")
            n %= scale
    if n:
        parts.append(_below_thousand(n, hyphen))
    return " ".join(parts)
