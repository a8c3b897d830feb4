"""Where the customer lives, in their words: a home they own (not one their parents own, nor
one they want to buy), a home they rent, or one they share with family. Read by ``meaning``."""

from __future__ import annotations

import re

_OWN_HOME = re.compile(
    r"\b(?:own|owns|bought|paid off|paid for)\s+(?:my|our|the|a)\s+(?:own\s+)?"
    r"(?:home|house|flat|apartment|place|bungalow|property|condo|cottage)\b|"
    r"\b(?:home|house|flat|apartment|place|bungalow|property|condo|cottage|townhouse|maisonette)\s+(?:is|are)\s+(?:ours|mine|"
    r"(?:all\s+)?paid\s+off|owned|(?:our|my)\s+(?:own\s+)?property)\b|\bhome ?owners?\b|\bown (?:it|outright)\b|"
    r"\b(?:have|got|pay|paying)\s+(?:a|the|our|my)\s+mortgage\b(?!\s+(?:rate|interest|offer|deal))|\bmortgage\s+(?:on|for)\s+(?:my|our|the)\s+(?:home|house|flat|apartment|place|property|bungalow)\b|"
    r"\bmortgage (?:is|costs?)\b|\bon (?:the|our|my) mortgage\b|\bmortgage already\b|\bmortgage[- ]free\b|"
    r"\bpaid (?:off )?(?:the|our|my) mortgage\b|\bno (?:more )?mortgage (?:anymore|any more|left|now)\b"
)
#: "I live alone in my own flat": a home of one's own is owned, unless it is what the customer
#: wants ("to buy my own flat", "a mortgage for our own home").
_MY_OWN_PLACE = re.compile(
    r"\b(?:my|our) own (?:home|house|flat|apartment|place|bungalow|property|condo|cottage)\b|"
    # "own home with a mortgage", "owned house": said in notes' shorthand, without "my"
    r"(?:^|\b(?:i|we)\s+)\s*(?:own|owned)\s+(?:home|house|flat|apartment|property|place)\b|"
    r"\b(?:home|house|flat|apartment|place|property) of (?:my|our) own\b")
_WANTS_PLACE = re.compile(r"\b(?:buy|buying|purchase|purchasing|get|getting|afford|need|want|looking|"
                          r"save|saving|for|mortgage|loan|move|moving)\b")
_RENT = re.compile(
    r"\b(?:renting|rented|tenant|landlord|rent (?:a|my|our|the)|pay rent|in rented|we rent|i rent)\b|"
    r"\bcouncil (?:flat|house|home|property)\b|\bhousing association\b|\bsocial housing\b"
)
#: The family a customer may live with or whose home it is.
_FAMILY_WORDS = r"(?:parents|mum|mom|dad|mother|father|family|folks|grandparents|in-laws|nan|gran|grandma)"
_FAMILY_OWNS = re.compile(r"\b" + _FAMILY_WORDS + r"\s+(?:and\s+(?:my\s+)?[a-z]+\s+)?$")
_WITH_FAMILY = re.compile(
    r"\b(?:live|lives|living|stay|staying|still)\s+(?:at home\s+)?(?:with|wit|wiv|w/?)\s+(?:my\s+|our\s+)?"
    r"(?:parents|mum|mom|dad|mother|father|family|folks|grandparents|in-laws|nan|nana|gran|granny|grandma|"
    r"grandmother|grandad|granddad|grandpa|grandfather|aunt|auntie|uncle)\b|"
    r"\bat home with (?:my\s+)?(?:mum|mom|dad|parents|folks|family)\b|\bmy parents'? (?:place|house|home)\b"
)
_WITH_THEM = re.compile(r"\b(?:live|lives|living|stay|staying)\s+with\s+(?:them|him|her)\b")  # ... parents named
_FAMILY = re.compile(r"\b" + _FAMILY_WORDS + r"\b")


def owned_home(low: str) -> list[re.Match[str]]:
    """Mentions of a home of the customer's own: "we own our house", "mortgage-free", "my own
    flat" (the last kind may be the home they want: see ``wanted_home``)."""
    # "my parents own the house": the home is theirs, not the customer's
    return [m for m in _OWN_HOME.finditer(low) if not _FAMILY_OWNS.search(low, 0, m.start())] + \
        [m for m in _MY_OWN_PLACE.finditer(low)]


def wanted_home(low: str, clause_start: int, m: re.Match[str]) -> bool:
    """A home of one's own named as what the customer wants ("to buy our own place")."""
    return m.re is _MY_OWN_PLACE and _WANTS_PLACE.search(low, clause_start, m.start()) is not None


def other_housing(low: str) -> str | None:
    """``living_with_family`` or ``rent`` from the customer's words, else None."""
    if _WITH_FAMILY.search(low) or (_WITH_THEM.search(low) and _FAMILY.search(low)):
        return "living_with_family"
    if _RENT.search(low):
        return "rent"
    return None
