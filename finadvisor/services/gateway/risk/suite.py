"""The credit decision suite: applicants with the decision a lender would expect.

The table (``tests/data/credit/decision_suite.csv`` in the repository) is written from
affordability arithmetic and the documented policy, never from the model's output: clearly
affordable requests must not be declined, clearly unaffordable ones must not be approved,
applicants outside the model's validated range are referred, and so on. It is a measuring
instrument, not training data: nothing here is ever fitted on it. ``finadvisor eval`` reports
the agreement in the ``risk`` section; the tests require 1.0.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from finadvisor.corpus.ontology import SLOTS
from finadvisor.services.gateway.risk.model import Assessment, CreditRiskModel
from finadvisor.services.gateway.risk.schema import ApplicantFields

# The repository's copy (tests/data is not package data: an installed wheel has no suite).
SUITE_CSV = Path(__file__).resolve().parents[4] / "tests" / "data" / "credit" / "decision_suite.csv"
# Expectations: an exact decision, or a bound a lender would hold whatever the model says.
EXPECTATIONS = {
    "approve": {"approve"},
    "refer": {"refer"},
    "decline": {"decline"},
    "not_declined": {"approve", "refer"},
    "not_approved": {"refer", "decline"},
}
# Columns that describe the case rather than the applicant.
META_COLUMNS = ("id", "case", "expected", "expected_decided_by", "rationale")
MAX_ROWS = 1000


def load_suite(path: Path = SUITE_CSV) -> list[dict[str, str]]:
    """The suite's rows (at most MAX_ROWS), each checked for a known expectation."""
    with Path(path).open(newline="") as f:
        rows = [row for _, row in zip(range(MAX_ROWS), csv.DictReader(f), strict=False)]
    for row in rows:
        if row["expected"] not in EXPECTATIONS:
            raise ValueError(f"decision suite row {row['id']}: unknown expectation "
                             f"{row['expected']!r}")
    return rows


def applicant_of(row: dict[str, str]) -> ApplicantFields:
    """Ontology slots from the row's slot columns, the rest as the bank profile."""
    slots = {k: v for k, v in row.items() if k in SLOTS and v}
    profile = {k: v for k, v in row.items()
               if k not in SLOTS and k not in META_COLUMNS and v}
    return ApplicantFields.from_slots(slots, profile)


def agrees(row: dict[str, str], assessment: Assessment) -> bool:
    """True when the decision (and the decider, where the row names one) is as expected."""
    if assessment.decision not in EXPECTATIONS[row["expected"]]:
        return False
    return not row["expected_decided_by"] or row["expected_decided_by"] == assessment.decided_by


def run_suite(model: CreditRiskModel, path: Path = SUITE_CSV) -> dict[str, Any]:
    """Agreement with the table, the disagreeing ids, and declines whose first reason is a
    missing item (which must never happen)."""
    rows = load_suite(path)
    disagreements: list[str] = []
    missing_first = 0
    for row in rows:
        a = model.assess(applicant_of(row))
        if not agrees(row, a):
            disagreements.append(f"{row['id']}: {a.decision}/{a.decided_by}")
        if a.decision == "decline" and a.reasons and a.reasons[0].source == "missing":
            missing_first += 1
    return {
        "decision_suite_agreement": round(1 - len(disagreements) / max(len(rows), 1), 4),
        "decision_suite_n": len(rows),
        "decision_suite_disagreements": disagreements,
        "declines_with_missing_first_reason": missing_first,
    }


def suite_section(model: CreditRiskModel, path: Path = SUITE_CSV) -> dict[str, Any]:
    """The suite's entries for the ``risk`` eval section, or a note saying why there are none
    (the suite ships with the repository's tests, not with the installed package)."""
    if not Path(path).is_file():
        return {"decision_suite_note": f"decision suite not found at {path} (it ships with the"
                                       " repository's tests, not the package)"}
    return run_suite(model, path)
