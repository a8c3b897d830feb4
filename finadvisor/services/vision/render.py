"""Seeded renderer of the images customers send a bank: payslips, bank statements, ID-document
fronts (fake names) and financial charts, each with its labels.

Why a renderer: no image data set may be downloaded, so the vision model learns from pictures the
project draws itself. Every sample is a pure function of ``(image_type, seed, split)``: the same
call gives the same pixels, so training and evaluation are reproducible.

Two disjoint style pools exist. ``split="train"`` draws fonts, colour palettes and chart styles
from the training pool; ``split="heldout"`` draws from another pool (other typefaces, palettes,
marker and grid styles), so held-out accuracy measures generalisation to unseen styles rather than
memorised pixels. Both splits then pass through the same "phone photo" degradations: rotation,
uneven lighting, blur, sensor noise, crops and JPEG compression.

Only PIL and numpy are used (no matplotlib): charts are drawn in pixel space, which keeps the
trend label exact (the series is placed on the canvas, so "flat" is flat as seen on the chart).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from finadvisor.services.vision.labels import IMAGE_TYPES, PERIODS_PER_YEAR, TRENDS
from finadvisor.services.vision.money import canonical_amount

SPLITS = ("train", "heldout")
FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
# Font file names (without extension) of each style pool. A file that is not installed is skipped;
# the PIL default font (Aileron, shipped with Pillow) is always in the held-out pool, so both
# pools are non-empty on any machine that has the DejaVu fonts Pillow-based setups carry.
TRAIN_FONTS = (
    "DejaVuSans",
    "DejaVuSans-Bold",
    "DejaVuSerif",
    "DejaVuSansMono",
    "DejaVuSansCondensed",
    "DejaVuSans-Oblique",
    "DejaVuSerif-Bold",
)
HELDOUT_FONTS = (
    "DejaVuSerifCondensed",
    "DejaVuSerifCondensed-Bold",
    "DejaVuSansCondensed-Bold",
    "DejaVuSansMono-Bold",
    "LiberationSans-Regular",
    "LiberationSerif-Regular",
    "LiberationMono-Regular",
    "LiberationSans-Bold",
    "LiberationSansNarrow-Regular",
)
PIL_DEFAULT = "<pil-default>"

RGB = tuple[int, int, int]
TRAIN_PALETTES: tuple[tuple[RGB, ...], ...] = (
    ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)),
    ((0, 63, 92), (88, 80, 141), (188, 80, 144), (255, 99, 97), (255, 166, 0), (47, 75, 124)),
    ((27, 158, 119), (217, 95, 2), (117, 112, 179), (231, 41, 138), (102, 166, 30), (230, 171, 2)),
    ((40, 40, 40), (90, 90, 90), (140, 140, 140), (60, 110, 160), (170, 60, 60), (200, 200, 200)),
)
HELDOUT_PALETTES: tuple[tuple[RGB, ...], ...] = (
    ((0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (213, 94, 0)),
    ((102, 194, 165), (252, 141, 98), (141, 160, 203), (231, 138, 195), (166, 216, 84), (255, 217, 47)),
    ((128, 0, 64), (0, 96, 96), (160, 96, 0), (64, 64, 160), (96, 128, 0), (180, 40, 100)),
)

CURRENCY_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}
CURRENCIES = ("USD", "EUR", "GBP", "CNY", "CHF")
FIRST_NAMES = (
    "Alex", "Maria", "Jonas", "Priya", "Chen", "Fatima", "Lukas", "Sofia", "Omar", "Hannah",
    "Mateo", "Aiko", "Noah", "Elena", "Kwame", "Ingrid", "Ravi", "Lucia", "Tomasz", "Amara",
)
LAST_NAMES = (
    "Keller", "Novak", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Brennan", "Haddad",
    "Kowalski", "Fischer", "Dubois", "Rossi", "Nakamura", "Mensah", "Varga", "Ortega", "Berg",
)
EMPLOYERS = (
    "Northwind Logistics Ltd", "Bluebay Health Services", "Orchard Software GmbH",
    "Harbor Street Bakery", "Summit Engineering Inc", "Greenfield Retail plc",
    "Riverside Dental Care", "Atlas Freight Co", "Lumen Media Group", "Cedar Hill School",
    "Pioneer Solar SA", "Maple Leaf Consulting", "Quarry Road Builders", "Silverline Telecom",
)
BANKS = (
    "First Meridian Bank", "Crescent Savings Bank", "Union Harbour Bank", "Alpine Credit Union",
    "Beacon Trust Bank", "Evergreen Mutual",
)
NET_PAY_LABELS = ("Net pay", "NET PAY", "Net Pay:", "Take-home pay", "Net salary", "Amount paid")
BALANCE_LABELS = ("Closing balance", "CLOSING BALANCE", "Ending balance", "Balance carried forward")
PERIOD_WORDS = {"monthly": ("Monthly",), "biweekly": ("Fortnightly", "Bi-weekly"), "weekly": ("Weekly",)}
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)


@dataclass
class RenderedSample:
    """One rendered picture and its ground truth."""

    image: Image.Image
    image_type: str
    # rising / falling / flat / volatile for line and candlestick charts, else None.
    chart_trend: str | None = None
    # Document fields in canonical form: net_pay, currency, period, employer, account_balance, name.
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Style:
    """Typeface, palette and chart-drawing choices of one sample."""

    font: str
    bold_font: str
    palette: tuple[RGB, ...]
    heldout: bool


# ----------------------------------------------------------------------------------------- fonts
def _font_path(name: str) -> str | None:
    for base in FONT_DIRS:
        if base.is_dir():
            for ext in (".ttf", ".otf"):
                hits = sorted(base.rglob(name + ext))
                if hits:
                    return str(hits[0])
    return None


@lru_cache(maxsize=1)
def font_pools() -> dict[str, tuple[str, ...]]:
    """Installed fonts of each split's pool (file paths, or PIL_DEFAULT)."""
    train = tuple(p for p in (_font_path(n) for n in TRAIN_FONTS) if p)
    heldout = tuple(p for p in (_font_path(n) for n in HELDOUT_FONTS) if p) + (PIL_DEFAULT,)
    if not train:
        train = (PIL_DEFAULT,)
    return {"train": train, "heldout": heldout}


@lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path == PIL_DEFAULT:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


def _style(rng: random.Random, split: str) -> _Style:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    fonts = font_pools()[split]
    palettes = TRAIN_PALETTES if split == "train" else HELDOUT_PALETTES
    font = rng.choice(fonts)
    bold = rng.choice(fonts)
    return _Style(font=font, bold_font=bold, palette=rng.choice(palettes), heldout=split == "heldout")


# ----------------------------------------------------------------------------------------- money
def _group(int_part: int, sep: str) -> str:
    s = f"{int_part:,}"
    return s.replace(",", sep)


@dataclass(frozen=True)
class MoneyFormat:
    """How one document writes amounts; chosen once per document so its amounts agree."""

    currency: str
    style: str  # symbol, code_prefix, code_suffix, plain
    thousands: str
    decimal: str

    @classmethod
    def draw(cls, currency: str, rng: random.Random) -> MoneyFormat:
        eu = currency in ("EUR", "CHF") and rng.random() < 0.5
        thousands, dec = ((".", ",") if rng.random() < 0.7 else (" ", ",")) if eu else (",", ".")
        styles = ["code_prefix", "code_suffix", "plain"] + (["symbol"] * 3 if currency in CURRENCY_SYMBOL else [])
        return cls(currency, rng.choice(styles), thousands, dec)

    def __call__(self, value: Decimal) -> str:
        """Write an amount the way documents do: $3,850.00, 3.850,00 €, EUR 3.850,00, 3,850.00 GBP."""
        q = abs(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        whole = int(q)
        cents = int((q - whole) * 100)
        number = f"{_group(whole, self.thousands)}{self.decimal}{cents:02d}"
        symbol = CURRENCY_SYMBOL.get(self.currency)
        if self.style == "symbol" and symbol:
            return f"{number} {symbol}" if self.decimal == "," else f"{symbol}{number}"
        if self.style == "code_prefix":
            return f"{self.currency} {number}"
        if self.style == "code_suffix":
            return f"{number} {self.currency}"
        return number


def _money(rng: random.Random, lo: float, hi: float, whole_prob: float = 0.4) -> Decimal:
    cents = 0 if rng.random() < whole_prob else rng.randint(1, 99)
    return Decimal(rng.randint(int(lo), int(hi))) + Decimal(cents) / 100


# ---------------------------------------------------------------------------------------- drawing
def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font_path: str, size: int,
          fill: RGB, anchor: str = "la") -> tuple[int, int, int, int]:
    font = _font(font_path, size)
    draw.text(xy, text, font=font, fill=fill, anchor=anchor)
    return tuple(int(v) for v in draw.textbbox(xy, text, font=font, anchor=anchor))  # type: ignore[return-value]


