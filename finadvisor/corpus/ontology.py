"""The training side's view of the vocabulary: ``finadvisor.ontology`` re-exported, plus the
facts an attachment contributes to a simulated dialogue.

The vocabulary itself lives in :mod:`finadvisor.ontology` (serving code imports it from there,
never from ``corpus``); the names below keep the simulator's and the loader's imports short.
"""

from __future__ import annotations

from typing import Any

from finadvisor.ontology import (
    ADVISOR_EXTRA_PLACEHOLDERS,
    AMOUNT_SLOTS,
    CATEGORICAL_VALUES,
    CHART_TYPES,
    COUNT_SLOTS,
    IMAGE_TYPES,
    INTENTS,
    NUMERIC_SLOTS,
    SLOTS,
    SOURCES,
    TRENDS,
    format_amount,
)

#: The simulator's names for two ontology entries.
CHART_TRENDS = TRENDS
format_decimal = format_amount

__all__ = [
    "ADVISOR_EXTRA_PLACEHOLDERS",
    "AMOUNT_SLOTS",
    "CATEGORICAL_VALUES",
    "CHART_TRENDS",
    "CHART_TYPES",
    "COUNT_SLOTS",
    "IMAGE_TYPES",
    "INTENTS",
    "NUMERIC_SLOTS",
    "SLOTS",
    "SOURCES",
    "format_decimal",
    "modality_facts",
]


def modality_facts(modality: dict[str, Any] | None) -> list[dict[str, str]]:
    """Slot facts an attachment contributes, as ``[{"slot", "value", "source"}]``.

    Why here: the simulator annotates the state with them and the evaluation replays them, so
    both must agree. A payslip's net pay is monthly income (a yearly figure is divided by 12);
    its currency fills ``currency``. Charts and other documents contribute no slot.
    """
    if not modality or modality.get("kind") != "image":
        return []
    if modality.get("image_type") != "payslip":
        return []
    fields = modality.get("fields") or {}
    facts: list[dict[str, str]] = []
    net = fields.get("net_pay")
    if net:
        from decimal import Decimal, InvalidOperation

        try:
            amount = Decimal(str(net))
        except InvalidOperation:
            amount = None
        if amount is not None:
            if fields.get("period") == "yearly":
                amount = amount / 12
            facts.append({"slot": "monthly_income", "value": format_amount(amount), "source": "image"})
    if fields.get("currency"):
        facts.append({"slot": "currency", "value": str(fields["currency"]).upper(), "source": "image"})
    return facts
