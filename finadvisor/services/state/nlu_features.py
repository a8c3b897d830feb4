"""Features of the understanding models: what the intent and slot classifiers read.

- ``intent_text``: the folded text with digits as 0 and one ``cue_<class>`` token per cue word
  (general English knowledge of what a word signals, tolerant of one typo);
- ``number_features``: the context of one number (neighbouring words, cue words, unit,
  magnitude) for the slot classifier; ``candidates`` finds the numbers of a text and their
  features, ``number_label`` / ``slot_training_data`` their training labels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from finadvisor.ontology import NUMERIC_SLOTS
from finadvisor.services.state.normalize import (
    NumberSpan,
    find_numbers,
    find_phrases,
    fold,
    normalize_number_for_slot,
    one_edit,
)

#: Label of a number that fills no slot, and of a yearly income (divided by 12).
NONE_LABEL: str = "none"
YEARLY_INCOME_LABEL: str = "monthly_income_yearly"

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[^\sa-z\d]")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[a-z]+")

#: Cue words: general English knowledge of what a word signals (a gazetteer), so a phrasing
#: never seen in training ("yep", "plot", "my debts cost me") still lands on the right intent or
#: slot. Matching tolerates one typo in words of five letters or more.
CUES: dict[str, tuple[str, ...]] = {
    "affirm": ("yes", "yeah", "yep", "yup", "sure", "absolutely", "correct", "exactly", "okay", "ok",
               "definitely", "certainly", "indeed", "agreed"),
    "deny": ("no", "nope", "nah", "not", "wrong", "incorrect", "never", "negative", "mistake"),
    "greet": ("hi", "hello", "hey", "morning", "afternoon", "evening", "greetings", "hiya", "howdy", "day"),
    "bye": ("bye", "goodbye", "farewell", "later", "cya", "done"),
    "thank": ("thanks", "thank", "thx", "cheers", "appreciated", "appreciate", "grateful", "helpful"),
    "chart": ("chart", "graph", "plot", "diagram", "figure", "trend", "axis", "curve", "picture"),
    "rate": ("rate", "rates", "interest", "apr", "aer", "percent", "expensive"),
    "human": ("human", "person", "agent", "operator", "staff", "someone", "representative", "real",
              "colleague", "call"),
    "document": ("payslip", "statement", "passport", "licence", "license", "id", "document", "attached",
                 "attaching", "uploading", "upload", "scan", "photo", "copy", "slip", "stub", "proof",
                 "sending", "identification", "identity"),
    "eligibility": ("eligible", "eligibility", "qualify", "approved", "accepted", "approve", "chances"),
    "savings": ("save", "saving", "savings", "emergency", "aside", "buffer"),
    "advice": ("advice", "advise", "suggest", "recommend", "tips", "best", "should", "how", "what", "help"),
    "income": ("earn", "earning", "earns", "income", "salary", "wage", "wages", "paid", "make", "makes",
               "making", "net", "take", "bring", "payslip", "gross"),
    "debt": ("debt", "debts", "repay", "repayments", "repayment", "owe", "loans", "credit", "paying", "cost",
             "instalments"),
    "loan": ("borrow", "borrowing", "loan", "lend", "financing", "finance"),
    "invest": ("invest", "investing", "investment", "investments", "invested", "portfolio", "horizon",
               "shares", "stocks", "funds"),
    "term": ("over", "term", "back", "repaid", "spread", "within", "duration"),
    "employment": ("job", "company", "employer", "work", "worked", "working", "role", "firm", "employed",
                   "career", "position"),
    "age": ("old", "age", "aged", "turned", "born", "birthday"),
    "dependents": ("kids", "children", "child", "dependents", "dependants", "family", "sons", "daughters"),
    "yearly": ("yearly", "annual", "annually", "annum", "year", "p.a"),
    "monthly": ("month", "monthly", "months"),
    "correction": ("actually", "instead", "sorry", "meant", "correction", "change", "oops", "wait", "rather"),
}
#: Cue classes that show a text is about finadvisor's business at all.
DOMAIN_CUES: frozenset[str] = frozenset(
    {"rate", "document", "chart", "eligibility", "savings", "income", "debt", "loan", "invest", "term",
     "employment", "age", "dependents", "human"}
)
_CUE_INDEX: dict[str, list[str]] = {}
for _cls, _words in CUES.items():
    for _w in _words:
        _CUE_INDEX.setdefault(_w, []).append(_cls)


@lru_cache(maxsize=65536)
def cue_classes(word: str) -> tuple[str, ...]:
    """Cue classes of one lower-case word (exact, or one typo away for words of 5+ letters)."""
    if word in _CUE_INDEX:
        return tuple(_CUE_INDEX[word])
    if len(word) < 5:
        return ()
    found: list[str] = []
    for w, classes in _CUE_INDEX.items():
        if len(w) >= 5 and one_edit(word, w):
            found.extend(classes)
    return tuple(sorted(set(found)))



# --------------------------------------------------------------------------- features
def _has_slot_words(text: str) -> bool:
    """True when the text names a slot value (a product, a currency, an amount...)."""
    return bool(find_phrases(text)[0]) or bool(find_numbers(text))


def intent_text(text: str) -> str:
    """What the intent model reads: folded case, every digit as 0 (amounts do not matter), and
    one ``cue_<class>`` token per cue word so unseen synonyms share a feature with seen ones."""
    low = fold(text)
    cues = [f"cue_{c}" for w in _WORD.findall(low) for c in cue_classes(w)]
    if not any(c[4:] in DOMAIN_CUES for c in cues) and not _has_slot_words(text):
        cues.append("cue_offdomain")
    words = _WORD.findall(low)
    if words:
        # The first word tells a fragment answer ("a term of...") from a request ("I'd like...").
        cues.insert(0, f"first_{words[0]}")
    return _DIGIT.sub("0", low) + (" || " + " ".join(cues) if cues else "")


def _tokens(low: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(low)]


def _shape(tok: str) -> str:
    return "<num>" if tok[0].isdigit() else tok


def number_features(low: str, number: NumberSpan, numbers: Sequence[NumberSpan], index: int,
                    currency_spans: Sequence[tuple[int, int]]) -> dict[str, float]:
    """Context features of one number: what the slot classifier reads.

    Words near the number (by position and as a bag), 4-letter prefixes (robust to typos), the
    unit, the magnitude, whether a currency is attached, and the words of the whole utterance.
    """
    toks = _tokens(low)
    left = [_shape(t) for t, _s, e in toks if e <= number.start]
    right = [_shape(t) for t, s, _e in toks if s >= number.unit_end]
    value = float(number.value)
    f: dict[str, float] = {"bias": 1.0, f"unit={number.unit or 'none'}": 1.0}
    f["mag=" + (str(int(math.log10(value))) if value >= 1 else "lt1")] = 1.0
    if value == int(value):
        f["int"] = 1.0
        if value <= 10:
            f[f"small={int(value)}"] = 1.0
        elif 16 <= value <= 99:
            f["age_range"] = 1.0
    if number.words:
        f["words"] = 1.0
    if number.shorthand:
        f["shorthand"] = 1.0
    for i, t in enumerate(reversed(left[-4:])):
        f[f"L{i + 1}={t}"] = 1.0
    for i, t in enumerate(right[:4]):
        f[f"R{i + 1}={t}"] = 1.0
    if len(left) >= 2:
        f[f"L21={left[-2]} {left[-1]}"] = 1.0
    if len(right) >= 2:
        f[f"R12={right[0]} {right[1]}"] = 1.0
    for t in left[-6:]:
        f[f"lw={t}"] = 1.0
        f[f"lwp={t[:4]}"] = 1.0
    for t in right[:6]:
        f[f"rw={t}"] = 1.0
        f[f"rwp={t[:4]}"] = 1.0
    for t, _s, _e in toks:
        f[f"bow={_shape(t)}"] = 0.5
        for c in cue_classes(t):
            f[f"cue={c}"] = 1.0
    for t in left[-6:]:
        for c in cue_classes(t):
            f[f"lcue={c}"] = 1.0
    for t in left[-3:]:
        for c in cue_classes(t):
            f[f"lcue3={c}"] = 1.0
    for t in right[:4]:
        for c in cue_classes(t):
            f[f"rcue={c}"] = 1.0
    if any(abs(e - number.start) <= 1 or abs(s - number.unit_end) <= 1 for s, e in currency_spans):
        f["currency_adjacent"] = 1.0
    f[f"n_numbers={min(len(numbers), 3)}"] = 1.0
    f["position=" + ("first" if index == 0 else "last" if index == len(numbers) - 1 else "middle")] = 1.0
    return f


def candidates(text: str) -> tuple[str, list[Any], list[NumberSpan], list[dict[str, float]]]:
    """(folded text, rule mentions, candidate numbers, their features) for one utterance."""
    low = fold(text)
    rules, consumed = find_phrases(text)
    numbers = [n for n in find_numbers(text) if not any(s < n.end and n.start < e for s, e in consumed)]
    currency_spans = [(m.start, m.end) for m in rules if m.slot == "currency"]
    feats = [number_features(low, n, numbers, i, currency_spans) for i, n in enumerate(numbers)]
    return low, rules, numbers, feats


def number_label(number: NumberSpan, annotations: Iterable[dict[str, Any]]) -> str:
    """Training label of a candidate number from a turn's slot annotations."""
    for a in annotations:
        if a["start"] < number.unit_end and number.start < a["end"]:
            slot = a["slot"]
            if slot not in NUMERIC_SLOTS:
                return NONE_LABEL
            if slot == "monthly_income" and normalize_number_for_slot(slot, number) != a["value"] and \
                    normalize_number_for_slot(slot, number, yearly=True) == a["value"]:
                return YEARLY_INCOME_LABEL
            return slot
    return NONE_LABEL


def slot_training_data(turns: Iterable[dict[str, Any]]) -> tuple[list[dict[str, float]], list[str]]:
    """Features and labels of every candidate number in the user turns."""
    feats: list[dict[str, float]] = []
    labels: list[str] = []
    for t in turns:
        _low, _rules, numbers, fs = candidates(t["text"])
        for n, f in zip(numbers, fs, strict=True):
            feats.append(f)
            labels.append(number_label(n, t.get("slots", [])))
    return feats, labels
