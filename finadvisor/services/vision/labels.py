"""Label vocabularies of the vision component, shared by the renderer, the model and the engine.

They live apart from the model so the renderer (data generation) does not import torch, and so the
order of the classes, which the trained weights depend on, is written down in exactly one place.
"""

from __future__ import annotations

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
TRENDS: tuple[str, ...] = ("rising", "falling", "flat", "volatile")
# Image types whose picture carries a time series, hence a trend.
TREND_TYPES: frozenset[str] = frozenset({"line_chart", "candlestick_chart"})
# Image types that are pages of text (read by OCR when the CNN names them).
DOCUMENT_TYPES: frozenset[str] = frozenset({"payslip", "bank_statement", "id_document"})
# Image types whose fields are parsed from OCR text.
OCR_TYPES: frozenset[str] = frozenset({"payslip", "bank_statement"})
# Pay frequency (the `period` field) -> periods per year, to turn net pay into monthly income.
PERIODS_PER_YEAR: dict[str, int] = {"monthly": 12, "biweekly": 26, "weekly": 52}
