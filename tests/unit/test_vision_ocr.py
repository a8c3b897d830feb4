"""Reading documents: amount parsing, field parsing from OCR lines, and real Tesseract OCR."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from finadvisor.services.vision.ocr import (
    Field,
    Line,
    facts_from_fields,
    find_amounts,
    ocr_status,
    parse_amount,
    parse_document,
    read_document,
)
from finadvisor.services.vision.render import render_sample, sample_seed

OCR_OK, OCR_DETAIL = ocr_status()
needs_tesseract = pytest.mark.skipif(not OCR_OK, reason=f"OCR unavailable here: {OCR_DETAIL}")


@pytest.mark.parametrize(
    ("text", "value"),
    [("3,850.00", "3850.00"), ("3.850,00", "3850.00"), ("3 850,50", "3850.50"), ("3850", "3850"),
     ("12,345", "12345"), ("1.234.567,8", "1234567.8"), ("abc", None), ("", None)],
)
def test_parse_amount(text: str, value: str | None) -> None:
    assert parse_amount(text) == (Decimal(value) if value is not None else None)


def test_find_amounts_fixes_ocr_confusions_and_reads_currency() -> None:
    found = find_amounts("Net pay EUR 5,2O5.7l")
    assert found[-1][0] == Decimal("5205.71") and found[-1][1] == "EUR"
    assert find_amounts("Take-home pay £2,100.50")[-1][:2] == (Decimal("2100.50"), "£")
    assert find_amounts("Net salary 3.147, 00")[-1][0] == Decimal("3147.00")


def _lines(*texts: str) -> list[Line]:
    return [Line(t, 0.9) for t in texts]


def test_payslip_lines_to_fields_and_facts() -> None:
    lines = _lines("Northwind Logistics Ltd", "PAYSLIP", "Employer: Northwind Logistics Ltd",
                   "Pay frequency: Monthly", "Gross pay $4,900.00", "Income tax -$700.00", "Net pay $3,850.00")
    fields = {f.name: f for f in parse_document(lines, "payslip")}
    assert fields["net_pay"].value == "3850" and fields["net_pay"].slot == "monthly_income"
    assert fields["currency"].value == "USD" and fields["currency"].slot == "currency"
    assert fields["period"].value == "monthly"
    assert fields["employer"].value == "Northwind Logistics Ltd"
    facts = {f.slot: f for f in facts_from_fields(list(fields.values()))}
    assert facts["monthly_income"].value == "3850"
    assert facts["currency"].value == "USD"
    assert 0 < facts["monthly_income"].confidence <= 1


def test_weekly_pay_becomes_monthly_income() -> None:
    lines = _lines("Pay frequency: Weekly", "Currency: GBP", "NET PAY 600.00")
    facts = {f.slot: f.value for f in facts_from_fields(parse_document(lines, "payslip"))}
    assert facts == {"monthly_income": "2600", "currency": "GBP"}  # 600 * 52 / 12


def test_explicit_currency_line_beats_an_ambiguous_symbol() -> None:
    lines = _lines("Currency: CNY", "Net pay 8,500.00")
    fields = {f.name: f.value for f in parse_document(lines, "payslip")}
    assert fields["currency"] == "CNY" and fields["net_pay"] == "8500"


def test_statement_balance() -> None:
    lines = _lines("Currency: EUR", "Opening balance 1.000,00", "Closing balance 1.234,56 EUR")
    fields = {f.name: f.value for f in parse_document(lines, "bank_statement")}
    assert fields == {"account_balance": "1234.56", "currency": "EUR"}


def test_no_fields_for_charts_or_ids() -> None:
    assert parse_document(_lines("Net pay 100"), "line_chart") == []
    assert read_document(render_sample("id_document", 1).image, "id_document") == []
    assert facts_from_fields([Field("employer", "X", 0.9)]) == []


@needs_tesseract
@pytest.mark.parametrize("index", [0, 1])
def test_ocr_of_rendered_payslip_gives_monthly_income(index: int) -> None:
    sample = render_sample("payslip", sample_seed(99, "heldout", index), "heldout")
    fields = read_document(sample.image, "payslip")
    by_name = {f.name: f.value for f in fields}
    assert by_name.get("net_pay") == sample.fields["net_pay"]
    assert by_name.get("currency") == sample.fields["currency"]
    facts = {f.slot: f.value for f in facts_from_fields(fields)}
    per_year = {"monthly": 12, "biweekly": 26, "weekly": 52}[sample.fields["period"]]
    expected = Decimal(sample.fields["net_pay"]) * per_year / 12
    assert Decimal(facts["monthly_income"]) == expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert "," not in facts["monthly_income"]


def test_a_euro_sign_misread_as_8_is_not_the_total() -> None:
    lines = _lines("Currency: EUR", "Balance carried forward 6.711,62 8")
    fields = {f.name: f.value for f in parse_document(lines, "bank_statement")}
    assert fields == {"account_balance": "6711.62", "currency": "EUR"}
    # A single-digit amount after a whole number is kept: nothing says it is a misread symbol.
    assert {f.name: f.value for f in parse_document(_lines("Net pay 12 5"), "payslip")}["net_pay"] == "5"


def test_a_currency_code_with_one_confused_letter_is_repaired() -> None:
    fields = {f.name: f for f in parse_document(_lines("Currency: CHE", "Net pay 4,374.72"), "payslip")}
    assert fields["currency"].value == "CHF" and fields["currency"].confidence < 0.9
    fields = {f.name: f for f in parse_document(_lines("Currency: CHP", "Net pay 4,374.72"), "payslip")}
    assert fields["currency"].value == "CHF"
    # A code we do not know is not bent into a known one (IDR is not INR).
    fields = {f.name: f for f in parse_document(_lines("Currency: IDR", "Net pay 4,374.72"), "payslip")}
    assert "currency" not in fields
