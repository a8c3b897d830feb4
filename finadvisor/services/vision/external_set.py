"""Generator of the vision EXTERNAL evaluation set: pictures drawn by other means than ``render.py``.

Why: the CNN and the OCR pipeline were tuned on the PIL renderer's pictures, so its held-out split
only measures generalisation to unseen fonts of the same drawing code. This set is drawn by other
engines and is never used for training:

* charts by matplotlib with its bundled style sheets, light and dark (``dark_background``, and a
  banking-app dark theme), line / area / bar / candlestick / pie, with and without grids, markers,
  legends and annotations, at several aspect ratios and DPIs;
* payslips and bank statements as HTML/CSS laid out and rasterised by headless Chromium, with
  varied titles, layouts (amount on the label's line, or in a box below it) and net-pay labels
  ("Net pay", "Take-home pay", "Net salary", "Amount paid", "Total net");
* then, for about half of each kind, a phone-photo degradation written here (perspective tilt,
  uneven light, sensor noise, blur, JPEG) that shares no code with the renderer's.

Trend labels are what the drawn chart shows: rising / falling series move by far more than their
noise; volatile ones swing widely and end near their start on auto-scaled axes; flat series are
drawn on an axis that shows their level (from zero, or +-30 % around it), as such series are
drawn in practice - on an auto-scaled axis a flat series' noise fills the panel and is volatile to
the eye.

The output (JPEG images + ``labels.jsonl``) is committed under ``tests/data/vision_external/`` so
the evaluation does not depend on the installed matplotlib/Chromium versions. Regenerate with

    python -m finadvisor.services.vision.external_set tests/data/vision_external

(needs matplotlib and the ``chromium`` binary; seeded, so the labels are reproducible).
"""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from finadvisor.services.vision.money import canonical_amount

SEED = 4242
LABELS = "labels.jsonl"
LIGHT_STYLES = ("default", "seaborn-v0_8-whitegrid", "ggplot", "bmh", "fivethirtyeight", "classic",
                "Solarize_Light2", "seaborn-v0_8-darkgrid", "tableau-colorblind10", "grayscale")
DARK_STYLES = ("dark_background", "app-dark")
FIGSIZES = ((6.4, 4.8), (8.0, 4.5), (5.0, 5.0), (10.0, 4.0), (4.5, 6.0))
DPIS = (80, 100, 130)
NET_LABELS = ("Net pay", "Take-home pay", "Net salary", "Amount paid", "Total net")
TITLES = ("Payslip", "Pay advice", "Salary statement", "Remuneration statement", "Earnings statement",
          "PAY SLIP")
EMPLOYERS = ("Kestrel Analytics AG", "Moorland Care Homes Ltd", "Brightwater Utilities",
             "Tern & Finch Architects", "Vantage Rail Services", "Copperleaf Foods BV",
             "Halcyon Insurance SE", "Oakridge City Council")
CURRENCIES = {"USD": "$", "EUR": "€", "GBP": "£", "CHF": "", "CAD": ""}


# ------------------------------------------------------------------------------------- series
def _series(rng: np.random.Generator, trend: str, n: int) -> tuple[np.ndarray, tuple[float, float] | None]:
    """Values of one series showing ``trend`` and the y-limits to draw it with (None = auto)."""
    level = float(rng.choice([80.0, 250.0, 1200.0, 5400.0, 21000.0]))
    t = np.linspace(0.0, 1.0, n)
    if trend in ("rising", "falling"):
        change = rng.uniform(0.25, 0.8)
        shape = t ** rng.uniform(0.7, 1.5)
        y = level * (1.0 + change * shape) + level * change * rng.normal(0, rng.uniform(0.02, 0.06), n)
        if trend == "falling":
            y = y[::-1].copy()
        return y, None
    if trend == "flat":
        y = level * (1.0 + rng.normal(0, 0.008, n) + rng.uniform(-0.01, 0.01) * t)
        lim = (0.0, level * 1.35) if rng.random() < 0.5 else (level * 0.7, level * 1.3)
        return y, lim
    amp = rng.uniform(0.15, 0.3)
    y = level * (1.0 + amp * np.sin(2 * np.pi * rng.uniform(2.5, 5.0) * t + rng.uniform(0, 6.28))
                 + rng.normal(0, amp * 0.35, n))
    y += (y[0] - y[-1]) * t  # end near the start
    return y, None


