"""Training and evaluation of the vision component (the `finadvisor train` / `eval` contract).

Data: images rendered by ``render.py``, cached as 128x128 grayscale arrays under
``<data_dir>/vision/`` (rendering is the slow part; the cache makes a retrain cheap). Three sets:
``train`` and ``val`` use the training style pool (different seeds), ``heldout`` uses the held-out
pool (unseen typefaces, palettes, chart styles) with a fixed seed, so every model is scored on the
same pictures whatever its training seed.

Objective: cross-entropy on the type; cross-entropy on the trend for line and candlestick charts
only (a payslip has no trend); plus a supervised contrastive term on the embedding, so that images
of the same kind (and trend) sit close together - that is what makes the embedding useful to the
generator rather than an untrained by-product. Early stopping on the validation score.
"""

from __future__ import annotations

import io
import math
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from finadvisor.services.vision.labels import IMAGE_TYPES, TREND_TYPES, TRENDS
from finadvisor.services.vision.model import VisionConfig, VisionEncoder, to_model_array, to_tensor
from finadvisor.services.vision.render import render_sample, sample_seed

COMPONENT = "vision"
# Bump when the renderer's output or the model's view of it (``to_model_array``) changes, so cached
# arrays are rebuilt. 3: the broadened renderer (label synonyms, dark themes, app screens) and
# dark pictures inverted for the network.
RENDER_VERSION = 3
# Wall-clock figures differ run to run; they are returned and printed but kept out of the files
# written next to the weights, so two runs with one seed write identical bytes.
TIMING_KEYS = ("render_seconds", "train_seconds")
EVAL_SEED = 20260
# Charts with a trend are drawn twice as often: the trend head learns from them alone.
TYPE_WEIGHTS: dict[str, float] = {t: (2.0 if t in TREND_TYPES else 1.0) for t in IMAGE_TYPES}


@dataclass(frozen=True)
class DataSpec:
    """How many images each set holds."""

    n_train: int = 2400
    n_val: int = 320
    n_heldout: int = 640
    # Held-out payslips read by OCR for field accuracy (full resolution, rendered on the fly).
    n_ocr: int = 50
    # Images timed for images_per_second.
    n_speed: int = 64


# --------------------------------------------------------------------------------------- data
def _types_for(n: int, seed: int) -> list[str]:
    """A deterministic, weighted sequence of image types."""
    rng = np.random.default_rng(seed)
    p = np.array([TYPE_WEIGHTS[t] for t in IMAGE_TYPES])
    return [IMAGE_TYPES[i] for i in rng.choice(len(IMAGE_TYPES), size=n, p=p / p.sum())]


def _render_job(job: tuple[str, int, str, int]) -> tuple[np.ndarray, int, int]:
    image_type, seed, style, size = job
    s = render_sample(image_type, seed, style)
    trend = TRENDS.index(s.chart_trend) if s.chart_trend else -1
    return to_model_array(s.image, size), IMAGE_TYPES.index(s.image_type), trend


def _set_plan(name: str, n: int, seed: int) -> tuple[str, int]:
    """(style pool, base seed) of a named set."""
    if name == "train":
        return "train", seed
    if name == "val":
        return "train", seed + 7777
    if name == "heldout":
        return "heldout", EVAL_SEED
    raise ValueError(f"unknown set {name!r}")


def build_set(name: str, n: int, seed: int, size: int, workers: int = 2, progress: bool = False,
              start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
    """Render items [start, stop) of a set: x [m, size, size] uint8, type [m], trend [m] (-1 = none)."""
    style, base = _set_plan(name, n, seed)
    kinds = _types_for(n, base + len(name))
    stop = n if stop is None else stop
    jobs = [(kinds[i], sample_seed(base, style, i), style, size) for i in range(start, stop)]
    bar = tqdm(total=len(jobs), desc=f"render vision/{name}[{start}:{stop}]", disable=not progress, leave=False)
    out: list[tuple[np.ndarray, int, int]] = []
    if workers > 1 and len(jobs) >= 64:
        with mp.get_context("fork").Pool(workers) as pool:
            for r in pool.imap(_render_job, jobs, chunksize=8):
                out.append(r)
                bar.update()
    else:
        for job in jobs:
            out.append(_render_job(job))
            bar.update()
    bar.close()
    return {
        "x": np.stack([r[0] for r in out]).astype(np.uint8),
        "type": np.array([r[1] for r in out], dtype=np.int64),
        "trend": np.array([r[2] for r in out], dtype=np.int64),
    }


SHARD = 400


def _save_npz(path: Path, data: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **data)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
    tmp.replace(path)


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in ("x", "type", "trend")}


