"""Surface forms of the simulated user's turns: a template filled with varied forms (digits,
words, shorthand, currency symbols/codes/words, yearly incomes, durations in years or months),
with character spans of every slot value; typos and casing that never move those spans.

Part of the seeded corpus simulator (``simulator``).
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

from finadvisor.corpus.numbers import int_to_words
from finadvisor.corpus.ontology import format_decimal
from finadvisor.corpus.templates import (
    CURRENCY_SURFACES,
    EMPLOYMENT_SURFACES,
    HOUSING_SURFACES,
    PRODUCT_SURFACES,
    PURPOSE_NOUN,
    PURPOSE_VERB,
    RISK_ADJ,
    RISK_BARE,
)

_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}|\[([^\]]+)\]\((\w+)=([^)]*)\)")
_MARK = re.compile(r"\[([^\]]+)\]")


def _digits(v: int) -> str:
    return str(v)


def _amount_number(v: int, rng: random.Random) -> str:
    """One surface of an amount: 15000, 15,000, 15k, 15K, fifteen thousand, 1.2 million..."""
    styles = ["digits", "digits", "comma", "comma", "comma"]
    if v % 1000 == 0 and 1000 <= v < 1_000_000:
        styles += ["k", "k", "K", "thousand", "words", "words"]
    elif v % 50 == 0 and v < 1_000_000:
        styles += ["words"]
    if v >= 1_000_000 and v % 100_000 == 0:
        styles += ["million", "million", "m"]
    style = rng.choice(styles)
    if style == "digits":
        return str(v)
    if style == "comma":
        return f"{v:,}"
    if style == "k":
        return f"{v // 1000}k"
    if style == "K":
        return f"{v // 1000}K"
    if style == "thousand":
        return f"{v // 1000} thousand"
    if style == "words":
        return int_to_words(v, hyphen=rng.random() < 0.8)
    millions = format_decimal(Decimal(v) / Decimal(1_000_000))
    if style == "m":
        return f"{millions}{rng.choice(['m', 'M'])}"
    return f"{millions} million"


def _currency_word(code: str, rng: random.Random) -> str:
    codes, words, _symbol = CURRENCY_SURFACES[code]
    return rng.choice(codes + words + words)


class Renderer:
    """Fills one user template; returns the text and its slot annotations."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def render(
        self, template: str, values: dict[str, str], show_currency: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        rng = self.rng
        text = ""
        slots: list[dict[str, Any]] = []
        pos = 0
        typo_prone = rng.random() < 0.25
        for m in _PLACEHOLDER.finditer(template):
            text += self._literal(template[pos : m.start()], typo_prone)
            pos = m.end()
            if m.group(3) is not None:  # [words](slot=value)
                start = len(text)
                text += m.group(3)
                slots.append({"slot": m.group(4), "value": m.group(5), "start": start, "end": len(text)})
                continue
            slot, form = m.group(1), m.group(2) or ""
            piece, anns = self._slot(slot, form, values, show_currency)
            if slot in ("loan_amount", "investment_amount", "monthly_income", "monthly_debt"):
                show_currency = show_currency and not any(a["slot"] == "currency" for a in anns)
            base = len(text)
            text += piece
            for a in anns:
                slots.append({**a, "start": a["start"] + base, "end": a["end"] + base})
        text += self._literal(template[pos:], typo_prone)
        return text, slots

    def _literal(self, piece: str, typo_prone: bool) -> str:
        if not typo_prone or not piece:
            return piece
        words = piece.split(" ")
        out = []
        for w in words:
            if len(w) >= 4 and w.isalpha() and self.rng.random() < 0.15:
                w = _typo(w, self.rng)
            out.append(w)
        return " ".join(out)

    def _marked(self, surface: str, slot: str, value: str) -> tuple[str, list[dict[str, Any]]]:
        """Strip ``[...]`` marks; the marked part (or the whole) is the annotated span."""
        m = _MARK.search(surface)
        plain = _MARK.sub(lambda x: x.group(1), surface)
        if m is None:
            return plain, [{"slot": slot, "value": value, "start": 0, "end": len(plain)}]
        start = m.start()
        end = start + len(m.group(1))
        return plain, [{"slot": slot, "value": value, "start": start, "end": end}]

    def _slot(
        self, slot: str, form: str, values: dict[str, str], show_currency: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        rng = self.rng
        value = values[slot]
        if slot == "product":
            return self._marked(rng.choice(PRODUCT_SURFACES[value]), slot, value)
        if slot == "loan_purpose":
            table = PURPOSE_VERB if form == "verb" else PURPOSE_NOUN
            return self._marked(rng.choice(table[value]), slot, value)
        if slot == "employment_status":
            return self._marked(rng.choice(EMPLOYMENT_SURFACES[value]), slot, value)
        if slot == "housing":
            return self._marked(rng.choice(HOUSING_SURFACES[value]), slot, value)
        if slot == "risk_tolerance":
            table = RISK_ADJ if form == "adj" else RISK_BARE
            return self._marked(rng.choice(table[value]), slot, value)
        if slot == "currency":
            return self._marked(_currency_word(value, rng), slot, value)
        if slot in ("loan_amount", "investment_amount", "monthly_income", "monthly_debt"):
            shown = int(Decimal(value) * 12) if form == "yearly" else int(Decimal(value))
            return self._amount(slot, value, shown, values.get("currency") if show_currency else None)
        if slot == "loan_term_months":
            months = int(value)
            if months % 12 == 0 and rng.random() < 0.6:
                text = self._count(months // 12, "year")
            else:
                text = self._count(months, "month")
            return text, [{"slot": slot, "value": value, "start": 0, "end": len(text)}]
        if slot in ("employment_years", "investment_horizon_years"):
            text = self._count(int(value), "year")
            return text, [{"slot": slot, "value": value, "start": 0, "end": len(text)}]
        if slot in ("age", "dependents"):
            n = int(value)
            text = int_to_words(n, hyphen=rng.random() < 0.8) if rng.random() < 0.3 else str(n)
            return text, [{"slot": slot, "value": value, "start": 0, "end": len(text)}]
        raise KeyError(f"no renderer for slot {slot!r}")

    def _count(self, n: int, unit: str) -> str:
        number = int_to_words(n) if self.rng.random() < 0.25 else str(n)
        if unit == "year" and self.rng.random() < 0.1:
            return f"{number} yrs"
        return f"{number} {unit}{'' if n == 1 else 's'}"

    def _amount(
        self, slot: str, value: str, shown: int, currency: str | None
    ) -> tuple[str, list[dict[str, Any]]]:
        rng = self.rng
        number = _amount_number(shown, rng)
        if currency is None:
            return number, [{"slot": slot, "value": value, "start": 0, "end": len(number)}]
        codes, words, symbol = CURRENCY_SURFACES[currency]
        styles = ["code_after", "word_after", "word_after"]
        if number[0].isdigit():
            styles += ["code_before"] + (["symbol", "symbol", "symbol"] if symbol else [])
        style = rng.choice(styles)
        if style == "symbol":
            cur, text = symbol, f"{symbol}{number}"
            return text, [
                {"slot": "currency", "value": currency, "start": 0, "end": len(cur)},
                {"slot": slot, "value": value, "start": len(cur), "end": len(text)},
            ]
        if style == "code_before":
            cur = rng.choice(codes)
            text = f"{cur} {number}"
            return text, [
                {"slot": "currency", "value": currency, "start": 0, "end": len(cur)},
                {"slot": slot, "value": value, "start": len(cur) + 1, "end": len(text)},
            ]
        cur = rng.choice(codes) if style == "code_after" else rng.choice(words)
        text = f"{number} {cur}"
        return text, [
            {"slot": slot, "value": value, "start": 0, "end": len(number)},
            {"slot": "currency", "value": currency, "start": len(number) + 1, "end": len(text)},
        ]


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swap two neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double a letter


def casing(text: str, rng: random.Random, spoken: bool) -> str:
    """Lower/upper/sentence case and end punctuation; never changes character offsets."""
    if spoken:
        return text.lower()
    r = rng.random()
    if r < 0.3:
        out = text.lower()
    elif r < 0.33:
        out = text.upper()
    elif r < 0.8:
        out = text[:1].upper() + text[1:]
    else:
        out = text
    return out if len(out) == len(text) else text