# ------------------------------------------------------------------------------------- charts
def _apply_style(plt: Any, style: str) -> None:
    plt.rcdefaults()
    if style == "app-dark":  # a banking app's dark theme: navy background, muted grid, no spines
        plt.style.use("dark_background")
        plt.rcParams.update({"figure.facecolor": "#10182b", "axes.facecolor": "#10182b",
                             "axes.edgecolor": "#33415c", "grid.color": "#2a3550",
                             "axes.prop_cycle": plt.cycler(color=["#4cc9f0", "#f72585", "#b5e48c"])})
    else:
        plt.style.use(style)


def _chart(kind: str, trend: str | None, rng: np.random.Generator, r: random.Random) -> Image.Image:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style = r.choice(DARK_STYLES) if r.random() < 0.35 else r.choice(LIGHT_STYLES)
    _apply_style(plt, style)
    plt.rcParams["font.family"] = r.choice(["DejaVu Sans", "Liberation Sans", "Liberation Serif"])
    fig, ax = plt.subplots(figsize=r.choice(FIGSIZES), dpi=r.choice(DPIS))
    grid = r.random() < 0.6
    ax.grid(grid)
    title = r.choice(["Portfolio value", "ACME Corp (ACM)", "Savings over time", "My balance",
                      "Fund performance", "EUR/USD", "Net worth"])
    if kind in ("line", "area"):
        n = r.randint(30, 160)
        y, lim = _series(rng, trend or "rising", n)
        x = np.arange(n)
        marker = r.choice([None, None, "o", ".", "s"])
        (line,) = ax.plot(x, y, lw=r.choice([1.2, 1.8, 2.5]), marker=marker,
                          markersize=3 if marker else 0, label=title.split(" (")[0])
        if kind == "area":
            ax.fill_between(x, y, (lim or (float(y.min()) * 0.9, 0))[0], alpha=r.choice([0.25, 0.4, 0.6]),
                            color=line.get_color())
        if lim is not None:
            ax.set_ylim(*lim)
        if r.random() < 0.4:
            ax.legend(loc=r.choice(["upper left", "lower right", "best"]))
        if r.random() < 0.35:
            k = int(r.randint(n // 4, 3 * n // 4))
            ax.annotate("dividend", xy=(k, y[k]), xytext=(k, y[k] * 1.05),
                        arrowprops={"arrowstyle": "->"}, fontsize=8)
        ax.set_xlabel(r.choice(["Day", "Month", "Week", ""]))
    elif kind == "candlestick":
        n = r.randint(20, 60)
        close, lim = _series(rng, trend or "rising", n + 1)
        opens, closes = close[:-1], close[1:]
        spread = float(np.std(np.diff(close))) + 1e-9
        highs = np.maximum(opens, closes) + np.abs(rng.normal(0, 0.5 * spread, n))
        lows = np.minimum(opens, closes) - np.abs(rng.normal(0, 0.5 * spread, n))
        up, down = r.choice([("#26a69a", "#ef5350"), ("green", "red"), ("#2ca02c", "#d62728"),
                             ("#4cc9f0", "#f72585")])
        colors = [up if c >= o else down for o, c in zip(opens, closes)]
        x = np.arange(n)
        ax.vlines(x, lows, highs, colors=colors, lw=1)
        ax.bar(x, np.abs(closes - opens) + spread * 0.05, bottom=np.minimum(opens, closes),
               color=colors, width=r.uniform(0.5, 0.8))
        if lim is not None:
            ax.set_ylim(*lim)
    elif kind == "bar":
        cats = r.sample(["Rent", "Food", "Travel", "Bills", "Savings", "Fun", "Health", "Car"],
                        r.randint(3, 7))
        vals = rng.uniform(50, 900, len(cats))
        if r.random() < 0.35:
            ax.barh(cats, vals)
        else:
            ax.bar(cats, vals, color=None if r.random() < 0.5 else [f"C{i}" for i in range(len(cats))])
        title = r.choice(["Spending by category", "Monthly budget", "Expenses"])
    else:  # pie
        cats = r.sample(["Stocks", "Bonds", "Cash", "Property", "Gold", "Funds"], r.randint(3, 6))
        ax.pie(rng.dirichlet(np.ones(len(cats)) * 2), labels=cats, autopct="%1.0f%%",
               wedgeprops={"width": 0.45} if r.random() < 0.3 else None)
        ax.axis("equal")
        title = r.choice(["Asset allocation", "Portfolio mix"])
    ax.set_title(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=fig.get_facecolor())
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


# ---------------------------------------------------------------------------------- documents
def _fmt(value: Decimal, currency: str, style: int) -> str:
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, cents = int(q), int((q - int(q)) * 100)
    if style == 1:  # European
        number = f"{whole:,}".replace(",", ".") + f",{cents:02d}"
        return f"{number} {CURRENCIES[currency] or currency}"
    number = f"{whole:,}.{cents:02d}"
    symbol = CURRENCIES[currency]
    return f"{symbol}{number}" if symbol and style == 0 else f"{currency} {number}"


def _payslip_html(r: random.Random) -> tuple[str, dict[str, str]]:
    currency = r.choice(list(CURRENCIES))
    period = r.choice(["monthly", "monthly", "biweekly", "weekly"])
    freq = {"monthly": "Monthly", "biweekly": r.choice(["Fortnightly", "Bi-weekly"]), "weekly": "Weekly"}[period]
    per_year = {"monthly": 12, "biweekly": 26, "weekly": 52}[period]
    net = Decimal(r.randint(int(18000 / per_year), int(120000 / per_year))) + Decimal(r.choice([0, r.randint(1, 99)])) / 100
    tax = (net * Decimal(r.uniform(0.15, 0.3))).quantize(Decimal("0.01"))
    ni = (net * Decimal(r.uniform(0.04, 0.08))).quantize(Decimal("0.01"))
    gross = net + tax + ni
    style = 1 if currency in ("EUR", "CHF") and r.random() < 0.6 else 0
    def f(v: Decimal) -> str:
        return _fmt(v, currency, style)

    employer = r.choice(EMPLOYERS)
    label = r.choice(NET_LABELS)
    title = r.choice(TITLES)
    font = r.choice(["Liberation Sans", "Liberation Serif", "DejaVu Sans", "Liberation Sans Narrow"])
    layout = r.choice(["table", "summary-box", "two-column"])
    month = r.choice(["January", "March", "June", "September", "November"])
    header = (f"<div class='hdr'><h1>{title}</h1><div class='co'>{employer}</div></div>"
              f"<table class='info'><tr><td>Employee</td><td>{r.choice(['J. Meyer', 'A. Costa', 'R. Patel', 'L. Nguyen'])}</td></tr>"
              f"<tr><td>Employer</td><td>{employer}</td></tr>"
              f"<tr><td>Pay period</td><td>{month} 2025</td></tr>"
              f"<tr><td>Pay frequency</td><td>{freq}</td></tr></table>")
    items = (f"<tr><td>Basic salary</td><td class='n'>{f(gross)}</td></tr>"
             f"<tr><td>Income tax</td><td class='n'>-{f(tax)}</td></tr>"
             f"<tr><td>National insurance</td><td class='n'>-{f(ni)}</td></tr>")
    if layout == "table":
        body = (f"<table class='items'><tr><th>Description</th><th class='n'>Amount</th></tr>{items}"
                f"<tr class='net'><td><b>{label}</b></td><td class='n'><b>{f(net)}</b></td></tr></table>")
    elif layout == "summary-box":
        body = (f"<table class='items'>{items}</table><div class='boxes'>"
                f"<div class='box'><div class='lab'>Gross pay</div><div class='amt'>{f(gross)}</div></div>"
                f"<div class='box'><div class='lab'>Deductions</div><div class='amt'>{f(tax + ni)}</div></div>"
                f"<div class='box hi'><div class='lab'>{label}</div><div class='amt'>{f(net)}</div></div></div>")
    else:
        body = (f"<table class='items'>{items}</table>"
                f"<p class='netline'><b>{label}:</b> <b>{f(net)}</b></p>")
    accent = r.choice(["#1d3557", "#2a9d8f", "#6d597a", "#bc4749", "#264653"])
    css = (f"body{{font-family:'{font}';margin:{r.randint(30, 60)}px;color:#222;background:#fff;"
           f"font-size:{r.randint(21, 26)}px}} h1{{color:{accent};margin:0 0 6px}} .co{{font-weight:bold}}"
           f".hdr{{border-bottom:3px solid {accent};padding-bottom:8px;margin-bottom:16px}}"
           f"table{{border-collapse:collapse;width:100%;margin-bottom:18px}} td,th{{padding:6px 4px}}"
           f".items td{{border-bottom:1px solid #ddd}} .n{{text-align:right}} th{{text-align:left;"
           f"background:{accent}22}} .net td{{border-top:2px solid #333;font-size:1.15em}}"
           f".boxes{{display:flex;gap:14px}} .box{{flex:1;border:1px solid #bbb;border-radius:8px;"
           f"padding:10px}} .hi{{background:{accent}18;border-color:{accent}}} .lab{{color:#555}}"
           f".amt{{font-size:1.4em;font-weight:bold;margin-top:4px}} .netline{{font-size:1.2em}}")
    html = f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>{header}{body}</body></html>"
    return html, {"net_pay": canonical_amount(net), "currency": currency, "period": period,
                  "employer": employer}


def _statement_html(r: random.Random) -> tuple[str, dict[str, str]]:
    currency = r.choice(list(CURRENCIES))
    bal = Decimal(r.randint(300, 40000)) + Decimal(r.randint(0, 99)) / 100
    rows = "".join(f"<tr><td>{d:02d}/05</td><td>{r.choice(['Card purchase', 'Direct debit', 'Salary', 'Transfer'])}"
                   f"</td><td class='n'>{r.uniform(-800, 800):,.2f}</td></tr>" for d in range(1, 28, 3))
    label = r.choice(["Closing balance", "Ending balance", "Available balance"])
    font = r.choice(["Liberation Sans", "DejaVu Serif", "Liberation Mono"])
    html = (f"<html><head><meta charset='utf-8'><style>body{{font-family:'{font}';margin:40px;font-size:21px}}"
            f"table{{width:100%;border-collapse:collapse}} td{{padding:5px;border-bottom:1px solid #ccc}}"
            f".n{{text-align:right}}</style></head><body><h2>{r.choice(['Harbourline Bank', 'Northgate Savings'])}"
            f"</h2><p>Account statement &middot; May 2025<br>Account holder: M. Rossi<br>Currency: {currency}</p>"
            f"<table>{rows}</table><p><b>{label}: {_fmt(bal, currency, 0)}</b></p></body></html>")
    return html, {"account_balance": canonical_amount(bal), "currency": currency}


def _chromium_shot(html: str, width: int, height: int, scale: float = 1.0) -> Image.Image:
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        raise RuntimeError("the external set's documents need a chromium binary")
    with tempfile.TemporaryDirectory() as tmp:
        page, shot = Path(tmp) / "page.html", Path(tmp) / "shot.png"
        page.write_text(html, encoding="utf-8")
        subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={tmp}/profile", f"--window-size={width},{height}",
                        f"--force-device-scale-factor={scale}",
                        f"--screenshot={shot}", page.as_uri()],
                       check=True, capture_output=True, timeout=60)
        return Image.open(shot).convert("RGB")