def ensure_set(data_dir: Path, name: str, n: int, seed: int, size: int, progress: bool = False) -> dict[str, np.ndarray]:
    """Load a cached set or render and cache it (npz of plain arrays, loaded with allow_pickle=False).

    Rendering goes in shards of SHARD images, each cached as soon as it is done, so an interrupted
    run resumes where it stopped instead of starting over.
    """
    style, base = _set_plan(name, n, seed)
    folder = Path(data_dir) / COMPONENT
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-r{RENDER_VERSION}-s{base}-n{n}-px{size}"
    path = folder / f"{stem}.npz"
    if path.is_file():
        return _load_npz(path)
    parts: list[dict[str, np.ndarray]] = []
    shard_paths: list[Path] = []
    for start in range(0, n, SHARD):
        shard = folder / f"{stem}.part{start}.npz"
        if shard.is_file():
            parts.append(_load_npz(shard))
        else:
            part = build_set(name, n, seed, size, workers=min(2, os.cpu_count() or 1), progress=progress,
                             start=start, stop=min(n, start + SHARD))
            _save_npz(shard, part)
            parts.append(part)
        shard_paths.append(shard)
    data = {k: np.concatenate([p[k] for p in parts]) for k in ("x", "type", "trend")}
    _save_npz(path, data)
    for shard in shard_paths:
        shard.unlink(missing_ok=True)
    return data


# ------------------------------------------------------------------------------------- training
def supcon_loss(emb: torch.Tensor, labels: torch.Tensor, tau: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss (Khosla et al. 2020) on unit embeddings.

    emb: [B, E] unit rows; labels: [B]. Pulls same-label pairs together, pushes the rest apart.
    """
    sim = emb @ emb.t() / tau  # [B, E] @ [E, B] -> [B, B]
    b = emb.shape[0]
    eye = torch.eye(b, dtype=torch.bool, device=emb.device)
    sim = sim.masked_fill(eye, -1e9)
    pos = (labels[:, None] == labels[None, :]) & ~eye  # [B, B]
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)  # [B, B]
    n_pos = pos.sum(1)
    has = n_pos > 0
    if not bool(has.any()):
        return emb.sum() * 0.0
    mean_log_pos = (log_prob * pos).sum(1)[has] / n_pos[has]
    return -mean_log_pos.mean()


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Cheap tensor augmentations: shift/zoom (crop of a padded copy), contrast, brightness, noise.

    No flips: a mirrored rising chart is a falling one.
    x: [B, 1, S, S] in 0..1.
    """
    b, _, s, _ = x.shape
    pad = s // 16
    padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")  # [B, 1, S+2p, S+2p]
    # Random affine crop (zoom 0.9..1.1, shift) via affine_grid.
    scale = 1.0 + (torch.rand(b, generator=gen) - 0.5) * 0.2
    tx = (torch.rand(b, generator=gen) - 0.5) * 2 * pad / (s + 2 * pad)
    ty = (torch.rand(b, generator=gen) - 0.5) * 2 * pad / (s + 2 * pad)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = scale * s / (s + 2 * pad)
    theta[:, 1, 1] = scale * s / (s + 2 * pad)
    theta[:, 0, 2] = tx
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, [b, 1, s, s], align_corners=False)  # [B, S, S, 2]
    x = F.grid_sample(padded, grid, mode="bilinear", padding_mode="border", align_corners=False)  # [B,1,S,S]
    contrast = 1.0 + (torch.rand(b, 1, 1, 1, generator=gen) - 0.5) * 0.5
    bright = (torch.rand(b, 1, 1, 1, generator=gen) - 0.5) * 0.2
    mean = x.mean(dim=(2, 3), keepdim=True)
    x = (x - mean) * contrast + mean + bright
    x = x + torch.randn(x.shape, generator=gen) * 0.02
    return x.clamp(0.0, 1.0)


