"""Faithfulness: does a reply say what its acts say, and nothing they do not?

Three checks on the text the customer reads (lower-cased):
1. every act is realised: each act has a cue that must appear (the requested slot's words in a
   question, the rate with its percent sign, the income and currency read from a payslip, the
   decision in words with its reason, needs and instalment, every confirmed value, ...);
2. no request that was not an act: every question sentence is accounted for by a question act
   (a requested slot's words, a clarified value, the read-back transcript, an open question of
   a greeting or an explanation that ends in one);
3. no number or value that is not an argument: every figure in the reply is one of the acts'
   arguments (the figures inside the customer's transcript and the decision's reason included).

``problems`` names what failed (for ``fallback_reason`` and the metrics); an empty list means
faithful.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from finadvisor.dialogue.acts import Act
from finadvisor.dialogue.realise import NEED_WORDS, PRODUCT_WORDS, format_value

NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE_RE = re.compile(r"[^.?!]*[.?!]|[^.?!]+$")

#: Words that show a question asks for a slot (any one of them).
SLOT_CUES: dict[str, tuple[str, ...]] = {
    "product": ("product", "borrowing, saving", "borrow, save", "a loan, a card", "help you with"),
    "loan_purpose": ("for?", "use the money", "purpose"),
    "loan_amount": ("borrow", "amount"),
    "currency": ("currency",),
    "loan_term_months": ("how long", "term", "repay", "months or years", "repayment period"),
    "monthly_income": ("income", "take home", "earn"),
    "monthly_debt": ("debt", "repayments", "other loans"),
    "employment_status": ("employ", "work situation", "employment"),
    "employment_years": ("how many years", "how long have you worked", "years have you been"),
    "age": ("old are you", "age"),
    "dependents": ("depend", "children"),
    "housing": ("own your home", "rent", "housing"),
    "investment_amount": ("invest", "put in"),
    "investment_horizon_years": ("how many years", "how long", "horizon"),
    "risk_tolerance": ("risk",),
}
#: Words that show an act was said.
ACT_CUES: dict[str, tuple[str, ...]] = {
    "greet": ("hello", "hi", "welcome", "good to"),
    "goodbye": ("goodbye", "bye"),
    "welcome": ("welcome", "pleasure", "glad"),
    "handoff": ("advisor", "colleague", "our team", "connect", "passing you"),
    "out_of_scope": ("only help", "outside", "can't help", "cannot help"),
    "ack_unreadable": ("couldn't", "could not", "unable to read", "not able to read"),
}
TREND_CUES: dict[str, tuple[str, ...]] = {
    "rising": ("rising", "go up", "goes up", "upward", "increas"),
    "falling": ("falling", "go down", "goes down", "downward", "declin", "decreas"),
    "flat": ("flat", "same", "no clear trend", "stable"),
    "volatile": ("volatile", "swing", "sharply", "fluctuat"),
}
DECISION_CUES: dict[str, tuple[str, ...]] = {
    "approve": ("approve",),
    "refer": ("refer", "review"),
    "decline": ("decline", "can't offer", "cannot offer", "unable to approve"),
}
TOPIC_CUES: dict[str, tuple[str, ...]] = {
    "risk_tolerance": ("risk",),
    "investment_returns": ("no fixed rate", "no set interest", "markets", "go down"),
    "eligibility": ("eligib",),
    "no_decision": ("decision",),
    "correction": ("change", "correct"),
    "services": ("loans", "borrow"),
}
#: Explanations that may end in an open question.
OPEN_QUESTION_TOPICS = frozenset({"correction", "services"})


def _norm_number(text: str) -> str:
    text = text.replace(",", "")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _numbers(text: str) -> set[str]:
    return {_norm_number(n) for n in NUMBER_RE.findall(text)}


def _has(text: str, cues: Sequence[str]) -> bool:
    return any(c in text for c in cues)


def sentences(text: str) -> list[str]:
    """The reply cut into sentences (quoted transcripts kept whole)."""
    quoted = re.sub(r'"[^"]*"', lambda m: m.group(0).replace("?", "").replace(".", "")
                    .replace("!", ""), text)
    return [s.strip() for s in _SENTENCE_RE.findall(quoted) if s.strip()]


def _realised(a: Act, low: str) -> bool:
    name = a.name
    if name in ACT_CUES:
        return _has(low, ACT_CUES[name])
    if name == "request":
        cues = SLOT_CUES.get(a.get("slot"), ())
        return any(s.endswith("?") and _has(s, cues) for s in sentences(low))
    if name == "confirm":
        return all(format_value(s, a.get(s)).lower() in low for s in a.items("slots") if a.get(s))
    if name in ("clarify", "check_value"):
        return a.get("value").lower() in low
    if name == "confirm_heard":
        return a.get("transcript").lower() in low
    if name == "answer_rate":
        return f"{a.get('rate')}%" in low
    if name == "ack_payslip":
        return a.get("monthly_income") in low and a.get("currency").lower() in low
    if name == "describe_chart":
        ok = _has(low, TREND_CUES.get(a.get("trend"), (a.get("trend"),)))
        return ok and (not a.get("change_percent") or f"{a.get('change_percent')}%" in low)
    if name == "inform_decision":
        ok = _has(low, DECISION_CUES.get(a.get("decision"), (a.get("decision"),)))
        if a.get("reason"):
            ok = ok and format_value("reason", a.get("reason")).lower() in low
        for need in a.items("needs"):
            ok = ok and NEED_WORDS.get(need, need.replace("_", " ")).lower() in low
        if a.get("instalment"):
            ok = ok and a.get("instalment") in low
        return ok
    if name == "offer":
        product = a.get("product")
        return PRODUCT_WORDS.get(product, product).lower() in low or \
            (product == "investment" and "portfolio" in low)
    if name == "explain":
        return _has(low, TOPIC_CUES.get(a.get("topic"), (a.get("topic"),)))
    if name == "ack":
        return bool(low.strip())
    return True


def _question_allowed(sentence: str, acts: Sequence[Act]) -> bool:
    for a in acts:
        if a.name == "request" and _has(sentence, SLOT_CUES.get(a.get("slot"), ())):
            return True
        if a.name in ("clarify", "check_value") and (a.get("value").lower() in sentence
                                                     or "check" in sentence):
            return True
        if a.name == "confirm_heard" and "did you say" in sentence:
            return True
        if a.name == "confirm" and ("right" in sentence or "correct" in sentence):
            return True
        if a.name == "greet" and ("help" in sentence or "do for you" in sentence):
            return True
        if a.name == "ack_unreadable" and ("upload" in sentence or "send" in sentence
                                           or "type" in sentence):
            return True
        if a.name == "explain" and a.get("topic") in OPEN_QUESTION_TOPICS:
            return True
    return False


#: Words that belong to one kind of act: a reply that uses them without one of those acts
#: says something that was not decided (checked on the text without the acts' arguments).
CONTENT_CUES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("describe_chart", "ack_unreadable"): ("chart", "trend"),
    ("inform_decision",): ("approve", "declin", "referr", "a review by", "final answer"),
    ("handoff",): ("connect you", "connecting you", "human advisor", "passing you", "take over"),
    ("answer_rate",): ("% a year", "apr"),
    ("ack_payslip", "ack_unreadable"): ("payslip",),
    ("goodbye",): ("goodbye", "bye"),
    ("offer",): ("portfolio", "i'd suggest", "would suit", "good fit"),
    ("out_of_scope",): ("only help with", "outside what", "can't help with"),
    ("confirm",): ("to confirm", "here is what i have", "so far i have", "let me check"),
    ("confirm_heard",): ("did you say", "heard you"),
    ("check_value",): ("misread", "doesn't look right"),
}


def _unasked_content(low: str, acts: Sequence[Act]) -> list[str]:
    present = {a.name for a in acts}
    for a in acts:  # the arguments' own words (a reason, a transcript) are not the reply's
        for value in a.args.values():
            if len(str(value)) >= 2:
                low = low.replace(str(value).lower(), " ")
    out = []
    for owners, cues in CONTENT_CUES.items():
        if not present & set(owners) and _has(low, cues):
            out.append(f"unasked_content:{owners[0]}")
    return out


def problems(text: str, acts: Sequence[Act]) -> list[str]:
    """What makes ``text`` unfaithful to ``acts`` (empty = faithful)."""
    low = text.lower()
    out: list[str] = []
    if not low.strip():
        return ["empty"]
    for a in acts:
        if not _realised(a, low):
            out.append(f"unrealised:{a.name}")
    for s in sentences(low):
        if s.endswith("?") and not _question_allowed(s, acts):
            out.append("unasked_question")
            break
    out.extend(_unasked_content(low, acts))
    allowed: set[str] = set()
    for a in acts:
        for value in a.args.values():
            allowed |= _numbers(str(value))
    extra = _numbers(low) - allowed
    if extra:
        out.append("number_not_in_acts")
    return out


def faithful(text: str, acts: Sequence[Act]) -> bool:
    return not problems(text, acts)
