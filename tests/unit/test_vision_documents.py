"""Document text -> fields by label and layout, and the page type from its words (no OCR engine)."""

from __future__ import annotations

from finadvisor.services.vision.documents import (
    NET_PAY_RE,
    Line,
    group_lines,
    labelled_amount,
    parse_document,
    text_type,
)
from finadvisor.services.vision.ocr_engines import Word


def _boxes(*rows: list[tuple[str, int, int]], height: int = 24, gap: int = 40) -> list[Word]:
    """Words laid out in rows: each row a list of (text, x0, x1); row i stands at y = i * gap."""
    out = []
    for i, row in enumerate(rows):
        for text, x0, x1 in row:
            out.append(Word(text, 0.9, x0, i * gap, x1, i * gap + height))
    return out


def test_boxes_group_into_lines_left_to_right() -> None:
    words = _boxes([("Pay", 40, 80), ("frequency:", 90, 200), ("Monthly", 300, 400)],
                   [("Net", 40, 80), ("pay", 90, 130), ("$4,120.00", 600, 720)])
    # A bold amount a few pixels lower still belongs to its label's line.
    words[-1] = Word("$4,120.00", 0.9, 600, 46, 720, 70)
    lines = group_lines(list(reversed(words)))
    assert [ln.text for ln in lines] == ["Pay frequency: Monthly", "Net pay $4,120.00"]
    assert lines[1].words[2][2].text == "$4,120.00" and lines[1].words[2][:2] == (8, 17)


def test_amount_in_the_box_below_the_label() -> None:
    # Summary boxes: three labels on one row, their amounts on the next one.
    words = _boxes([("Gross", 40, 110), ("pay", 115, 160), ("Deductions", 300, 440),
                    ("Take-home", 560, 680), ("pay", 685, 730)],
                   [("£5,200.00", 40, 170), ("£1,080.00", 300, 430), ("£4,120.00", 560, 690)])
    lines = group_lines(words)
    value, currency, _ = labelled_amount(lines, NET_PAY_RE)
    assert str(value) == "4120.00" and currency == "£"
    fields = {f.name: f.value for f in parse_document(lines, "payslip")}
    assert fields["net_pay"] == "4120" and fields["currency"] == "GBP"


def test_a_value_too_far_below_is_not_taken() -> None:
    words = _boxes([("Total", 40, 100), ("net", 105, 150)], [], [], [], [], [], [("999.00", 40, 120)])
    assert labelled_amount(group_lines(words), NET_PAY_RE) is None


def test_new_label_synonyms() -> None:
    for label in ("Total net", "Net amount", "Take home pay", "NET SALARY", "Amount paid"):
        fields = {f.name: f.value for f in parse_document([Line(f"{label}: EUR 2.345,60", 0.9)], "payslip")}
        assert fields["net_pay"] == "2345.60", label


def test_the_page_type_comes_from_its_words() -> None:
    payslip = [Line(t, 0.9) for t in ("Pay advice", "Employee: J. Meyer", "Net salary 2,000.00")]
    statement = [Line(t, 0.9) for t in ("Account statement", "Opening balance 10.00", "Closing balance 12.00")]
    assert text_type(payslip) == "payslip"
    assert text_type(statement) == "bank_statement"
    # One word alone is not enough; nor is a chart's title.
    assert text_type([Line("Portfolio value", 0.9), Line("Net worth", 0.9)]) is None
    assert text_type([Line("Payslip", 0.9)]) is None
    # One word plus the type's key field read from the page is.
    lines = [Line("ACME Ltd", 0.9), Line("Take-home 1,100.00", 0.9)]
    assert text_type(lines) is None
    assert text_type(lines, {"payslip": parse_document(lines, "payslip")}) == "payslip"
