"""Shared parts of the training renderer: style pools, fonts, money formats, drawing helpers.

The renderer is split by what it draws (``render_docs``: payslips, statements, banking-app
screens, ID cards; ``render_charts``: charts and "other" pictures; ``render``: degradations and
the public API); this module holds what they share, so each file stays readable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

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
    return tuple(int(v) for v in draw.textbbox(xy, text, font=font, anchor=anchor))  # type: ignore[return-value]  # as many items as the input


def _paper(rng: random.Random, w: int, h: int) -> Image.Image:
    tone = rng.randint(238, 255)
    tint = (tone, tone - rng.randint(0, 6), tone - rng.randint(0, 12))
    return Image.new("RGB", (w, h), tint)


def _ink(rng: random.Random) -> RGB:
    v = rng.randint(0, 50)
    return (v, v, v + rng.randint(0, 30))


def _darker(c: RGB, f: float = 0.6) -> RGB:
    return (int(c[0] * f), int(c[1] * f), int(c[2] * f))



def _lighten(c: RGB, f: float = 0.8) -> RGB:
    return tuple(int(v + (255 - v) * f) for v in c)  # type: ignore[return-value]  # as many items as the input