@torch.inference_mode()
def predict(model: VisionEncoder, x: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(type ids [N], trend ids [N], embeddings [N, E]) of uint8 thumbnails x [N, S, S]."""
    model.eval()
    types, trends, embs = [], [], []
    for i in range(0, len(x), batch_size):
        out = model(to_tensor(x[i:i + batch_size]))
        types.append(out.type_logits.argmax(1).numpy())
        trends.append(out.trend_logits.argmax(1).numpy())
        embs.append(out.embedding.numpy())
    return np.concatenate(types), np.concatenate(trends), np.concatenate(embs)


def _accuracies(model: VisionEncoder, data: dict[str, np.ndarray]) -> tuple[float, float]:
    """(type accuracy, trend accuracy on the images that have a trend)."""
    t, r, _ = predict(model, data["x"])
    type_acc = float((t == data["type"]).mean())
    mask = data["trend"] >= 0
    trend_acc = float((r[mask] == data["trend"][mask]).mean()) if mask.any() else float("nan")
    return type_acc, trend_acc


def train(
    models_dir: Path,
    data_dir: Path,
    seed: int = 0,
    progress: bool = True,
    *,
    config: VisionConfig | None = None,
    spec: DataSpec | None = None,
    max_epochs: int = 12,
    patience: int = 3,
    batch_size: int = 64,
    lr: float = 3e-3,
    threads: int = 2,
) -> dict[str, Any]:
    """Render (or load) the data, train the encoder, write ``models_dir/vision``; return metrics."""
    started = time.perf_counter()
    config = config or VisionConfig()
    spec = spec or DataSpec()
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    tr = ensure_set(data_dir, "train", spec.n_train, seed, config.image_size, progress)
    va = ensure_set(data_dir, "val", spec.n_val, seed, config.image_size, progress)
    ho = ensure_set(data_dir, "heldout", spec.n_heldout, seed, config.image_size, progress)
    render_s = time.perf_counter() - started

    model = VisionEncoder(config)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = max(1, math.ceil(len(tr["x"]) / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps_per_epoch * max_epochs,
                                                pct_start=0.15)
    x_all = to_tensor(tr["x"])  # [N, 1, S, S]
    y_type = torch.from_numpy(tr["type"])
    y_trend = torch.from_numpy(tr["trend"])
    joint = y_type * (len(config.trends) + 1) + (y_trend + 1)  # [N] one id per (type, trend)
    best_score, best_state, best_epoch, bad = -1.0, None, 0, 0
    history: list[dict[str, float]] = []
    for epoch in range(1, max_epochs + 1):
        model.train()
        order = torch.from_numpy(rng.permutation(len(x_all)))
        total = 0.0
        bar = tqdm(range(steps_per_epoch), desc=f"vision epoch {epoch}", disable=not progress, leave=False)
        for step in bar:
            idx = order[step * batch_size:(step + 1) * batch_size]
            xb = _augment(x_all[idx], gen)
            out = model(xb)
            loss = F.cross_entropy(out.type_logits, y_type[idx], label_smoothing=0.05)
            has_trend = y_trend[idx] >= 0
            if bool(has_trend.any()):
                loss = loss + F.cross_entropy(out.trend_logits[has_trend], y_trend[idx][has_trend])
            loss = loss + 0.2 * supcon_loss(out.embedding, joint[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
            bar.set_postfix(loss=f"{total / (step + 1):.3f}")
        va_type, va_trend = _accuracies(model, va)
        score = va_type + (va_trend if not math.isnan(va_trend) else 0.0)
        history.append({"epoch": epoch, "loss": total / steps_per_epoch, "val_type_accuracy": va_type,
                        "val_trend_accuracy": va_trend})
        if progress:
            tqdm.write(f"vision epoch {epoch}: loss {total / steps_per_epoch:.3f} val type {va_type:.3f} "
                       f"trend {va_trend:.3f}")
        if score > best_score + 1e-4:
            best_score, best_epoch, bad = score, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= patience:
                break
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    va_type, va_trend = _accuracies(model, va)
    ho_type, ho_trend = _accuracies(model, ho)
    train_s = time.perf_counter() - started
    metrics: dict[str, Any] = {
        "epochs_run": len(history),
        "best_epoch": best_epoch,
        "val_type_accuracy": round(va_type, 4),
        "val_trend_accuracy": round(va_trend, 4),
        "heldout_type_accuracy": round(ho_type, 4),
        "heldout_trend_accuracy": round(ho_trend, 4),
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "render_seconds": round(render_s, 1),
        "train_seconds": round(train_s, 1),
        "seed": seed,
    }
    folder = Path(models_dir) / COMPONENT
    sealed = {k: v for k, v in metrics.items() if k not in TIMING_KEYS}
    model.save_pretrained(folder, model_card=_model_card(config, spec, sealed), seed=seed,
                          metrics=sealed, data=asdict(spec), render_version=RENDER_VERSION)
    metrics["size_bytes"] = int(sum(p.stat().st_size for p in folder.iterdir() if p.is_file()))
    return metrics


def _model_card(config: VisionConfig, spec: DataSpec, metrics: dict[str, Any]) -> str:
    return f"""# finadvisor vision encoder ({config.version})

## What it does
Classifies an image a customer sends (payslip, bank statement, ID document, line / bar / pie /
candlestick chart, other), tells the trend of a line or candlestick chart (rising, falling, flat,
volatile) and gives a {config.embedding_dim}-d L2-normalised embedding the response generator
conditions on. Document fields (net pay, currency, pay period, employer, closing balance) are read
by OCR (Tesseract, or RapidOCR where no tesseract binary exists), not by this network, and a page's
words and a chart's plotted series have the last say on its type and trend (see the engine).

## Model
A CNN trained from scratch (no pretrained weights): stem conv 5x5/2 + max-pool, conv blocks
{list(config.channels)}, 4x4 average-pooled grid, {config.hidden_dim}-unit hidden layer, three
heads. Input: {config.image_size}x{config.image_size} grayscale. {metrics['parameters']:,} parameters.

## Data
Rendered by `finadvisor.services.vision.render` (PIL): {spec.n_train} training and {spec.n_val}
validation images in the training style pool (DejaVu typefaces, four palettes), scored on
{spec.n_heldout} held-out images drawn with unseen typefaces (Liberation, condensed DejaVu, PIL's
default), unseen palettes and chart styles (markers, dotted grids, hollow candles). Documents vary
layout and label wording ("Net pay", "Take-home pay", "Net salary", "Amount paid"), include
banking-app screens; charts come in light and dark themes and several line colours. A dark picture
is inverted before the network sees it. All images go through phone-photo degradations: rotation,
shadows, noise, blur, crops, JPEG quality 30-95. Render version {RENDER_VERSION}. No customer data.

## Training
Cross-entropy (type; trend on trend charts only) + 0.2 x supervised contrastive loss on the
embedding; AdamW, one-cycle LR, tensor augmentations (shift, zoom, contrast, noise; no flips),
early stopping on validation accuracy. Seed {metrics['seed']}; best epoch {metrics['best_epoch']}
of {metrics['epochs_run']}.

## Metrics (held-out styles)
- type accuracy: {metrics['heldout_type_accuracy']}
- trend accuracy: {metrics['heldout_trend_accuracy']}
- validation (training styles): type {metrics['val_type_accuracy']}, trend {metrics['val_trend_accuracy']}

`finadvisor eval --json` adds OCR field accuracy and throughput.

## Limits
Trained on synthetic renders only: real scans with unusual layouts, handwriting, multi-page PDFs
and non-Latin scripts are out of distribution. Charts and documents drawn by other software are
measured by `finadvisor eval --json` as `vision_external` (never trained on). The "other" class covers shapes,
gradients and textures, not every possible photo. Chart trend is meaningful only for line and
candlestick charts; the engine reports it only for those.
"""


# ------------------------------------------------------------------------------------ evaluation
def _encode(img: Any, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


def evaluate(models_dir: Path, data_dir: Path, *, spec: DataSpec | None = None,
             progress: bool = False) -> dict[str, Any]:
    """The `eval --json` section: type/trend accuracy and OCR field accuracy on held-out styles.

    field_accuracy: share of held-out payslips whose net pay the whole engine (decode, classify,
    OCR, parse) reads exactly; None when Tesseract is not installed here.
    images_per_second: engine throughput without OCR (decode + preprocess + CNN), batches of 32.
    """
    from finadvisor.services.vision.engine import VisionEngine

    spec = spec or DataSpec()
    engine = VisionEngine().load(Path(models_dir) / COMPONENT)
    model = engine._require_model()
    ho = ensure_set(data_dir, "heldout", spec.n_heldout, 0, model.config.image_size, progress)
    type_acc, trend_acc = _accuracies(model, ho)

    field_acc: float | None = None
    if engine.ocr_available and spec.n_ocr > 0:
        correct = 0
        for i in tqdm(range(spec.n_ocr), desc="vision ocr", disable=not progress, leave=False):
            s = render_sample("payslip", sample_seed(EVAL_SEED + 1, "heldout", i), "heldout")
            analysis = engine.analyze_batch([(_encode(s.image), "image/png")])[0]
            read = {f.name: f.value for f in analysis.fields}
            correct += read.get("net_pay") == s.fields["net_pay"]
        field_acc = round(correct / spec.n_ocr, 4)

    kinds = _types_for(spec.n_speed, EVAL_SEED + 2)
    blobs = [(_encode(render_sample(t, sample_seed(EVAL_SEED + 2, "heldout", i), "heldout").image, "JPEG"),
              "image/jpeg") for i, t in enumerate(kinds)]
    engine.analyze_batch(blobs[:4], skip_ocr=True)  # warm-up
    t0 = time.perf_counter()
    for i in range(0, len(blobs), 32):
        engine.analyze_batch(blobs[i:i + 32], skip_ocr=True)
    ips = len(blobs) / (time.perf_counter() - t0)
    return {
        "type_accuracy": round(type_acc, 4),
        "trend_accuracy": round(trend_acc, 4),
        "field_accuracy": field_acc,
        "images_per_second": round(ips, 1),
    }


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - manual entry point
    """`python -m finadvisor.services.vision.training [train|eval]` for local work."""
    import json
    import sys

    from finadvisor.shared.paths import data_dir, models_dir

    args = argv if argv is not None else sys.argv[1:]
    cmd = args[0] if args else "train"
    fn: Callable[..., dict[str, Any]] = train if cmd == "train" else evaluate
    print(json.dumps(fn(models_dir(), data_dir()), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
