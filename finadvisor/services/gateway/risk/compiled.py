"""The served credit model's probability of default, straight from feature rows.

An assessment asks the model about 150 rows at once (each unknown and each known feature at
each of its candidate values, ``model.py``). Through scikit-learn that batch goes into a pandas
frame, then through ``CalibratedClassifierCV``, the estimator's encoding, the gradient-boosted
model's own ``ColumnTransformer`` and its input checks: about 7 ms a call, 14 ms an assessment,
on the gateway's process, on the turn that completes an application. Almost none of it is the
trees.

``CompiledRisk`` is built once from the fitted estimator when it has the shapes ``training.py``
makes (a sigmoid- or isotonic-calibrated ``MonotonicGBM`` or ``WOEScorecard``) and repeats
scikit-learn's arithmetic in the same order from plain rows: the same encoding, the same trees
(scikit-learn's own tree predictor), the same calibrator, so the probabilities are the same
floats. Any other shape gets ``None`` and is scored by scikit-learn as before; ``build`` also
compares its probabilities with the estimator's on probe rows and refuses when any differs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration

from finadvisor.services.gateway.risk.estimators import (
    MonotonicGBM,
    WOEScorecard,
    row_columns,
)
from finadvisor.services.gateway.risk.schema import FEATURES, rows_to_frame

Rows = Sequence[dict[str, Any]]


@dataclass(frozen=True)
class _GBMScores:
    """``MonotonicGBM.decision_function`` without the frame, the encoder objects or checks.

    The estimator encodes a categorical feature as its index in the schema; the boosted
    model's ``ColumnTransformer`` then maps each index to its position among the values seen
    in training (unseen: NaN) and puts the categorical columns first. ``order`` and ``seen``
    are that mapping; the trees are scikit-learn's own predictors, added in their order.
    """

    order: np.ndarray  # (n_features,) input column of each preprocessed column
    seen: tuple[np.ndarray | None, ...]  # per preprocessed column: sorted codes seen, or None
    baseline: float
    predictors: tuple[Any, ...]
    known_cat_bitsets: np.ndarray
    f_idx_map: np.ndarray

    @classmethod
    def build(cls, est: MonotonicGBM) -> _GBMScores | None:
        g = getattr(est, "model_", None)
        pre = getattr(g, "_preprocessor", None)
        if g is None or pre is None or g.n_trees_per_iteration_ != 1:
            return None
        # The ColumnTransformer lists its remainder too; here it holds no column.
        names = [name for name, _, cols in pre.transformers_
                 if name != "remainder" or np.any(cols)]
        if names != ["encoder", "numerical"]:
            return None
        categorical = np.asarray(pre.transformers_[0][2], dtype=bool)
        if categorical.shape != (len(FEATURES),) or list(categorical) != [
                spec.kind == "categorical" for spec in FEATURES]:
            return None
        cat_cols = np.flatnonzero(categorical)
        num_cols = np.flatnonzero(~categorical)
        order = np.concatenate([cat_cols, num_cols])
        encoder = pre.named_transformers_["encoder"]
        seen: list[np.ndarray | None] = []
        for values in encoder.categories_:
            values = np.asarray(values, dtype=float)
            seen.append(np.sort(values[~np.isnan(values)]))
        seen += [None] * len(num_cols)
        bitsets, f_idx_map = g._bin_mapper.make_known_categories_bitsets()
        return cls(order, tuple(seen), float(np.ravel(g._baseline_prediction)[0]),
                   tuple(p for (p,) in g._predictors), bitsets, f_idx_map)

    def preprocess(self, encoded: np.ndarray) -> np.ndarray:
        """What the boosted model's ``ColumnTransformer`` makes of the encoded rows."""
        out = np.empty_like(encoded)
        for k, (column, seen) in enumerate(zip(self.order, self.seen, strict=True)):
            values = encoded[:, column]
            if seen is None:
                out[:, k] = values
                continue
            idx = np.searchsorted(seen, values)  # NaN sorts past every code: never found
            found = idx < len(seen)
            found[found] = seen[idx[found]] == values[found]
            out[:, k] = np.where(found, idx, np.nan)
        return out

    def scores(self, rows: Rows) -> np.ndarray:
        X = self.preprocess(MonotonicGBM.encode_columns(row_columns(rows)))
        raw = np.full(len(rows), self.baseline)
        for predictor in self.predictors:
            raw += predictor.predict(X, self.known_cat_bitsets, self.f_idx_map, 1)
        return raw


