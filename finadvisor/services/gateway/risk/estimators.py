"""The two credit-risk estimators: a WOE scorecard and a monotone gradient-boosted model.

Both take the feature frame of ``schema.FEATURES`` (NaN = unknown) and follow the
scikit-learn estimator contract (no logic in ``__init__``, fitted attributes end in ``_``),
so ``CalibratedClassifierCV`` and cross-validation treat them like any other classifier.

Why two: the scorecard is the classic, auditable form (one weight-of-evidence table per
feature, additive points, monotone bins); the gradient-boosted model can capture interactions
and still promises monotonicity in amount, term, instalment burden and age. The one with the
better cross-validated AUC is served (``training.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import ThreadpoolController

_CONTROLLER: ThreadpoolController | None = None


def one_openmp_thread():  # type: ignore[no-untyped-def]  # a context manager of threadpoolctl (untyped)
    """Limit OpenMP to one thread for a block. The controller scans the loaded libraries once
    (a fresh ``threadpool_limits`` rescans them on every call, which cost more than scoring)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="openmp")

from finadvisor.services.gateway.risk.schema import (  # noqa: E402 - after the thread-pool guard it uses at import
    FEATURES,
    PROFILE_FEATURES,
    FeatureSpec,
)

#: Feature name -> its values: float for a numeric feature (NaN unknown), object otherwise.
Columns = dict[str, np.ndarray]


def frame_columns(X: pd.DataFrame) -> Columns:
    """The schema's columns of a feature frame."""
    return {spec.name: X[spec.name].to_numpy(dtype=float if spec.kind == "numeric" else object)
            for spec in FEATURES}


def row_columns(rows: Sequence[Mapping[str, Any]]) -> Columns:
    """The same columns from feature rows, as ``frame_columns(rows_to_frame(rows))`` gives
    them (a missing key or None is unknown), without building the frame."""
    out: Columns = {}
    for spec in FEATURES:
        values = [row.get(spec.name) for row in rows]
        if spec.kind == "numeric":
            out[spec.name] = np.array([math.nan if v is None else float(v) for v in values],
                                      dtype=float)
        else:
            column = np.empty(len(values), dtype=object)
            column[:] = values
            out[spec.name] = column
    return out


#: Categorical feature -> category -> its index in the schema (the boosted model's encoding).
_CATEGORY_INDEX = {spec.name: {c: float(i) for i, c in enumerate(spec.categories)}
                   for spec in FEATURES if spec.kind == "categorical"}


def _woe(bad: np.ndarray, good: np.ndarray, total_bad: int, total_good: int, s: float) -> np.ndarray:
    """ln(share of bads / share of goods) per bin, Laplace-smoothed by ``s``: >0 is riskier."""
    return np.log(((bad + s) / (total_bad + s)) / ((good + s) / (total_good + s)))


def _monotone_bins(
    values: np.ndarray, y: np.ndarray, max_bins: int, min_count: int, direction: int
) -> np.ndarray:
    """Inner cut points for one numeric feature.

    Starts from quantile cuts, merges bins smaller than ``min_count`` into a neighbour, then
    (when ``direction`` is +1 or -1) merges adjacent bins until the bad rate is monotone in
    that direction, so the scorecard can never rank a longer term as safer, for example.
    """
    qs = np.quantile(values, np.linspace(0, 1, max_bins + 1)[1:-1])
    edges = list(np.unique(qs))

    def stats(cuts: list[float]) -> tuple[np.ndarray, np.ndarray]:
        idx = np.searchsorted(np.asarray(cuts), values, side="right")  # (n,) bin of each value
        n = np.bincount(idx, minlength=len(cuts) + 1)
        bad = np.bincount(idx, weights=y, minlength=len(cuts) + 1)
        return n, bad

    changed = True
    while changed and edges:
        changed = False
        n, bad = stats(edges)
        small = np.flatnonzero(n < min_count)
        if small.size:
            i = int(small[0])
            # Drop the cut between bin i and its smaller neighbour.
            if i == 0:
                edges.pop(0)
            elif i == len(n) - 1:
                edges.pop(-1)
            else:
                edges.pop(i - 1 if n[i - 1] <= n[i + 1] else i)
            changed = True
            continue
        if direction:
            rate = bad / np.maximum(n, 1)
            step = np.diff(rate) * direction  # must be >= 0 everywhere
            bad_steps = np.flatnonzero(step < 0)
            if bad_steps.size:
                edges.pop(int(bad_steps[0]))
                changed = True
    return np.asarray(edges, dtype=float)


