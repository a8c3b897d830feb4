"""Transcript confidence that means a probability, and the line below which nobody should act on it.

A recogniser's own score (Whisper's mean token log-probability, PocketSphinx's lattice
posterior) ranks transcripts but is not a probability: Whisper is confidently wrong on a
misheard number as often as not. ``Calibration`` maps the raw score to the probability that
the state tracker reads the same intent and slots from the transcript as from what was actually
said (what matters to the dialogue), by Platt scaling fitted when the voice model is trained, on
corpus validation sentences read by the calibration voices (``synth.CALIBRATION_VARIANTS``:
neither training, held-out nor dev-set voices). The voice dev set only *measures* it
(``voice_devset.calibration`` in ``finadvisor eval --json``).

``LOW_CONFIDENCE`` is the published contract with the dialogue manager: a transcript whose
calibrated confidence is below it is more likely misread than not, so the advisor confirms what
it heard ("did you say 15,000 dollars?") instead of filling slots from it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

#: Calibrated transcript confidence below which a transcript is "low confidence": the dialogue
#: manager asks the customer to confirm instead of filling slots from it. 0.5 because the value
#: is a calibrated probability that the transcript reads as what was said: below it, a misreading
#: is the likelier case.
LOW_CONFIDENCE: float = 0.5

CALIBRATION_FILE = "asr/confidence.json"
_EPS = 1e-4


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p))


@dataclass(frozen=True)
class Calibration:
    """P(reading right | raw) = sigmoid(slope * logit(raw) + intercept), for one backend."""

    backend: str
    slope: float = 1.0
    intercept: float = 0.0
    n_fitted: int = 0
    fitted_on: str = "uncalibrated (identity)"

    def __call__(self, raw: float) -> float:
        """Calibrated confidence in [0, 1]; an empty transcript (raw 0) stays 0."""
        if raw <= 0.0:
            return 0.0
        z = self.slope * float(_logit(np.array([raw]))[0]) + self.intercept
        return float(1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0))))

    @classmethod
    def fit(cls, backend: str, raw: Sequence[float], correct: Sequence[bool], fitted_on: str
            ) -> Calibration:
        """Platt scaling by Newton's method on the log-loss (two parameters, a few hundred
        points: no need for a library, and the result is a small JSON file)."""
        x = _logit(np.asarray(raw, dtype=np.float64))  # (n,)
        y = np.asarray(correct, dtype=np.float64)  # (n,)
        if x.size < 10 or y.min() == y.max():
            return cls(backend, n_fitted=int(x.size), fitted_on=f"{fitted_on} (too few or one-class: identity)")
        # Platt's targets: a little smoothing so a separable set does not diverge
        n_pos, n_neg = y.sum(), (1 - y).sum()
        t = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
        w = np.array([1.0, 0.0])  # slope, intercept
        design = np.stack([x, np.ones_like(x)], axis=1)  # (n, 2)
        for _ in range(100):
            p = 1.0 / (1.0 + np.exp(-(design @ w)))  # (n,)
            grad = design.T @ (p - t)  # (2,)
            hess = design.T @ (design * (p * (1 - p))[:, None]) + 1e-6 * np.eye(2)  # (2, 2)
            step = np.linalg.solve(hess, grad)
            w -= step
            if float(np.abs(step).max()) < 1e-8:
                break
        return cls(backend, float(w[0]), float(w[1]), int(x.size), fitted_on)

    def save(self, model_folder: Path) -> Path:
        path = Path(model_folder) / CALIBRATION_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, model_folder: Path, backend: str) -> Calibration:
        """The fitted calibration of ``backend`` in the model folder, identity when there is
        none for it (a bank's own Whisper folder, an older model)."""
        path = Path(model_folder) / CALIBRATION_FILE
        if not path.is_file():
            return cls(backend)
        data = json.loads(path.read_text())
        if data.get("backend") != backend:
            return cls(backend)
        return cls(**{k: data[k] for k in ("backend", "slope", "intercept", "n_fitted", "fitted_on")})


def calibration_report(confidences: Sequence[float], correct: Sequence[bool], bins: int = 5
                       ) -> dict[str, float]:
    """How well confidences match outcomes: Brier score, expected calibration error over equal-
    width bins, and what ``LOW_CONFIDENCE`` does (share flagged, accuracy either side)."""
    c = np.asarray(confidences, dtype=np.float64)
    y = np.asarray(correct, dtype=np.float64)
    if c.size == 0:
        return {}
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(c, edges[1:-1]), 0, bins - 1)
    ece = sum(abs(c[idx == b].mean() - y[idx == b].mean()) * (idx == b).sum()
              for b in range(bins) if (idx == b).any()) / c.size
    low = c < LOW_CONFIDENCE
    return {
        "brier": round(float(np.mean((c - y) ** 2)), 4),
        "ece": round(float(ece), 4),
        "mean_confidence": round(float(c.mean()), 4),
        "share_right": round(float(y.mean()), 4),
        "low_confidence_threshold": LOW_CONFIDENCE,
        "share_low_confidence": round(float(low.mean()), 4),
        "right_when_confident": round(float(y[~low].mean()), 4) if (~low).any() else 0.0,
        "right_when_low": round(float(y[low].mean()), 4) if low.any() else 0.0,
    }
