"""The vocabulary of finadvisor (DESIGN.md, "Ontology (v1)"), in one module every part imports.

Intents, slots and their canonical values and formats, image types and chart trends, credit
decisions, the id pattern, and the attachment media types with the magic bytes that prove them.
Serving code, the training-side simulator and the console (through ``/api/info``) all take their
lists from here, so they cannot drift apart. Where trained weights depend on an ORDER (the
vision classes, the generator's feature tokens, the NLU classes) the model code keeps a pinned
copy and ``tests/unit/test_ontology.py`` checks it against this module.

Pure Python, no third-party import: the lightest module of the package on purpose.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# -- dialogue -------------------------------------------------------------------------------
INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "apply_loan",
    "ask_eligibility",
    "inform",
    "ask_rate",
    "ask_investment_advice",
    "ask_savings_advice",
    "upload_document",
    "ask_about_chart",
    "request_human",
    "out_of_scope",
)

#: Slots whose canonical value is a plain decimal number (:func:`format_amount`).
AMOUNT_SLOTS: tuple[str, ...] = ("loan_amount", "investment_amount", "monthly_income", "monthly_debt")
#: Slots whose canonical value is a plain (integer or decimal) number of units.
COUNT_SLOTS: tuple[str, ...] = (
    "loan_term_months",
    "employment_years",
    "age",
    "dependents",
    "investment_horizon_years",
)
NUMERIC_SLOTS: tuple[str, ...] = AMOUNT_SLOTS + COUNT_SLOTS

#: Slots with a closed set of canonical values (currency is open-ended ISO 4217, listed apart).
CATEGORICAL_VALUES: dict[str, tuple[str, ...]] = {
    "product": (
        "personal_loan",
        "mortgage",
        "auto_loan",
        "credit_card",
        "savings_account",
        "investment",
    ),
    "loan_purpose": (
        "car",
        "home",
        "education",
        "business",
        "debt_consolidation",
        "renovation",
        "travel",
        "medical",
        "other",
    ),
    "employment_status": ("employed", "self_employed", "unemployed", "retired", "student"),
    "housing": ("own", "rent", "living_with_family"),
    "risk_tolerance": ("low", "medium", "high"),
}

SLOTS: tuple[str, ...] = (
    "product",
    "loan_amount",
    "investment_amount",
    "monthly_income",
    "monthly_debt",
    "currency",
    "loan_term_months",
    "loan_purpose",
    "employment_status",
    "employment_years",
    "age",
    "dependents",
    "investment_horizon_years",
    "housing",
    "risk_tolerance",
)

#: Extra placeholders an advisor template may use, filled from the credit assessment or, for
#: replies worded from dialogue acts (finadvisor.dialogue), from the acts' arguments.
ADVISOR_EXTRA_PLACEHOLDERS: tuple[str, ...] = (
    "monthly_instalment", "max_affordable_amount",
    "rate", "reason", "needs", "instalment", "value", "slot", "transcript", "change_percent",
)

#: Where a slot value came from (``SlotValue.source``).
SOURCES: tuple[str, ...] = ("text", "image", "audio", "backend")

#: The catalogue rule (DESIGN.md "Ontology"): the product offered for a loan's purpose when the
#: customer named none (filled as inferred, with a lower confidence); other purposes ->
#: ``CATALOGUE_DEFAULT``.
CATALOGUE: dict[str, str] = {"car": "auto_loan", "home": "mortgage"}
CATALOGUE_DEFAULT: str = "personal_loan"

# -- credit ---------------------------------------------------------------------------------
#: ``CreditAssessment.decision`` values (DESIGN.md "Credit": missing information -> refer).
DECISIONS: tuple[str, ...] = ("approve", "refer", "decline")

# -- images ---------------------------------------------------------------------------------
#: Document and chart types the vision service tells apart (its classes, in this order).
IMAGE_TYPES: tuple[str, ...] = (
    "payslip",
    "bank_statement",
    "id_document",
    "line_chart",
    "bar_chart",
    "pie_chart",
    "candlestick_chart",
    "other",
)
CHART_TYPES: tuple[str, ...] = ("line_chart", "bar_chart", "pie_chart", "candlestick_chart")
#: Chart trends (the vision service's trend classes, in this order).
TRENDS: tuple[str, ...] = ("rising", "falling", "flat", "volatile")
#: Image types whose picture carries a time series, hence a trend.
TREND_TYPES: frozenset[str] = frozenset({"line_chart", "candlestick_chart"})
#: Image types whose text is read by OCR.
OCR_TYPES: frozenset[str] = frozenset({"payslip", "bank_statement"})
#: Pay frequency (a payslip's ``period`` field) -> periods per year, for monthly income.
PERIODS_PER_YEAR: dict[str, int] = {"monthly": 12, "biweekly": 26, "weekly": 52}

# -- ids ------------------------------------------------------------------------------------
#: Session and request ids: letters, digits and ``_ . : -``, 1-128 characters, starting with a
#: letter or digit. No braces: the session id is a Redis Cluster hash tag ``{<id>}``.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"
ID_RE = re.compile(ID_PATTERN)
ID_RULE = "1-128 characters of letters, digits and . _ : - (starting with a letter or digit)"

# -- attachments ----------------------------------------------------------------------------
#: Canonical media types of an image and of a voice note.
IMAGE_MIME_TYPES: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
AUDIO_MIME_TYPES: tuple[str, ...] = ("audio/wav", "audio/flac", "audio/ogg", "audio/webm")
#: Declared media types that mean a canonical one (browsers and backends label files freely).
MIME_ALIASES: dict[str, str] = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-flac": "audio/flac",
    "audio/opus": "audio/ogg",
    "application/ogg": "audio/ogg",
    "video/webm": "audio/webm",  # MediaRecorder may label an audio-only recording video/webm
}
#: Every declared type accepted for an image / a voice note (canonical or alias).
IMAGE_MIME: frozenset[str] = frozenset(IMAGE_MIME_TYPES) | {
    a for a, c in MIME_ALIASES.items() if c in IMAGE_MIME_TYPES}
AUDIO_MIME: frozenset[str] = frozenset(AUDIO_MIME_TYPES) | {
    a for a, c in MIME_ALIASES.items() if c in AUDIO_MIME_TYPES}


def canonical_mime(declared: str) -> str:
    """``audio/webm;codecs=opus`` -> ``audio/webm``; lower case, parameters dropped, aliases
    folded. Unknown types come back as they are (the caller rejects them)."""
    base = (declared or "").split(";", 1)[0].strip().lower()
    return MIME_ALIASES.get(base, base)


def sniff_mime(data: bytes) -> str | None:
    """The canonical media type the first bytes prove, or None.

    Why: a declared type is only a claim; every decoder checks the bytes before it trusts one.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if len(data) >= 12 and data[:4] in (b"RIFF", b"RF64") and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:4] == b"fLaC":
        return "audio/flac"
    if data[:4] == b"OggS":
        return "audio/ogg"
    if data[:4] == b"\x1a\x45\xdf\xa3":  # EBML header: Matroska / WebM
        return "audio/webm"
    return None


# -- canonical formats ----------------------------------------------------------------------
def format_amount(value: Any) -> str:
    """The canonical plain-number form of an amount or count (DESIGN.md: ``15000``, ``5500``).

    No exponent, no separators, at most 2 decimals, no trailing zero: ``3850.50`` -> ``3850.5``.
    """
    d = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text



def describe() -> dict[str, Any]:
    """The vocabulary as plain JSON-able lists (the console reads it from ``/api/info``)."""
    return {
        "intents": list(INTENTS),
        "slots": list(SLOTS),
        "amount_slots": list(AMOUNT_SLOTS),
        "categorical_values": {k: list(v) for k, v in CATEGORICAL_VALUES.items()},
        "sources": list(SOURCES),
        "decisions": list(DECISIONS),
        "image_types": list(IMAGE_TYPES),
        "chart_types": list(CHART_TYPES),
        "trends": list(TRENDS),
        "image_mime_types": list(IMAGE_MIME_TYPES),
        "audio_mime_types": list(AUDIO_MIME_TYPES),
    }
