"""Page layout before OCR: deskew, text rows, the figure region, and the full-page fallback.

Real renders and real Tesseract runs: the figure region must still hold every field the slots
need (net pay or balance, currency, pay frequency) while the itemised table is left out.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from finadvisor.services.vision.ocr import (
    Line,
    TextRow,
    _estimate_skew,
    figure_region,
    figure_rows,
    ocr_lines,
    ocr_status,
    parse_document,
    prepare_for_ocr,
    read_document,
    text_rows,
)
from finadvisor.services.vision.render import render_sample, sample_seed

OCR_OK, OCR_DETAIL = ocr_status()
needs_tesseract = pytest.mark.skipif(not OCR_OK, reason=f"OCR unavailable here: {OCR_DETAIL}")


def _on_desk(img: Image.Image, angle: float, desk: int) -> Image.Image:
    """A clean page photographed on a desk of gray level ``desk``, tilted by ``angle`` degrees."""
    gray = ImageOps.grayscale(img)
    canvas = Image.new("L", (gray.width + 120, gray.height + 120), desk)
    canvas.paste(gray, (60, 60))
    return canvas.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=desk)


@pytest.mark.parametrize(("angle", "desk"), [(-2.5, 40), (1.3, 120), (0.0, 180), (3.2, 200)])
def test_skew_is_measured_on_a_page_on_any_desk(angle: float, desk: int) -> None:
    page = render_sample("payslip", sample_seed(5, "heldout", 0), "heldout", degrade=0).image
    estimate = _estimate_skew(_on_desk(page, angle, desk))
    # The estimate is the rotation that undoes the tilt.
    assert abs(estimate + angle) <= 0.3


def test_text_rows_of_a_clean_statement() -> None:
    sample = render_sample("bank_statement", sample_seed(8, "heldout", 0), "heldout", degrade=0)
    gray = ImageOps.grayscale(sample.image)
    rows = text_rows(gray)
    # Bank/title row, 4 header lines, the table header, 6-11 transactions, opening and closing.
    assert 13 <= len(rows) <= 18
    assert all(r.y1 <= s.y0 for r, s in zip(rows, rows[1:]))  # top to bottom, disjoint
    assert all(0 <= r.x0 < r.x1 <= gray.width for r in rows)


def _row(y: int, x1: int, x0: int = 50) -> TextRow:
    return TextRow(y, y + 20, x0, x1)


def test_figure_rows_keep_the_header_and_the_total_only() -> None:
    rows = [
        _row(0, 300),  # employer heading
        _row(40, 800, x0=700),  # title, right-aligned at the top
        _row(80, 400), _row(120, 350), _row(160, 380),  # "Label: value" header lines
        _row(200, 801), _row(240, 799), _row(280, 800), _row(320, 800),  # itemised rows
        _row(380, 802),  # the total
        _row(420, 250),  # footer
    ]
    assert figure_rows(rows, 860) == [0, 2, 3, 4, 8, 9]
    assert figure_rows(rows, 860, keep_last=1) == [0, 2, 3, 4, 9]


def test_figure_rows_ignore_a_row_that_sticks_out_alone() -> None:
    # A speck or a band edge reaching further right than the text must not become "the margin".
    rows = [_row(0, 300), _row(40, 900), _row(80, 800), _row(120, 800), _row(160, 801)]
    assert figure_rows(rows, 920) == [0, 1, 3, 4]


def test_figure_rows_without_amount_columns_keep_everything() -> None:
    rows = [_row(0, 300), _row(40, 420), _row(80, 380)]
    # No right end is shared by two rows: no table, no total; the whole page is read.
    assert figure_rows(rows, 800) == [0, 1, 2]
    assert figure_rows([], 800) == []


def _texts(lines: list[Line]) -> str:
    return "\n".join(line.text for line in lines).lower()


@needs_tesseract
@pytest.mark.parametrize("index", [0, 3])
def test_figure_region_of_a_payslip_holds_its_fields_not_its_table(index: int) -> None:
    sample = render_sample("payslip", sample_seed(31, "heldout", index), "heldout")
    prepared = prepare_for_ocr(sample.image)
    region = figure_region(prepared)
    assert region is not None and region.height < prepared.height / 2
    lines = ocr_lines(region)
    fields = {f.name: f.value for f in parse_document(lines, "payslip")}
    assert fields.get("net_pay") == sample.fields["net_pay"]
    assert fields.get("currency") == sample.fields["currency"]
    assert fields.get("period") == sample.fields["period"]
    text = _texts(lines)
    assert "basic salary" not in text and "gross pay" not in text


@needs_tesseract
@pytest.mark.parametrize("index", [0, 5])
def test_figure_region_of_a_statement_holds_its_balance_not_its_transactions(index: int) -> None:
    sample = render_sample("bank_statement", sample_seed(31, "heldout", index), "heldout")
    lines = ocr_lines(figure_region(prepare_for_ocr(sample.image)))  # type: ignore[arg-type]  # the region exists on these pages
    fields = {f.name: f.value for f in parse_document(lines, "bank_statement")}
    assert fields == {"account_balance": sample.fields["account_balance"],
                      "currency": sample.fields["currency"]}
    assert len(lines) <= 8  # header lines, opening and closing balance; no transactions


def _left_aligned_total_page() -> Image.Image:
    """A page whose net pay is written under the table, flush left: outside the figure rows."""
    img = Image.new("RGB", (860, 900), (250, 250, 248))
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(24)
    y = 60
    for text in ("Employer: Harbor Street Bakery", "Pay frequency: Monthly", "Currency: GBP"):
        d.text((60, y), text, font=font, fill=(20, 20, 20))
        y += 44
    y += 20
    for label, amount in (("Basic salary", "3,900.00"), ("Income tax", "-610.00"), ("Pension", "-90.00")):
        d.text((60, y), label, font=font, fill=(20, 20, 20))
        d.text((800, y), amount, font=font, fill=(20, 20, 20), anchor="ra")
        y += 44
    d.text((60, y + 30), "Net pay: GBP 3,200.00 this month", font=font, fill=(20, 20, 20))
    return img


@needs_tesseract
def test_a_total_outside_the_figure_rows_is_found_by_reading_the_whole_page() -> None:
    page = _left_aligned_total_page()
    region_lines = ocr_lines(figure_region(prepare_for_ocr(page)))  # type: ignore[arg-type]  # the region exists on these pages
    assert "net pay" not in _texts(region_lines)  # the region alone misses it ...
    fields = {f.name: f.value for f in read_document(page, "payslip")}
    assert fields.get("net_pay") == "3200"  # ... so the page is read whole
    assert fields.get("currency") == "GBP" and fields.get("period") == "monthly"


@needs_tesseract
def test_charts_and_ids_are_not_read() -> None:
    for kind in ("line_chart", "bar_chart", "pie_chart", "candlestick_chart", "id_document", "other"):
        assert read_document(render_sample(kind, sample_seed(2, "heldout", 0), "heldout").image, kind) == []


def test_rows_are_found_at_any_resolution() -> None:
    page = ImageOps.grayscale(render_sample("payslip", sample_seed(9, "heldout", 1), "heldout", degrade=0).image)
    big = page.resize((page.width * 4, page.height * 4), Image.Resampling.BILINEAR)  # a 4x phone photo
    small_rows, big_rows = text_rows(page), text_rows(big)
    assert len(big_rows) == len(small_rows) >= 12
    assert figure_rows(big_rows, big.width) == figure_rows(small_rows, page.width)
    for a, b in zip(small_rows, big_rows):
        assert abs(b.y0 / 4 - a.y0) <= 4 and abs(b.x1 / 4 - a.x1) <= 4
