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
import random
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from finadvisor.services.vision.labels import IMAGE_TYPES
from finadvisor.services.vision.money import canonical_amount  # noqa: F401 - re-exported
from finadvisor.services.vision.render_base import (  # noqa: F401 - the renderer's public names
    CURRENCIES,
    SPLITS,
    MoneyFormat,
    RenderedSample,
    _style,
    font_pools,
)
from finadvisor.services.vision.render_charts import _RENDERERS
from finadvisor.services.vision.render_docs import _id_document, _payslip, _statement


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
