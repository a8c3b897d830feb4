"""Document text -> canonical fields: labels found in OCR lines and in the page's layout.

Why labels and layout, not the CNN: a payslip says what it is ("Payslip", "Net pay") and where
its figures stand. A field's value is taken from the label's own line (the right-most amount after
it, a total rather than an item) or, when the line has none, from the nearest text box below the
label (summary boxes: "Net pay" over "$4,120.00"). The page's type is read from the same text
(``text_type``), so a page the CNN has never seen the like of is still known for a payslip.

Pure Python over ``Line`` objects (text, confidence and, from real OCR, the boxes that made the
text), so every rule is tested without an OCR engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from finadvisor.services.vision.labels import PERIODS_PER_YEAR
from finadvisor.services.vision.money import (
    ISO_CODES,
    MONEY_TOKEN_RE,
    SYMBOLS,
    canonical_amount,
    currency_of,
    find_amounts,
)
from finadvisor.services.vision.ocr_engines import Word

NET_PAY_RE = re.compile(r"\b(net\s*pay(?:ment)?|take[\s-]*home(?:\s*pay)?|net\s*salary|amount\s*paid|"
                        r"total\s*net(?:\s*pay)?|net\s*amount)\b", re.I)
BALANCE_RE = re.compile(r"\b(closing\s*balance|ending\s*balance|balance\s*carried\s*forward|"
                        r"available\s*balance)\b", re.I)
EMPLOYER_RE = re.compile(r"\bemployer\s*[:;]?\s*(.+)$", re.I)
CURRENCY_LINE_RE = re.compile(r"\bcurrency\s*[:;]?\s*([A-Z]{3})\b", re.I)
FREQUENCY_RE = re.compile(r"\b(pay\s*frequency|frequency|paid)\b.*?\b(monthly|weekly|fortnightly|"
                          r"bi-?\s?weekly)\b", re.I)
# Words that say what a page is; two distinct ones (or one and its key field) decide its type.
TYPE_WORDS: dict[str, re.Pattern[str]] = {
    "payslip": re.compile(r"\b(pay\s*slip|pay\s*advice|pay\s*statement|salary\s*(?:slip|statement)|"
                          r"earnings\s*statement|remuneration|gross\s*pay|pay\s*period|pay\s*frequency|"
                          r"income\s*tax|basic\s*salary|employee(?:\s*id)?)\b|" + NET_PAY_RE.pattern, re.I),
    "bank_statement": re.compile(r"\b(bank\s*statement|account\s*statement|statement\s*period|"
                                 r"opening\s*balance|account\s*holder|account\s*number|iban|"
                                 r"card\s*(?:payment|purchase)|direct\s*debit)\b|" + BALANCE_RE.pattern,
                                 re.I),
}
# The field without which a document type's reading is incomplete.
KEY_FIELD = {"payslip": "net_pay", "bank_statement": "account_balance"}
# How far below a label (in label heights) its value may stand.
BELOW_REACH = 4.0


@dataclass(frozen=True)
class Field:
    """A field read from a document: name, canonical value, confidence in [0,1], slot it fills."""

    name: str
    value: str
    confidence: float
    slot: str = ""


@dataclass(frozen=True)
class Fact:
    """A canonical slot value for the state tracker."""

    slot: str
    value: str
    confidence: float


@dataclass(frozen=True)
class Line:
    """One line of OCR text with its mean word confidence in [0,1].

    ``words`` (from real OCR) are the boxes that make up ``text``: (start, end) character offsets
    of each box in ``text`` and the box, left to right. Hand-made lines in tests have none.
    """

    text: str
    confidence: float
    words: tuple[tuple[int, int, Word], ...] = ()


def group_lines(words: list[Word]) -> list[Line]:
    """Text boxes -> lines, top to bottom: a box joins a line when their vertical spans overlap by
    at least half the smaller height (a bold amount a few pixels lower stays on its label's line)."""
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda b: (b.y0 + b.y1) / 2):
        for row in rows[-3:]:
            top, bottom = min(b.y0 for b in row), max(b.y1 for b in row)
            overlap = min(bottom, w.y1) - max(top, w.y0)
            if overlap >= 0.5 * min(bottom - top, w.y1 - w.y0):
                row.append(w)
                break
        else:
            rows.append([w])
    lines: list[Line] = []
    for row in sorted(rows, key=lambda r: min(b.y0 for b in r)):
        row.sort(key=lambda b: b.x0)
        parts, spans, pos = [], [], 0
        for b in row:
            spans.append((pos, pos + len(b.text), b))
            parts.append(b.text)
            pos += len(b.text) + 1
        conf = sum(b.confidence for b in row) / len(row)
        lines.append(Line(" ".join(parts), conf, tuple(spans)))
    return lines