@dataclass(frozen=True)
class CompiledRisk:
    """``CalibratedClassifierCV.predict_proba(rows_to_frame(rows))[:, 1]`` from the rows."""

    parts: tuple[tuple[Callable[[Rows], np.ndarray], Any], ...]  # (scores, calibrator) per fold

    @classmethod
    def build(cls, estimator: Any) -> CompiledRisk | None:
        """The compiled form of a served estimator, or None when it has another shape or the
        compiled path does not give exactly what scikit-learn gives on the probe rows."""
        if type(estimator) is not CalibratedClassifierCV:
            return None
        folds = getattr(estimator, "calibrated_classifiers_", None)
        if not folds or list(getattr(estimator, "classes_", [])) != [0, 1]:
            return None
        parts = []
        for fold in folds:
            if fold.method not in ("sigmoid", "isotonic") or len(fold.calibrators) != 1 \
                    or list(fold.classes) != [0, 1]:
                return None
            est = fold.estimator
            scorer: Callable[[Rows], np.ndarray]
            if type(est) is MonotonicGBM:
                gbm = _GBMScores.build(est)
                if gbm is None:
                    return None
                scorer = gbm.scores
            elif type(est) is WOEScorecard:
                scorer = _woe_scores(est)
            else:
                return None
            if list(est.classes_) != [0, 1]:
                return None
            parts.append((scorer, fold.calibrators[0]))
        compiled = cls(tuple(parts))
        probe = probe_rows()
        expected = estimator.predict_proba(rows_to_frame(probe))[:, 1]
        if not np.array_equal(compiled.predict_pd(probe), expected, equal_nan=True):
            return None
        return compiled

    def predict_pd(self, rows: Rows) -> np.ndarray:
        """(n,) calibrated probabilities of default, as ``CalibratedClassifierCV`` averages
        them: each fold's calibrator on its estimator's decision function, summed, divided."""
        total = np.zeros(len(rows))
        for scores, calibrator in self.parts:
            p = _calibrate(calibrator, scores(rows))
            p[(1.0 < p) & (p <= 1.0 + 1e-5)] = 1.0
            total += p
        total /= len(self.parts)
        return total


def _woe_scores(est: WOEScorecard) -> Callable[[Rows], np.ndarray]:
    """``WOEScorecard.decision_function`` from rows instead of a frame (the same arithmetic)."""
    def scores(rows: Rows) -> np.ndarray:
        return np.asarray(est.woe_columns(row_columns(rows)) @ est.coef_ + est.intercept_)
    return scores


def _calibrate(calibrator: Any, scores: np.ndarray) -> np.ndarray:
    """A fold's calibrator on its scores: Platt's sigmoid inline, as ``_SigmoidCalibration``
    computes it (its input checks cost more than the arithmetic); any other by itself."""
    if type(calibrator) is _SigmoidCalibration:
        return np.asarray(expit(-(calibrator.a_ * scores + calibrator.b_)), dtype=float)
    return np.asarray(calibrator.predict(scores), dtype=float)


def probe_rows() -> list[dict[str, Any]]:
    """Rows that touch every category, unknowns, unseen values and wide numbers (seeded)."""
    rng = np.random.default_rng(0)
    rows: list[dict[str, Any]] = []
    for i in range(64):
        row: dict[str, Any] = {}
        for spec in FEATURES:
            if rng.random() < 0.2:
                row[spec.name] = math.nan if rng.random() < 0.5 else None
            elif spec.kind == "numeric":
                row[spec.name] = float(rng.choice([0.0, 1.0, 2.0, 4.0, 12.0, 36.0, 72.0])
                                       + rng.normal(0, 3) * (i % 2))
            else:
                row[spec.name] = "not-a-category" if rng.random() < 0.05 else \
                    str(rng.choice(list(spec.categories)))
        rows.append(row)
    return rows