# ------------------------------------------------------------------------------ photo degradation
def phone_photo(img: Image.Image, r: random.Random, rng: np.random.Generator) -> Image.Image:
    """A photo of a screen or a page: keystone tilt on a desk, uneven light, noise, blur."""
    w, h = img.size
    pad = int(0.06 * max(w, h))
    desk = tuple(r.randint(40, 170) for _ in range(3))
    canvas = Image.new("RGB", (w + 2 * pad, h + 2 * pad), desk)
    canvas.paste(img, (pad, pad))
    W, H = canvas.size
    j = lambda: r.uniform(-0.025, 0.025) * W  # corner jitter in px
    # Perspective: map the output corners to jittered source corners (PIL's 8 coefficients).
    src = [(j(), j()), (W + j(), j()), (W + j(), H + j()), (j(), H + j())]
    dst = [(0, 0), (W, 0), (W, H), (0, H)]
    a = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coeffs = np.linalg.solve(np.array(a), np.array(src).reshape(8))
    canvas = canvas.transform((W, H), Image.Transform.PERSPECTIVE, tuple(coeffs),
                              Image.Resampling.BICUBIC, fillcolor=desk)
    arr = np.asarray(canvas, dtype=np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    cx, cy = r.uniform(0, W), r.uniform(0, H)
    light = 1.0 - r.uniform(0.1, 0.3) * np.hypot(xx - cx, yy - cy) / np.hypot(W, H)  # [H, W] vignette
    arr = arr * light[..., None] + rng.normal(0, r.uniform(2, 6), (H, W, 1))
    out = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if r.random() < 0.6:
        out = out.filter(ImageFilter.GaussianBlur(r.uniform(0.4, 0.9)))
    return out


# ------------------------------------------------------------------------------------------ main
def generate(folder: Path, n_line: int = 16, n_area: int = 8, n_candle: int = 12, n_bar: int = 6,
             n_pie: int = 4, n_payslip: int = 20, n_statement: int = 6) -> list[dict[str, Any]]:
    """Write the set's images and labels.jsonl into ``folder``; returns the label records."""
    folder.mkdir(parents=True, exist_ok=True)
    r = random.Random(SEED)
    rng = np.random.default_rng(SEED)
    trends = ("rising", "falling", "flat", "volatile")
    plan: list[tuple[str, str | None]] = []
    plan += [("line", trends[i % 4]) for i in range(n_line)]
    plan += [("area", trends[i % 4]) for i in range(n_area)]
    plan += [("candlestick", trends[i % 4]) for i in range(n_candle)]
    plan += [("bar", None)] * n_bar + [("pie", None)] * n_pie
    plan += [("payslip", None)] * n_payslip + [("statement", None)] * n_statement
    types = {"line": "line_chart", "area": "line_chart", "candlestick": "candlestick_chart",
             "bar": "bar_chart", "pie": "pie_chart", "payslip": "payslip", "statement": "bank_statement"}
    records = []
    for i, (kind, trend) in enumerate(plan):
        fields: dict[str, str] = {}
        if kind in ("payslip", "statement"):
            html, fields = (_payslip_html if kind == "payslip" else _statement_html)(r)
            img = _chromium_shot(html, r.choice([820, 900]), r.choice([1100, 1200]), r.choice([1.0, 1.25]))
        else:
            img = _chart(kind, trend, rng, r)
        photo = r.random() < 0.5
        if photo:
            img = phone_photo(img, r, rng)
        name = f"{i:03d}_{kind}.jpg"
        img.save(folder / name, format="JPEG", quality=r.choice([70, 80, 88]))
        rec = {"file": name, "image_type": types[kind], "chart_trend": trend, "fields": fields,
               "photo": photo}
        records.append(rec)
    with open(folder / LABELS, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    return records


if __name__ == "__main__":  # pragma: no cover - regeneration entry point
    out = generate(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/vision_external"))
    print(f"{len(out)} images written")
