"""Personal identifiers out of a turn's text before it is understood or stored.

Why before the understanding and not only in the logs: an identifier is made of digits, and
the value normalisers read digits as amounts and terms (a phone number became a loan amount of
12345678, a CVV a term of 123 months). So the text the NLU reads and the history keeps has each
identifier replaced by a placeholder without digits (``[card]``, ``[iban]``...): it can never
become a slot value, and the stored history holds no identifier.

What counts: card numbers in any grouping (spaces, dots, dashes), IBANs in any case, card
security codes and expiry dates, e-mail addresses (also written ``name(at)domain``), phone
numbers (international or local, any separators; a bare run of digits when the words around
it say it is a number to call or an account), sort codes and national ids, and personal names
where the customer introduces them (``my name is``, ``Mr``/``Mrs``, ``call me``...). Amounts
written with thousands separators (``12 000 000``, ``1.200.000``) stay amounts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_SEP = r"[ .\-]"
#: Words that say the digits after them identify something (within a few words).
_CUE_NUMBER = (r"(?:phone|telephone|tel|mobile|cell|whats\s?app|call\s+me(?:\s+on|\s+at)?|"
               r"text\s+me(?:\s+on|\s+at)?|reach\s+me(?:\s+on|\s+at)?|contact|landline|fax|"
               r"account|acct|a/c|customer|client|reference|ref|membership|policy|passport|"
               r"licen[cs]e|social\s+security|ssn|national\s+insurance|tax\s+id|id|number|no\.?|#)")

_NAME_WORD = r"[A-Z][a-z'\-]+|[A-Z]{2,}(?![a-z])"
#: Words after "I am"/"this is" that are not names.
_NOT_NAMES = frozenset({
    "i", "a", "an", "the", "employed", "unemployed", "retired", "self", "student", "single",
    "married", "divorced", "looking", "interested", "calling", "here", "not", "in", "on", "at",
    "from", "with", "and", "so", "very", "just", "also", "still", "currently", "now", "about",
    "sure", "happy", "ok", "okay", "fine", "good", "thinking", "trying", "planning", "going",
    "hoping", "wondering", "asking", "applying", "working", "renting", "living", "buying",
    "paying", "earning", "my", "your", "our", "their", "it", "that", "this", "what", "how",
    "yes", "no", "hi", "hello", "thanks", "thank", "regarding", "re", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "bye", "goodbye", "again", "everyone", "all", "team", "sir", "madam", "back", "later",
    "april", "may", "june", "july", "august", "september", "october", "november", "december",
})


@dataclass(frozen=True)
class Redacted:
    text: str
    #: kinds of identifier found, in order (e.g. ["card", "cvv"]); never the values
    kinds: tuple[str, ...]


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def _looks_like_amount(s: str) -> bool:
    """``12 000 000``, ``1.200.000``, ``15 000``: thousands groups, not an identifier."""
    s = s.strip()
    return re.fullmatch(r"\d{1,3}(?:([ .,])\d{3})(?:\1\d{3})*(?:[.,]\d{1,2})?", s) is not None


def _email(m: re.Match[str]) -> str | None:
    return "[email]"


def _card(m: re.Match[str]) -> str | None:
    return "[card]" if 13 <= _digits(m.group(0)) <= 19 and not _looks_like_amount(m.group(0)) \
        else None


def _phone(m: re.Match[str]) -> str | None:
    s = m.group(0)
    n = _digits(s)
    if n < 7 or n > 15 or _looks_like_amount(s):
        return None
    international = s.lstrip().startswith(("+", "00"))
    separated = re.search(r"\d[ ()./\-]+\d", s) is not None
    leading_zero = s.lstrip("( ").startswith("0")
    # "5000 - 10000" is a range of amounts, not a number to call.
    a_range = " - " in s or re.search(r"000(?!\d)", s) is not None
    local = separated and n >= 9 and not a_range
    return "[phone]" if international or leading_zero or local else None


def _cued(m: re.Match[str]) -> str | None:
    return m.group("cue") + "[number]"


def _name(m: re.Match[str]) -> str | None:
    words = m.group("name").split()
    kept: list[str] = []
    for w in words:
        if w.lower().strip("'-") in _NOT_NAMES:
            break
        kept.append(w)
    if not kept:
        return None
    rest = m.group("name")[len(" ".join(kept)):]
    return m.group("cue") + "[name]" + rest


#: (kind, pattern, replacement: a placeholder or None to leave the match as it is). Order
#: matters: the most specific first, so an IBAN is not read as a phone number.
_RULES: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    ("email", re.compile(
        r"[\w.+\-]+\s*(?:@|\(\s*at\s*\)|\[\s*at\s*\]|\{\s*at\s*\}|\s+at\s+(?=[\w\-]+\s+dot\s))"
        r"\s*[\w\-]+(?:\s*(?:\.|\(\s*dot\s*\)|\[\s*dot\s*\]|\s+dot\s+)\s*[\w\-]+)*",
        re.IGNORECASE), _email),
    ("iban", re.compile(
        r"\b[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]{4}){2,7}(?:[ \-]?[A-Za-z0-9]{1,4})?\b"),
        lambda m: "[iban]" if _digits(m.group(0)) >= 8 else None),
    ("cvv", re.compile(
        r"\b(?:cvv2?|cvc2?|csc|cid|security\s+code|card\s+verification(?:\s+(?:code|value))?|"
        r"(?:three|four|3|4)[\s\-]digit\s+code)\b(?:\s*(?:is|number|no\.?|code|:|=|#))*\s*"
        r"\d{3,4}\b", re.IGNORECASE), lambda m: "[cvv]"),
    # With a cue any separator; bare only MM/YY(YY) (12-24 is a range of months).
    ("expiry", re.compile(
        r"\b(?:exp(?:iry|iration|ires|\.)?|valid\s+(?:thru|through|until|till)|good\s+thru)"
        r"(?:\s*(?:date|is|on|:))*\s*(?:0?[1-9]|1[0-2])\s?[/\-.]\s?(?:20)?\d{2}\b(?![/\-]\d)",
        re.IGNORECASE), lambda m: "[expiry]"),
    ("expiry", re.compile(r"(?<![\d/])(?:0?[1-9]|1[0-2])\s?/\s?(?:20)?\d{2}\b(?![/\-]\d)"),
     lambda m: "[expiry]"),
    ("card", re.compile(rf"(?<![\w.,])\d(?:{_SEP}?\d){{12,18}}(?![\w]|[.,]\d)"), _card),
    ("national_id", re.compile(r"\b\d{3}-\d{2}-\d{4}\b|\b\d{2}-\d{2}-\d{2}\b"),
     lambda m: "[id]"),
    ("phone", re.compile(r"(?<![\w.,+])(?:\+|00)?\(?\d[\d ()./\-]{5,}\d(?![\w]|[.,]\d)"),
     _phone),
    ("number", re.compile(
        rf"(?P<cue>\b{_CUE_NUMBER}\b(?:\s+(?:is|number|no\.?|was|:|=|#|on|at)){{0,3}}\s*[:#]?\s*)"
        r"[A-Za-z]{0,3}\d[\d\-]{5,}\b", re.IGNORECASE), _cued),
    ("name", re.compile(
        rf"(?P<cue>\b(?:[Mm]y\s+name\s+is|[Nn]ame\s*:|[Cc]all\s+me|[Ii]\s+am|[Ii]'m|"
        rf"[Tt]his\s+is|[Ss]igned|[Rr]egards,?|[Tt]hanks,?|[Ss]incerely,?|[Cc]heers,?|"
        rf"(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?)\s+)(?P<name>(?:{_NAME_WORD})(?:\s+(?:{_NAME_WORD}))"
        r"{0,3})"), _name),
    ("name", re.compile(r"(?P<cue>\b(?:my\s+name\s+is|name\s*:)\s+)(?P<name>[a-z][a-z'\-]+"
                        r"(?:\s+[a-z][a-z'\-]+)?)", re.IGNORECASE), _name),
]


def redact(text: str) -> Redacted:
    """``text`` with every identifier replaced by its placeholder, and the kinds found."""
    kinds: list[str] = []
    for kind, pattern, replace in _RULES:
        def sub(m: re.Match[str], kind: str = kind,
                replace: Callable[[re.Match[str]], str | None] = replace) -> str:
            out = replace(m)
            if out is None:
                return m.group(0)
            kinds.append(kind)
            return out
        text = pattern.sub(sub, text)
    return Redacted(text, tuple(kinds))