def _paper(rng: random.Random, w: int, h: int) -> Image.Image:
    tone = rng.randint(238, 255)
    tint = (tone, tone - rng.randint(0, 6), tone - rng.randint(0, 12))
    return Image.new("RGB", (w, h), tint)


def _ink(rng: random.Random) -> RGB:
    v = rng.randint(0, 50)
    return (v, v, v + rng.randint(0, 30))


def _darker(c: RGB, f: float = 0.6) -> RGB:
    return (int(c[0] * f), int(c[1] * f), int(c[2] * f))


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


def _lighten(c: RGB, f: float = 0.8) -> RGB:
    return tuple(int(v + (255 - v) * f) for v in c)  # type: ignore[return-value]


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


# ----------------------------------------------------------------------------------------- charts
def trend_series(rng: np.random.Generator, trend: str, n: int) -> np.ndarray:
    """A series in plot units (0 bottom .. 1 top of the plot area) that shows ``trend``.

    The class definitions are visual and disjoint: rising/falling move at least ~0.35 of the plot
    height from start to end with moderate noise; flat stays in a band of at most ~0.12; volatile
    swings over at least ~0.45 yet ends near where it started.
    """
    t = np.linspace(0.0, 1.0, n)  # [n]
    if trend in ("rising", "falling"):
        start = rng.uniform(0.08, 0.35)
        end = rng.uniform(0.65, 0.92)
        curve = rng.uniform(0.6, 1.6)
        base = start + (end - start) * t**curve
        noise = rng.normal(0, rng.uniform(0.01, 0.045), n)
        y = base + noise
        if trend == "falling":
            y = 1.0 - y
    elif trend == "flat":
        level = rng.uniform(0.3, 0.7)
        y = level + rng.normal(0, rng.uniform(0.004, 0.02), n) + rng.uniform(-0.03, 0.03) * t
    elif trend == "volatile":
        level = rng.uniform(0.4, 0.6)
        amp = rng.uniform(0.22, 0.36)
        freq = rng.uniform(2.5, 6.0)
        y = level + amp * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6.28))
        y += rng.normal(0, amp * 0.45, n)
        y += (level - y[-1]) * t**4 * 0.5  # drift the end back near the start level
    else:
        raise ValueError(f"unknown trend {trend!r}")
    return np.clip(y, 0.03, 0.97)