class WOEScorecard(ClassifierMixin, BaseEstimator):
    """Weight-of-evidence binning + logistic regression, with an explicit missing bin.

    Each numeric feature is cut into at most ``max_bins`` monotone bins, each categorical value
    is its own bin, and every feature has a "missing" bin whose WOE is estimated from training
    rows where the feature is missing, or 0 (no evidence either way) when there are none. The
    logistic regression sees one WOE column per feature; a feature whose weight comes out
    negative (collinearity turning the WOE direction around) is dropped and the fit repeated,
    so every bin ordering survives into the score.
    """

    def __init__(
        self,
        max_bins: int = 6,
        min_bin_fraction: float = 0.05,
        smoothing: float = 0.5,
        C: float = 1.0,
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_fraction = min_bin_fraction
        self.smoothing = smoothing
        self.C = C

    def _feature_bins(self, spec: FeatureSpec, col: pd.Series, y: np.ndarray) -> dict[str, Any]:
        total_bad = int(y.sum())
        total_good = int(len(y) - total_bad)
        present = col.notna().to_numpy()
        out: dict[str, Any] = {"kind": spec.kind}
        if spec.kind == "numeric":
            values = col.to_numpy(dtype=float)[present]
            edges = _monotone_bins(
                values,
                y[present].astype(float),
                self.max_bins,
                max(1, int(self.min_bin_fraction * len(y))),
                spec.monotone,
            )
            idx = np.searchsorted(edges, values, side="right")  # (n_present,)
            n = np.bincount(idx, minlength=len(edges) + 1)
            bad = np.bincount(idx, weights=y[present], minlength=len(edges) + 1)
            out["edges"] = edges.tolist()
            out["woe"] = _woe(bad, n - bad, total_bad, total_good, self.smoothing).tolist()
        else:
            values = col[present].astype(str).to_numpy()
            woe = {}
            for cat in spec.categories:
                mask = values == cat
                n_cat = int(mask.sum())
                if n_cat == 0:
                    woe[cat] = 0.0
                    continue
                b = float(y[present][mask].sum())
                woe[cat] = float(
                    _woe(np.array([b]), np.array([n_cat - b]), total_bad, total_good,
                         self.smoothing)[0]
                )
            out["woe"] = woe
        n_missing = int((~present).sum())
        if n_missing >= max(1, int(self.min_bin_fraction * len(y))):
            b = float(y[~present].sum())
            out["missing_woe"] = float(
                _woe(np.array([b]), np.array([n_missing - b]), total_bad, total_good,
                     self.smoothing)[0]
            )
        else:
            out["missing_woe"] = 0.0
        return out

    def woe_transform(self, X: pd.DataFrame) -> np.ndarray:
        """(n, n_features) WOE matrix in schema order; unknown categories use the missing WOE."""
        return self.woe_columns(frame_columns(X))

    def woe_columns(self, columns: Columns) -> np.ndarray:
        """``woe_transform`` of the schema's columns (``frame_columns`` / ``row_columns``)."""
        cols = []
        for spec in FEATURES:
            b = self.bins_[spec.name]
            col = columns[spec.name]
            if spec.kind == "numeric":
                v = col
                woe = np.asarray(b["woe"])
                idx = np.searchsorted(np.asarray(b["edges"]), np.nan_to_num(v), side="right")
                w = np.where(np.isnan(v), b["missing_woe"], woe[idx])
            else:
                w = np.array(
                    [
                        b["woe"].get(str(x), b["missing_woe"])
                        if not (isinstance(x, float) and math.isnan(x)) and x is not None
                        else b["missing_woe"]
                        for x in col
                    ],
                    dtype=float,
                )
            cols.append(w)
        return np.column_stack(cols)  # (n, n_features)

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> WOEScorecard:
        y = np.asarray(y).astype(int)
        self.classes_ = np.array([0, 1])
        self.bins_ = {spec.name: self._feature_bins(spec, X[spec.name], y) for spec in FEATURES}
        W = self.woe_transform(X)  # (n, n_features)
        keep = np.ones(W.shape[1], dtype=bool)
        while True:
            lr = LogisticRegression(C=self.C, max_iter=1000)
            lr.fit(W[:, keep], y)
            coef = lr.coef_[0]  # (n_kept,)
            if (coef >= 0).all():
                break
            drop = np.flatnonzero(keep)[int(np.argmin(coef))]
            keep[drop] = False
        full = np.zeros(W.shape[1])
        full[keep] = coef
        self.coef_ = full  # (n_features,) weight per WOE column, 0 for a dropped feature
        self.intercept_ = float(lr.intercept_[0])
        self.feature_names_in_ = np.asarray([f.name for f in FEATURES], dtype=object)
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        W = self.woe_transform(X)  # (n, n_features)
        return W @ self.coef_ + self.intercept_  # (n, n_features) @ (n_features,) -> (n,)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))  # (n,)
        return np.column_stack([1 - p, p])  # (n, 2)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)

    def points_table(self, pdo: float = 20.0, base_score: float = 600.0,
                     base_odds: float = 50.0) -> list[dict[str, Any]]:
        """Scorecard points per bin (higher = safer), the usual credit-scoring presentation."""
        factor = pdo / math.log(2)
        offset = base_score - factor * math.log(base_odds)
        n = int((self.coef_ != 0).sum()) or 1
        rows: list[dict[str, Any]] = []
        for spec, beta in zip(FEATURES, self.coef_, strict=True):
            b = self.bins_[spec.name]
            if spec.kind == "numeric":
                edges = b["edges"]
                labels = []
                for i in range(len(edges) + 1):
                    lo = f"{edges[i - 1]:g}" if i > 0 else "-inf"
                    hi = f"{edges[i]:g}" if i < len(edges) else "inf"
                    labels.append(f"[{lo}, {hi})")
                items = list(zip(labels, b["woe"], strict=True))
            else:
                items = list(b["woe"].items())
            items.append(("missing", b["missing_woe"]))
            for label, woe in items:
                points = -(beta * woe + self.intercept_ / n) * factor + offset / n
                rows.append({"feature": spec.name, "bin": label, "woe": round(woe, 4),
                             "points": round(points, 1)})
        return rows


class MonotonicGBM(ClassifierMixin, BaseEstimator):
    """HistGradientBoosting with monotonic constraints and training-time missingness.

    The German data has no missing values, yet in a dialogue whole groups of features are
    often unknown (no bank profile, no age yet). ``fit`` therefore appends copies of the
    training rows with the profile features removed and with features removed at random
    (``mask_rate``), so the trees learn explicit missing-value splits instead of routing an
    unknown value wherever the most samples went.
    """

    def __init__(
        self,
        max_iter: int = 150,
        learning_rate: float = 0.05,
        max_depth: int = 3,
        min_samples_leaf: int = 30,
        l2_regularization: float = 1.0,
        mask_rate: float = 0.15,
        random_state: int = 0,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.mask_rate = mask_rate
        self.random_state = random_state

    @staticmethod
    def encode(X: pd.DataFrame) -> np.ndarray:
        """(n, n_features) float matrix: categoricals as their index in the schema, NaN unknown."""
        return MonotonicGBM.encode_columns(frame_columns(X))

    @staticmethod
    def encode_columns(columns: Columns) -> np.ndarray:
        """``encode`` of the schema's columns (``frame_columns`` / ``row_columns``)."""
        cols = []
        for spec in FEATURES:
            col = columns[spec.name]
            if spec.kind == "numeric":
                cols.append(col)
            else:
                lookup = _CATEGORY_INDEX[spec.name]
                cols.append(
                    np.array([lookup.get(x, np.nan) if isinstance(x, str) else np.nan
                              for x in col], dtype=float)
                )
        return np.column_stack(cols)  # (n, n_features)

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> MonotonicGBM:
        y = np.asarray(y).astype(int)
        rng = np.random.default_rng(self.random_state)
        E = self.encode(X)  # (n, p)
        no_profile = E.copy()
        for j, spec in enumerate(FEATURES):
            if spec.name in PROFILE_FEATURES:
                no_profile[:, j] = np.nan
        random_mask = E.copy()
        random_mask[rng.random(E.shape) < self.mask_rate] = np.nan
        E_aug = np.vstack([E, no_profile, random_mask])  # (3n, p)
        y_aug = np.concatenate([y, y, y])  # (3n,)
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            categorical_features=[spec.kind == "categorical" for spec in FEATURES],
            monotonic_cst=[spec.monotone if spec.kind == "numeric" else 0 for spec in FEATURES],
            early_stopping=False,
            random_state=self.random_state,
        )
        # A few thousand rows: one OpenMP thread is faster than fighting over shared cores.
        with one_openmp_thread():
            self.model_.fit(E_aug, y_aug)
        self.classes_ = self.model_.classes_
        self.feature_names_in_ = np.asarray([f.name for f in FEATURES], dtype=object)
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        with one_openmp_thread():
            return self.model_.decision_function(self.encode(X))  # (n,)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        with one_openmp_thread():
            return self.model_.predict_proba(self.encode(X))  # (n, 2)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
