"""The served credit-risk model: load safely, score an applicant, explain and decide.

A model folder (``models_dir/"risk"``) holds ``model.skops`` (the calibrated estimator),
``config.json`` (kind, version, reason-code candidates), ``MODEL_CARD.md``/``model_card.json``
and ``MANIFEST.json``. Loading checks every file's sha256 against the manifest first, then
opens the skops file with an explicit list of trusted types written in this module (never
taken from the file), so a tampered artifact is refused before anything is deserialised.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio

from finadvisor.services.gateway.risk.features import (
    FEATURE_NAMES,
    FEATURES,
    ApplicantFields,
    missing_features,
    rows_to_frame,
)
from finadvisor.services.gateway.risk.policy import Affordability, Policy
from finadvisor.services.gateway.risk.reasons import (
    Reason,
    affordability_unknown_reason,
    describe,
    dti_reason,
    overall_risk_reason,
)
from finadvisor.shared.artifacts import sha256_file, verify_manifest, write_manifest
from finadvisor.shared.errors import ModelNotReadyError

MODEL_FILE = "model.skops"
CONFIG_FILE = "config.json"
SCHEMA_VERSION = 1

# Types a risk model file may contain beyond skops' defaults. Written here, never read from the
# file: anything else in a model file makes loading fail.
# functools.partial appears because the boosted model keeps partial(check_array, ...); with
# check_array the only trusted function, a partial can call nothing else.
TRUSTED_TYPES: tuple[str, ...] = (
    "functools.partial",
    "sklearn.utils.validation.check_array",
    "finadvisor.services.gateway.risk.estimators.MonotonicGBM",
    "finadvisor.services.gateway.risk.estimators.WOEScorecard",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.model_selection._split.StratifiedKFold",
)


@dataclass(frozen=True)
class Assessment:
    """A credit assessment. ``reasons`` is never empty on a decline and empty on an approval."""

    probability_of_default: float
    decision: str
    reasons: list[Reason]
    affordability: Affordability | None
    model_version: str
    missing_features: list[str]
    risk_band: str
    policy_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (money as decimal strings) for audit records and the console."""
        return {
            "probability_of_default": self.probability_of_default,
            "decision": self.decision,
            "reasons": [r.to_dict() for r in self.reasons],
            "affordability": None if self.affordability is None else self.affordability.to_dict(),
            "model_version": self.model_version,
            "missing_features": list(self.missing_features),
            "risk_band": self.risk_band,
            "policy_version": self.policy_version,
        }


def _candidate_values(X: pd.DataFrame) -> dict[str, list]:
    """Values each feature is tried at when looking for its most favourable value."""
    out: dict[str, list] = {}
    for spec in FEATURES:
        if spec.kind == "categorical":
            out[spec.name] = list(spec.categories)
        else:
            col = X[spec.name].dropna().to_numpy(dtype=float)
            qs = np.unique(np.quantile(col, np.linspace(0, 1, 21)))
            out[spec.name] = [float(v) for v in qs]
    return out