def _amount_after(text: str) -> tuple[Decimal, str | None] | None:
    """The right-most amount of ``text`` (a total stands right of its items)."""
    amounts = find_amounts(text)
    # OCR reads a trailing "€" as "8" now and then ("6.711,62 8"): a lone digit after an
    # amount with cents is not the total.
    if len(amounts) > 1 and amounts[-1][0] < 10 and amounts[-2][0].as_tuple().exponent == -2:
        amounts = amounts[:-1]
    if not amounts:
        return None
    return amounts[-1][0], amounts[-1][1]


def _label_box(line: Line, start: int, end: int) -> Word | None:
    boxes = [w for s, e, w in line.words if s < end and e > start]
    if not boxes:
        return None
    return Word("", 0.0, min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes),
                max(b.y1 for b in boxes))


def _amount_below(lines: list[Line], index: int, label: Word) -> tuple[Decimal, str | None, float] | None:
    """The amount in the nearest box below ``label`` that shares its columns (within reach)."""
    height = max(1, label.y1 - label.y0)
    width = max(1, label.x1 - label.x0)
    lo, hi = label.x0 - 0.5 * width, label.x1 + 1.5 * width  # amounts are often wider than labels
    for line in lines[index + 1:]:
        boxes = [w for _, _, w in line.words if w.y0 >= label.y1 - 0.3 * height]
        if not boxes:
            continue
        if min(b.y0 for b in boxes) - label.y1 > BELOW_REACH * height:
            return None
        under = [b for b in boxes if b.x1 > lo and b.x0 < hi]
        if under:
            found = _amount_after(" ".join(b.text for b in under))
            if found is not None:
                return found[0], found[1], sum(b.confidence for b in under) / len(under)
    return None


def labelled_amount(lines: list[Line], label_re: re.Pattern[str]) -> tuple[Decimal, str | None, float] | None:
    """The amount of the last line that matches ``label_re`` (a total, not an item): on its line
    after the label, else in the box below the label."""
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        m = label_re.search(line.text)
        if not m:
            continue
        found = _amount_after(line.text[m.end():])
        if found is not None:
            return found[0], found[1], line.confidence
        box = _label_box(line, m.start(), m.end())
        if box is not None:
            below = _amount_below(lines, i, box)
            if below is not None:
                return below
    return None


_LETTER_CONFUSIONS = frozenset({("E", "F"), ("F", "E"), ("P", "F"), ("F", "P"), ("D", "O"),
                                ("O", "D"), ("U", "V"), ("V", "U"), ("V", "Y"), ("Y", "V"),
                                ("C", "G"), ("G", "C")})


def _iso_code(token: str) -> tuple[str, float] | None:
    """The ISO code ``token`` names, with a certainty factor: exact (1.0), or the only known code
    one commonly confused letter away (0.8). A code we do not know (IDR) is never bent into one we
    know (INR): only the confusions above count."""
    token = token.upper()
    if token in ISO_CODES:
        return token, 1.0
    near = [c for c in sorted(ISO_CODES) if _one_confusion_apart(token, c)]
    return (near[0], 0.8) if len(near) == 1 else None


def _one_confusion_apart(token: str, code: str) -> bool:
    diffs = [(a, b) for a, b in zip(token, code) if a != b]
    return len(token) == len(code) and len(diffs) == 1 and diffs[0] in _LETTER_CONFUSIONS


