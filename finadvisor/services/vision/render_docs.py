"""Documents of the training renderer: payslips, bank statements, banking-app screens, ID cards."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from PIL import Image, ImageDraw

from finadvisor.services.vision.labels import PERIODS_PER_YEAR
from finadvisor.services.vision.money import canonical_amount
from finadvisor.services.vision.render_base import (
    BALANCE_LABELS,
    BANKS,
    CURRENCIES,
    EMPLOYERS,
    FIRST_NAMES,
    LAST_NAMES,
    MONTHS,
    NET_PAY_LABELS,
    PERIOD_WORDS,
    MoneyFormat,
    RenderedSample,
    _darker,
    _ink,
    _lighten,
    _money,
    _paper,
    _Style,
    _text,
)


# -------------------------------------------------------------------------------------- documents
def _payslip(rng: random.Random, st: _Style) -> RenderedSample:
    w = rng.randint(820, 900)
    h = int(w * rng.uniform(1.25, 1.42))
    img = _paper(rng, w, h)
    d = ImageDraw.Draw(img)
    ink = _ink(rng)
    accent = rng.choice(st.palette)
    size = rng.randint(21, 26)
    m = rng.randint(45, 70)
    currency = rng.choice(CURRENCIES)
    period = rng.choices(("monthly", "biweekly", "weekly"), weights=(6, 2, 2))[0]
    employer = rng.choice(EMPLOYERS)
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    per = PERIODS_PER_YEAR[period]
    net = _money(rng, 14400 / per, 144000 / per)
    tax = _money(rng, float(net) * 0.12, float(net) * 0.3)
    social = _money(rng, float(net) * 0.04, float(net) * 0.09)
    pension = _money(rng, 0, float(net) * 0.06)
    gross = net + tax + social + pension
    bonus = _money(rng, 0, float(gross) * 0.15) if rng.random() < 0.4 else Decimal(0)
    basic = gross - bonus
    money = MoneyFormat.draw(currency, rng)

    y = m
    if rng.random() < 0.5:  # coloured header band
        d.rectangle([0, 0, w, m + size * 2 + 10], fill=accent)
        _text(d, (m, m // 2 + 4), employer, st.bold_font, size + 10, (255, 255, 255))
    else:
        _text(d, (m, y), employer, st.bold_font, size + 10, accent)
    y = m + size * 2 + 30
    title = rng.choice(("PAYSLIP", "Payslip", "Pay Statement", "Salary Slip", "EARNINGS STATEMENT"))
    _text(d, (w - m, y), title, st.bold_font, size + 6, ink, anchor="ra")
    y += size * 2 + 10
    month = rng.choice(MONTHS)
    year = rng.randint(2023, 2026)
    info = [
        ("Employee", name),
        ("Employee ID", f"E{rng.randint(10000, 99999)}"),
        ("Employer", employer),
        ("Pay period", f"{month} {year}"),
        ("Pay frequency", rng.choice(PERIOD_WORDS[period])),
    ]
    if money.style == "plain" or rng.random() < 0.4:
        info.append(("Currency", currency))
    rng.shuffle(info)
    for label, value in info:
        _text(d, (m, y), f"{label}:", st.font, size, ink)
        _text(d, (m + int(size * 8.5), y), value, st.font, size, ink)
        y += int(size * 1.6)
    y += size
    d.line([m, y, w - m, y], fill=accent, width=3)
    y += size // 2
    _text(d, (m, y), "Earnings", st.bold_font, size, ink)
    _text(d, (w - m, y), "Amount", st.bold_font, size, ink, anchor="ra")
    y += int(size * 1.7)
    rows: list[tuple[str, Decimal]] = [("Basic salary", basic)]
    if bonus:
        rows.append(("Bonus", bonus))
    rows.append(("Gross pay", gross))
    rows += [("Income tax", -tax), ("Social security", -social)]
    if pension:
        rows.append(("Pension", -pension))
    for label, amount in rows:
        written = money(abs(amount))
        _text(d, (m, y), label, st.font, size, ink)
        _text(d, (w - m, y), ("-" if amount < 0 else "") + written, st.font, size, ink, anchor="ra")
        y += int(size * 1.6)
    y += size // 2
    d.line([m, y, w - m, y], fill=accent, width=3)
    y += size
    net_label = rng.choice(NET_PAY_LABELS)
    _text(d, (m, y), net_label, st.bold_font, size + 4, ink)
    _text(d, (w - m, y), money(net), st.bold_font, size + 4, ink, anchor="ra")
    y += int(size * 2.6)
    _text(d, (m, min(y, h - m - size)), "This payslip is confidential.", st.font, size - 6, (120, 120, 120))
    fields = {
        "net_pay": canonical_amount(net),
        "currency": currency,
        "period": period,
        "employer": employer,
        "name": name,
    }
    return RenderedSample(img, "payslip", None, fields)


def _statement(rng: random.Random, st: _Style) -> RenderedSample:
    w = rng.randint(840, 920)
    h = int(w * rng.uniform(1.25, 1.42))
    img = _paper(rng, w, h)
    d = ImageDraw.Draw(img)
    ink = _ink(rng)
    accent = rng.choice(st.palette)
    size = rng.randint(19, 24)
    m = rng.randint(40, 60)
    currency = rng.choice(CURRENCIES)
    bank = rng.choice(BANKS)
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    money = MoneyFormat.draw(currency, rng)

    _text(d, (m, m), bank, st.bold_font, size + 12, accent)
    _text(d, (w - m, m + 6), rng.choice(("Account Statement", "STATEMENT", "Bank statement")),
          st.bold_font, size + 4, ink, anchor="ra")
    y = m + size * 3 + 10
    month = rng.choice(MONTHS)
    year = rng.randint(2023, 2026)
    for label, value in (
        ("Account holder", name),
        ("Account number", f"**** **** {rng.randint(1000, 9999)}"),
        ("Statement period", f"{month} {year}"),
        ("Currency", currency),
    ):
        _text(d, (m, y), f"{label}: {value}", st.font, size, ink)
        y += int(size * 1.5)
    y += size
    balance = _money(rng, 200, 25000)
    opening = balance
    cols = (m, m + int(size * 5.5), w - m - int(size * 8.5), w - m)
    d.rectangle([m - 6, y - 4, w - m + 6, y + size + 8], fill=_lighten(accent))
    _text(d, (cols[0], y), "Date", st.bold_font, size, ink)
    _text(d, (cols[1], y), "Description", st.bold_font, size, ink)
    _text(d, (cols[2], y), "Amount", st.bold_font, size, ink, anchor="ra")
    _text(d, (cols[3], y), "Balance", st.bold_font, size, ink, anchor="ra")
    y += int(size * 1.8)
    descriptions = ("Card payment GROCER", "Transfer to savings", "Salary", "Rent", "Utilities",
                    "Cash withdrawal", "Online shop", "Insurance", "Restaurant", "Phone bill")
    n_rows = rng.randint(6, 11)
    for i in range(n_rows):
        amount = _money(rng, 5, 900) * (1 if rng.random() < 0.3 else -1)
        if balance + amount < 0:  # keep the account in credit: one sign convention to read
            amount = -amount
        balance += amount
        _text(d, (cols[0], y), f"{min(i * 3 + 1, 28):02d} {month[:3]}", st.font, size - 2, ink)
        _text(d, (cols[1], y), rng.choice(descriptions), st.font, size - 2, ink)
        _text(d, (cols[2], y), f"{amount:,.2f}", st.font, size - 2, ink, anchor="ra")
        _text(d, (cols[3], y), f"{balance:,.2f}", st.font, size - 2, ink, anchor="ra")
        y += int(size * 1.45)
    y += size
    d.line([m, y, w - m, y], fill=accent, width=2)
    y += size // 2
    _text(d, (m, y), "Opening balance", st.font, size, ink)
    _text(d, (w - m, y), money(opening), st.font, size, ink, anchor="ra")
    y += int(size * 1.6)
    _text(d, (m, y), rng.choice(BALANCE_LABELS), st.bold_font, size + 2, ink)
    _text(d, (w - m, y), money(balance), st.bold_font, size + 2, ink, anchor="ra")
    fields = {"account_balance": canonical_amount(balance), "currency": currency, "name": name}
    return RenderedSample(img, "bank_statement", None, fields)


def _id_document(rng: random.Random, st: _Style) -> RenderedSample:
    w = rng.randint(780, 860)
    h = int(w / 1.586)  # ID-1 card aspect ratio
    base = _lighten(rng.choice(st.palette), rng.uniform(0.55, 0.85))
    img = Image.new("RGB", (w, h), base)
    d = ImageDraw.Draw(img)
    accent = rng.choice(st.palette)
    ink = _ink(rng)
    # Guilloche-like background waves, the pattern that tells an ID card from a letter.
    for k in range(rng.randint(6, 14)):
        amp, ph, fr = rng.uniform(8, 30), rng.uniform(0, 6.28), rng.uniform(0.01, 0.03)
        y0 = rng.uniform(0, h)
        pts = [(x, y0 + amp * math.sin(fr * x + ph + k)) for x in range(0, w, 6)]
        d.line(pts, fill=_lighten(accent, 0.5), width=1)
    band = rng.randint(60, 80)
    d.rectangle([0, 0, w, band], fill=accent)
    _text(d, (24, band // 2), rng.choice(("IDENTITY CARD", "RESIDENCE PERMIT", "DRIVING LICENCE",
                                          "NATIONAL ID")), st.bold_font, 30, (255, 255, 255), "lm")
    # Photo placeholder: a silhouette on a plain background.
    px0, py0 = 30, band + 25
    pw, ph_ = int(w * 0.27), int(h * 0.55)
    d.rectangle([px0, py0, px0 + pw, py0 + ph_], fill=(200, 205, 210), outline=ink, width=2)
    cx = px0 + pw // 2
    d.ellipse([cx - pw // 5, py0 + ph_ // 6, cx + pw // 5, py0 + ph_ // 6 + pw // 2.5], fill=(120, 120, 130))
    d.ellipse([cx - pw // 2.6, py0 + ph_ * 0.62, cx + pw // 2.6, py0 + ph_ * 1.25], fill=(120, 120, 130))
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    x = px0 + pw + 30
    y = band + 24
    size = rng.randint(20, 25)
    for label, value in (
        ("Surname", last.upper()),
        ("Given names", first),
        ("Date of birth", f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1950, 2005)}"),
        ("Document no.", f"{rng.choice('ABCDEFGHJK')}{rng.randint(1000000, 9999999)}"),
        ("Expiry", f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2027, 2035)}"),
    ):
        _text(d, (x, y), label, st.font, size - 8, _darker(accent))
        _text(d, (x, y + size - 6), value, st.bold_font, size, ink)
        y += int(size * 2.0)
    mrz_y = h - 60
    mrz = f"IDXXX{last.upper()}<<{first.upper()}".ljust(30, "<")[:30]
    _text(d, (24, mrz_y), mrz, st.font, 22, ink)
    return RenderedSample(img, "id_document", None, {"name": f"{first} {last}"})