class CreditRiskModel:
    """A calibrated PD estimator plus the credit policy that turns its PD into a decision."""

    def __init__(
        self, estimator: Any, config: dict[str, Any], policy: Policy | None = None
    ) -> None:
        self.estimator = estimator
        self.config = config
        self.policy = policy or Policy.load()

    @classmethod
    def from_fitted(
        cls, estimator: Any, kind: str, X_train: pd.DataFrame, meta: dict[str, Any],
        policy: Policy | None = None,
    ) -> CreditRiskModel:
        """Wrap a freshly fitted calibrated estimator (the version is set on save)."""
        config = {
            "schema_version": SCHEMA_VERSION,
            "kind": kind,
            "features": list(FEATURE_NAMES),
            "candidates": _candidate_values(X_train),
            "version": f"risk-{kind}-unsaved",
            **meta,
        }
        return cls(estimator, config, policy)

    @property
    def kind(self) -> str:
        return str(self.config["kind"])

    @property
    def version(self) -> str:
        return str(self.config["version"])

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path, card_markdown: str = "", card: dict | None = None) -> Path:
        """Write the model folder and its manifest; the version is the model file's sha256."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "MANIFEST.json").unlink(missing_ok=True)
        sio.dump(self.estimator, folder / MODEL_FILE)
        self.config["version"] = f"risk-{self.kind}-{sha256_file(folder / MODEL_FILE)[:12]}"
        (folder / CONFIG_FILE).write_text(json.dumps(self.config, indent=2, sort_keys=True) + "\n")
        if card is not None:
            card = {**card, "model_version": self.version}
            (folder / "model_card.json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
        if card_markdown:
            (folder / "MODEL_CARD.md").write_text(
                card_markdown.replace("{model_version}", self.version)
            )
        write_manifest(folder, component="risk", version=self.version,
                       schema_version=SCHEMA_VERSION)
        return folder

    @classmethod
    def load(cls, folder: Path, policy: Policy | None = None) -> CreditRiskModel:
        """Verify the manifest, check the skops types against TRUSTED_TYPES, then load.

        Raises ModelNotReadyError when files are missing, tampered with or hold other types.
        """
        folder = Path(folder)
        verify_manifest(folder)
        try:
            config = json.loads((folder / CONFIG_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise ModelNotReadyError(f"risk model config unreadable: {exc}") from None
        if config.get("schema_version") != SCHEMA_VERSION or config.get("features") != list(
            FEATURE_NAMES
        ):
            raise ModelNotReadyError("risk model was trained for another feature schema; retrain")
        path = folder / MODEL_FILE
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as exc:  # a corrupt zip or unknown format
            raise ModelNotReadyError(f"risk model file unreadable: {exc}") from None
        unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unexpected:
            raise ModelNotReadyError(f"risk model file holds untrusted types: {unexpected[:5]}")
        estimator = sio.load(path, trusted=list(untrusted))
        return cls(estimator, config, policy)

    # ------------------------------------------------------------------ scoring
    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """(n,) calibrated probabilities of default for a feature frame."""
        return self.estimator.predict_proba(X[list(FEATURE_NAMES)])[:, 1]

    def contributions(self, row: dict[str, Any]) -> dict[str, float]:
        """Per feature: log-odds of default now minus at the feature's most favourable value.

        Every other feature stays as given, so for the additive scorecard this is exactly the
        points lost on that feature; for the gradient-boosted model it is the same question
        asked of the trees. One batch of rows: feature j tried at each of its candidates.
        """
        rows = [row]
        owners: list[str] = [""]
        for name in FEATURE_NAMES:
            for value in self.config["candidates"][name]:
                rows.append({**row, name: value})
                owners.append(name)
        p = np.clip(self.predict_pd(rows_to_frame(rows)), 1e-9, 1 - 1e-9)  # (1 + n_candidates,)
        logit = np.log(p / (1 - p))
        best: dict[str, float] = {}
        for name, value in zip(owners[1:], logit[1:], strict=True):
            best[name] = min(best.get(name, math.inf), float(value))
        return {name: max(float(logit[0]) - best[name], 0.0) for name in FEATURE_NAMES}

    def assess(self, applicant: ApplicantFields) -> Assessment:
        """Score, explain, check affordability and decide for one applicant."""
        policy = self.policy
        row = applicant.feature_row(
            policy.burden_reference_rate_percent, policy.burden_band_edges
        )
        pd_ = float(self.predict_pd(rows_to_frame([row]))[0])
        band = policy.risk_band(pd_)
        affordability = policy.affordability(applicant, band)
        decision = policy.decide(pd_, affordability)

        model_reasons = []
        for name, contrib in sorted(
            self.contributions(row).items(), key=lambda kv: (-kv[1], kv[0])
        ):
            if contrib < policy.min_reason_contribution:
                break
            code, words = describe(name, row[name])
            model_reasons.append(Reason(code, words, contrib))
        reasons: list[Reason] = []
        if affordability is not None and affordability.affordable is False:
            reasons.append(dti_reason(affordability.debt_to_income, policy.dti_cap))
        elif (affordability is None or affordability.affordable is None) and decision != "approve":
            reasons.append(affordability_unknown_reason())
        reasons.extend(model_reasons)
        # Reasons explain a refer or decline; an approval carries none.
        reasons = [] if decision == "approve" else reasons[: policy.max_reasons]
        if decision == "decline" and not reasons:
            reasons.append(overall_risk_reason(pd_))
        return Assessment(
            probability_of_default=round(pd_, 6),
            decision=decision,
            reasons=reasons,
            affordability=affordability,
            model_version=self.version,
            missing_features=missing_features(row),
            risk_band=band,
            policy_version=policy.version,
        )