def _chart_canvas(rng: random.Random, st: _Style) -> tuple[Image.Image, ImageDraw.ImageDraw, tuple[int, int, int, int], RGB]:
    w = rng.randint(600, 760)
    h = int(w * rng.uniform(0.58, 0.78))
    if st.heldout:
        bg = rng.choice([(255, 255, 255), (246, 248, 252), (252, 250, 242), (240, 244, 240)])
    else:
        bg = rng.choice([(255, 255, 255), (250, 250, 250), (244, 246, 250)])
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    left = rng.randint(60, 90)
    box = (left, rng.randint(50, 70), w - rng.randint(20, 40), h - rng.randint(45, 65))
    return img, d, box, bg


def _axes(rng: random.Random, st: _Style, d: ImageDraw.ImageDraw, box: tuple[int, int, int, int],
          vmin: float, vmax: float, title: str, n_x: int) -> None:
    x0, y0, x1, y1 = box
    ink = _ink(rng)
    grid = (215, 215, 215)
    n_ticks = rng.randint(4, 6)
    dotted = st.heldout and rng.random() < 0.6
    show_grid = rng.random() < 0.7
    for i in range(n_ticks + 1):
        yy = y1 - (y1 - y0) * i / n_ticks
        if show_grid:
            if dotted:
                for xx in range(x0, x1, 8):
                    d.point((xx, yy), fill=(180, 180, 180))
            else:
                d.line([x0, yy, x1, yy], fill=grid, width=1)
        val = vmin + (vmax - vmin) * i / n_ticks
        _text(d, (x0 - 8, yy), f"{val:,.0f}", st.font, 14, ink, anchor="rm")
    d.line([x0, y0, x0, y1], fill=ink, width=2)
    d.line([x0, y1, x1, y1], fill=ink, width=2)
    for i in range(0, 5):
        tick_x = x0 + (x1 - x0) * i / 4
        _text(d, (tick_x, y1 + 8), rng.choice(MONTHS)[:3] if n_x > 12 else f"Q{i + 1}", st.font, 14, ink, "ma")
    _text(d, ((x0 + x1) / 2, y0 - 14), title, st.bold_font, 20, ink, anchor="md")


def _value_range(rng: random.Random) -> tuple[float, float]:
    lo = rng.choice((0, 50, 100, 1000, 2000, 10000))
    span = rng.choice((50, 100, 500, 1000, 5000, 20000))
    return float(lo), float(lo + span)