def _document_currency(lines: list[Line], near: str | None) -> tuple[str, float] | None:
    for line in lines:
        m = CURRENCY_LINE_RE.search(line.text)
        named = _iso_code(m.group(1)) if m else None
        if named is not None:
            return named[0], 0.95 * named[1] * line.confidence
    if near is not None:
        code, certainty = currency_of(near)
        return code, certainty
    counts: dict[str, int] = {}
    for line in lines:
        for tok in MONEY_TOKEN_RE.findall(line.text):
            if tok in ISO_CODES or tok in SYMBOLS:
                code = currency_of(tok)[0]
                counts[code] = counts.get(code, 0) + 1
    if counts:
        code = max(sorted(counts), key=lambda c: counts[c])
        return code, 0.6
    return None



def text_type(lines: list[Line], fields: dict[str, list[Field]] | None = None) -> str | None:
    """The document type the text names ("payslip", "bank_statement"), or None when it is unclear.

    Two distinct type words decide, or one word and that type's key field read from the page; when
    both types score, the one with more words wins (a payslip mentions no opening balance).
    """
    text = "\n".join(line.text for line in lines)
    scores: dict[str, int] = {}
    for kind, pattern in TYPE_WORDS.items():
        words = {re.sub(r"\W+", "", m.group(0).lower()) for m in pattern.finditer(text)}
        has_key = bool(fields and any(f.name == KEY_FIELD[kind] for f in fields.get(kind, [])))
        scores[kind] = len(words) + (1 if has_key else 0)
    best = max(sorted(scores), key=lambda k: scores[k])
    others = [v for k, v in scores.items() if k != best]
    if scores[best] >= 2 and all(scores[best] > v for v in others):
        return best
    return None


def parse_document(lines: list[Line], image_type: str) -> list[Field]:
    """Canonical fields of a payslip or a bank statement from its OCR lines."""
    fields: list[Field] = []
    near: str | None = None
    if image_type == "payslip":
        net = labelled_amount(lines, NET_PAY_RE)
        if net is not None:
            value, near, conf = net
            fields.append(Field("net_pay", canonical_amount(value), round(conf, 4), "monthly_income"))
        period, p_conf = "monthly", 0.5
        for line in lines:
            m = FREQUENCY_RE.search(line.text)
            if m:
                word = m.group(2).lower().replace(" ", "").replace("-", "")
                period = {"fortnightly": "biweekly", "biweekly": "biweekly"}.get(word, word)
                p_conf = 0.95 * line.confidence
                break
        fields.append(Field("period", period, round(p_conf, 4), ""))
        for line in lines:
            m = EMPLOYER_RE.search(line.text)
            if m and m.group(1).strip():
                fields.append(Field("employer", m.group(1).strip(), round(line.confidence, 4), ""))
                break
    elif image_type == "bank_statement":
        bal = labelled_amount(lines, BALANCE_RE)
        if bal is not None:
            value, near, conf = bal
            fields.append(Field("account_balance", canonical_amount(value), round(conf, 4), ""))
    else:
        return []
    cur = _document_currency(lines, near)
    if cur is not None:
        fields.append(Field("currency", cur[0], round(cur[1], 4), "currency"))
    return fields


def facts_from_fields(fields: list[Field]) -> list[Fact]:
    """Slot facts: net pay scaled to a month by the pay period -> monthly_income; currency."""
    by_name = {f.name: f for f in fields}
    facts: list[Fact] = []
    net = by_name.get("net_pay")
    if net is not None:
        period = by_name.get("period")
        per_year = PERIODS_PER_YEAR.get(period.value if period else "monthly", 12)
        monthly = Decimal(net.value) * per_year / 12
        conf = net.confidence * (1.0 if per_year == 12 else (period.confidence if period else 0.5))
        facts.append(Fact("monthly_income", canonical_amount(monthly), round(conf, 4)))
    cur = by_name.get("currency")
    if cur is not None:
        facts.append(Fact("currency", cur.value, cur.confidence))
    return facts