def _line_chart(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    trend = rng.choice(TRENDS)
    img, d, box, _ = _chart_canvas(rng, st)
    x0, y0, x1, y1 = box
    vmin, vmax = _value_range(rng)
    title = rng.choice(("Portfolio value", "Share price", "Savings balance", "Fund NAV", "Index level"))
    n = rng.randint(24, 120)
    _axes(rng, st, d, box, vmin, vmax, title, n)
    ys = trend_series(nrng, trend, n)
    pts = [(x0 + (x1 - x0) * i / (n - 1), y1 - (y1 - y0) * float(v)) for i, v in enumerate(ys)]
    colour = rng.choice(st.palette)
    width = rng.randint(2, 4)
    if not st.heldout and rng.random() < 0.3:  # filled area under the line (training style)
        d.polygon(pts + [(x1, y1), (x0, y1)], fill=_lighten(colour, 0.75))
    d.line(pts, fill=colour, width=width, joint="curve")
    if st.heldout and rng.random() < 0.6:  # markers (held-out style)
        r = width + 1
        for px, py in pts[:: max(1, n // 20)]:
            d.ellipse([px - r, py - r, px + r, py + r], outline=colour, width=2)
    return RenderedSample(img, "line_chart", trend, {})


def _candlestick(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    trend = rng.choice(TRENDS)
    img, d, box, bg = _chart_canvas(rng, st)
    x0, y0, x1, y1 = box
    vmin, vmax = _value_range(rng)
    n = rng.randint(18, 48)
    _axes(rng, st, d, box, vmin, vmax, rng.choice(("Daily price", "OHLC", "Stock price", "FX rate")), n)
    close = trend_series(nrng, trend, n + 1)  # [n+1]: opens are the previous closes
    up_c, down_c = ((38, 166, 91), (214, 54, 56)) if not st.heldout else ((0, 128, 160), (230, 120, 0))
    if rng.random() < 0.25:
        up_c, down_c = (60, 60, 60), (20, 20, 20)
    step = (x1 - x0) / n
    bw = max(2.0, step * rng.uniform(0.45, 0.75))
    for i in range(n):
        o, c = float(close[i]), float(close[i + 1])
        hi = max(o, c) + abs(nrng.normal(0, 0.02))
        lo = min(o, c) - abs(nrng.normal(0, 0.02))
        cx = x0 + step * (i + 0.5)
        col = up_c if c >= o else down_c
        to_y = lambda v: y1 - (y1 - y0) * min(max(v, 0.0), 1.0)  # noqa: E731
        d.line([cx, to_y(hi), cx, to_y(lo)], fill=col, width=1)
        top, bot = to_y(max(o, c)), to_y(min(o, c))
        hollow = st.heldout and c >= o
        d.rectangle([cx - bw / 2, top, cx + bw / 2, max(bot, top + 1)], fill=bg if hollow else col,
                    outline=col)
    return RenderedSample(img, "candlestick_chart", trend, {})


def _bar_chart(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    img, d, box, _ = _chart_canvas(rng, st)
    x0, y0, x1, y1 = box
    cats = rng.sample(["Stocks", "Bonds", "Cash", "Property", "Gold", "Crypto", "Funds", "Pension"],
                      rng.randint(3, 7))
    vals = nrng.dirichlet(np.ones(len(cats))) * 100  # [k] percent
    ink = _ink(rng)
    horizontal = rng.random() < 0.35
    vmax = float(np.ceil(vals.max() / 10) * 10)
    d.line([x0, y0, x0, y1], fill=ink, width=2)
    d.line([x0, y1, x1, y1], fill=ink, width=2)
    _text(d, ((x0 + x1) / 2, y0 - 14), rng.choice(("Asset allocation", "Portfolio mix", "Spending by category")),
          st.bold_font, 20, ink, anchor="md")
    k = len(cats)
    single = rng.random() < 0.4
    for i, (cat, v) in enumerate(zip(cats, vals)):
        col = st.palette[0] if single else st.palette[i % len(st.palette)]
        if horizontal:
            slot = (y1 - y0) / k
            top = y0 + slot * i + slot * 0.15
            right = x0 + (x1 - x0) * float(v) / vmax
            d.rectangle([x0 + 1, top, max(right, x0 + 3), top + slot * 0.7], fill=col)
            _text(d, (x0 - 6, top + slot * 0.35), cat, st.font, 13, ink, anchor="rm")
        else:
            slot = (x1 - x0) / k
            left = x0 + slot * i + slot * 0.15
            top = y1 - (y1 - y0) * float(v) / vmax
            d.rectangle([left, min(top, y1 - 3), left + slot * 0.7, y1 - 1], fill=col)
            _text(d, (left + slot * 0.35, y1 + 8), cat, st.font, 13, ink, anchor="ma")
            _text(d, (left + slot * 0.35, top - 4), f"{v:.0f}%", st.font, 13, ink, anchor="md")
    return RenderedSample(img, "bar_chart", None, {})


def _pie_chart(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    img, d, box, bg = _chart_canvas(rng, st)
    x0, y0, x1, y1 = box
    ink = _ink(rng)
    cats = rng.sample(["Stocks", "Bonds", "Cash", "Property", "Gold", "Funds", "Savings"], rng.randint(3, 6))
    vals = nrng.dirichlet(np.ones(len(cats)) * 1.5)  # [k] shares summing to 1
    r = min(x1 - x0, y1 - y0) * rng.uniform(0.38, 0.48)
    cx = x0 + (x1 - x0) * rng.uniform(0.3, 0.45)
    cy = (y0 + y1) / 2 + 10
    start = rng.uniform(0, 360)
    for i, v in enumerate(vals):
        ext = float(v) * 360
        d.pieslice([cx - r, cy - r, cx + r, cy + r], start, start + ext, fill=st.palette[i % len(st.palette)],
                   outline=bg, width=2)
        start += ext
    if rng.random() < 0.35:  # donut
        ri = r * rng.uniform(0.4, 0.6)
        d.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], fill=bg)
    lx = cx + r + 40
    for i, (cat, v) in enumerate(zip(cats, vals)):
        ly = y0 + 20 + i * 30
        d.rectangle([lx, ly, lx + 18, ly + 18], fill=st.palette[i % len(st.palette)])
        _text(d, (lx + 26, ly + 9), f"{cat} {v * 100:.0f}%", st.font, 15, ink, anchor="lm")
    _text(d, ((x0 + x1) / 2, y0 - 14), rng.choice(("Allocation", "Portfolio breakdown", "Holdings")),
          st.bold_font, 20, ink, anchor="md")
    return RenderedSample(img, "pie_chart", None, {})


def _other(rng: random.Random, st: _Style, nrng: np.random.Generator) -> RenderedSample:
    """Pictures that are none of the above: scenes of shapes, gradients, textures."""
    w, h = rng.randint(500, 800), rng.randint(400, 800)
    kind = rng.choice(("shapes", "gradient", "texture", "scene"))
    if kind == "texture":
        arr = nrng.normal(128, rng.uniform(20, 60), (h // 8, w // 8, 3)).clip(0, 255).astype(np.uint8)
        img = Image.fromarray(arr).resize((w, h), Image.Resampling.BICUBIC)
        return RenderedSample(img, "other", None, {})
    c1 = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    c2 = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]  # [h,1,1]
    arr = (c1 * (1 - t) + c2 * t) * np.ones((1, w, 1), dtype=np.float32)  # [h,w,3]
    img = Image.fromarray(arr.astype(np.uint8))
    d = ImageDraw.Draw(img)
    if kind in ("shapes", "scene"):
        for _ in range(rng.randint(3, 14)):
            col = tuple(rng.randint(0, 255) for _ in range(3))
            a, b = rng.randint(0, w), rng.randint(0, h)
            s = rng.randint(20, 200)
            shape = rng.choice(("ellipse", "rect", "poly"))
            if shape == "ellipse":
                d.ellipse([a, b, a + s, b + s * rng.uniform(0.5, 1.5)], fill=col)
            elif shape == "rect":
                d.rectangle([a, b, a + s, b + s * rng.uniform(0.3, 1.5)], fill=col)
            else:
                d.polygon([(a + rng.randint(-s, s), b + rng.randint(-s, s)) for _ in range(rng.randint(3, 6))], fill=col)
    if kind == "scene":  # a horizon and a "sun"
        hy = rng.randint(h // 3, 2 * h // 3)
        d.rectangle([0, hy, w, h], fill=tuple(rng.randint(30, 160) for _ in range(3)))
    return RenderedSample(img, "other", None, {})


_RENDERERS = {
    "line_chart": _line_chart,
    "candlestick_chart": _candlestick,
    "bar_chart": _bar_chart,
    "pie_chart": _pie_chart,
    "other": _other,
}


# ----------------------------------------------------------------------------------- degradation
def photo_degrade(img: Image.Image, rng: random.Random, nrng: np.random.Generator, document: bool,
                  strength: float = 1.0) -> Image.Image:
    """Make a clean render look like a phone photo or a scan sent by a customer.

    Document degradations stay mild enough that a printed amount remains legible (the OCR reads it
    at full resolution); ``strength`` scales all of them (0 = clean).
    """
    if strength <= 0:
        return img
    w, h = img.size
    fill: Any
    if rng.random() < 0.5 * strength:  # photographed on a desk: margin of background
        pad = int(min(w, h) * rng.uniform(0.02, 0.08))
        desk = tuple(rng.randint(60, 200) for _ in range(3))
        canvas = Image.new("RGB", (w + 2 * pad, h + 2 * pad), desk)
        canvas.paste(img, (pad, pad))
        img, fill = canvas, desk
    else:
        fill = img.getpixel((1, 1))
    max_rot = (2.0 if document else 4.0) * strength
    if rng.random() < 0.7:
        img = img.rotate(rng.uniform(-max_rot, max_rot), resample=Image.Resampling.BILINEAR, expand=True,
                         fillcolor=fill)
    w, h = img.size
    max_crop = 0.03 if document else 0.06
    left, top = int(w * rng.uniform(0, max_crop) * strength), int(h * rng.uniform(0, max_crop) * strength)
    right, bottom = int(w * rng.uniform(0, max_crop) * strength), int(h * rng.uniform(0, max_crop) * strength)
    img = img.crop((left, top, w - right, h - bottom))
    arr = np.asarray(img, dtype=np.float32)  # [H,W,3]
    H, W = arr.shape[:2]
    if rng.random() < 0.6 * strength:  # uneven lighting: a linear shadow across the page
        gx, gy = nrng.uniform(-1, 1, 2)
        yy = np.arange(H, dtype=np.float32)[:, None] / H  # [H,1]
        xx = np.arange(W, dtype=np.float32)[None, :] / W  # [1,W]
        ramp = gx * xx + gy * yy  # [H,W]
        ramp = (ramp - ramp.min()) / (np.ptp(ramp) + 1e-6)  # [H,W] in 0..1
        dark = rng.uniform(0.0, 0.28) * strength
        arr = arr * (1.0 - dark * ramp)[..., None]
    if rng.random() < 0.6 * strength:
        # Luminance noise: one value per pixel shared by the channels (a third of the cost).
        arr = arr + nrng.standard_normal((H, W, 1), dtype=np.float32) * (rng.uniform(2, 9) * strength)
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if rng.random() < 0.4 * strength:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0 if document else 1.4)))
    if rng.random() < 0.85:
        q = rng.randint(40 if document else 30, 95)
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=q)
        buf.seek(0)
        img = Image.open(buf)
        img.load()
        img = img.convert("RGB")
    return img


# -------------------------------------------------------------------------------------------- API
def sample_seed(seed: int, split: str, index: int) -> int:
    """Seed of the index-th sample of a split; splits never share a seed."""
    return (seed * 1_000_003 + SPLITS.index(split) * 7_919_017 + index * 104_729) % (2**31 - 1)


def render_sample(image_type: str, seed: int, split: str = "train", degrade: float = 1.0) -> RenderedSample:
    """Render one labelled image; a pure function of its arguments."""
    if image_type not in IMAGE_TYPES:
        raise ValueError(f"unknown image type {image_type!r}")
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    st = _style(rng, split)
    if image_type == "payslip":
        sample = _payslip(rng, st)
    elif image_type == "bank_statement":
        sample = _statement(rng, st)
    elif image_type == "id_document":
        sample = _id_document(rng, st)
    else:
        sample = _RENDERERS[image_type](rng, st, nrng)
    document = image_type in ("payslip", "bank_statement", "id_document")
    sample.image = photo_degrade(sample.image, rng, nrng, document, degrade)
    return sample


def iter_samples(n: int, seed: int, split: str, types: Sequence[str] = IMAGE_TYPES,
                 weights: Sequence[float] | None = None, degrade: float = 1.0) -> Iterator[RenderedSample]:
    """``n`` samples; types cycle in proportion to ``weights`` (deterministic, no shuffling)."""
    weights = list(weights) if weights is not None else [1.0] * len(types)
    chooser = random.Random(sample_seed(seed, split, -1))
    for i in range(n):
        kind = chooser.choices(list(types), weights=weights)[0]
        yield render_sample(kind, sample_seed(seed, split, i), split, degrade)
