"""Train, compare and evaluate the credit-risk models (the `risk` component of `finadvisor train`).

Both candidate models (WOE scorecard, monotone gradient-boosted trees), each wrapped in
sigmoid calibration, are scored by the same stratified 5-fold cross-validation; the one with
the higher mean fold AUC is refitted on all 1000 applicants and served. Every figure in the
model card is out-of-fold, so none of them is measured on data the model was fitted on.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold

from finadvisor.services.gateway.risk.dataset import GERMAN_CREDIT_SHA256, training_frame
from finadvisor.services.gateway.risk.estimators import MonotonicGBM, WOEScorecard
from finadvisor.services.gateway.risk.model import CreditRiskModel
from finadvisor.services.gateway.risk.policy import Policy
from finadvisor.services.gateway.risk.schema import FEATURES, PROFILE_FEATURES
from finadvisor.services.gateway.risk.suite import suite_section

log = logging.getLogger(__name__)

COMPONENT = "risk"
KINDS = ("scorecard", "gbm")
N_SPLITS = 5
CALIBRATION_SPLITS = 3
AGE_BANDS = ((0, 25), (25, 35), (35, 50), (50, 200))


def make_estimator(kind: str, seed: int, params: dict[str, Any] | None = None) -> Any:
    """A calibrated candidate model; ``params`` override the base estimator's defaults."""
    params = params or {}
    if kind == "scorecard":
        base: Any = WOEScorecard(max_bins=10, **params)
    elif kind == "gbm":
        base = MonotonicGBM(random_state=seed, **params)
    else:
        raise ValueError(f"unknown risk model kind {kind!r}")
    return CalibratedClassifierCV(
        base,
        method="sigmoid",
        cv=StratifiedKFold(CALIBRATION_SPLITS, shuffle=True, random_state=seed),
        ensemble=False,
    )


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score CDFs of bads and goods."""
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def calibration_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted PD vs observed default rate in PD deciles."""
    order = np.argsort(p, kind="stable")
    rows = []
    for chunk in np.array_split(order, n_bins):
        rows.append({
            "n": int(chunk.size),
            "mean_pd": round(float(p[chunk].mean()), 4),
            "observed_default_rate": round(float(y[chunk].mean()), 4),
        })
    return rows


def age_report(p: np.ndarray, age: np.ndarray, approve_below: float) -> dict[str, Any]:
    """Approval rates (PD below the approve cut-off) by age: <25 vs >=25 and by band."""
    approved = p < approve_below
    young = age < 25
    gap = float(approved[~young].mean() - approved[young].mean())
    bands = {}
    for lo, hi in AGE_BANDS:
        mask = (age >= lo) & (age < hi)
        label = f"{lo}-{hi - 1}" if hi < 200 else f"{lo}+"
        if lo == 0:
            label = f"<{hi}"
        bands[label] = {"n": int(mask.sum()), "approval_rate": round(float(approved[mask].mean()), 4)}
    return {
        "approval_rate_under_25": round(float(approved[young].mean()), 4),
        "approval_rate_25_and_over": round(float(approved[~young].mean()), 4),
        "age_gap": round(gap, 4),
        "bands": bands,
    }


def cross_validate(
    kind: str,
    X: pd.DataFrame,
    y: np.ndarray,
    age: np.ndarray,
    seed: int = 0,
    n_splits: int = N_SPLITS,
    params: dict[str, Any] | None = None,
    policy: Policy | None = None,
) -> dict[str, Any]:
    """Out-of-fold metrics of one candidate: fold-mean AUCs, pooled KS/Brier/calibration/age gap.

    ``auc_dialogue_only`` scores each held-out fold with the bank-profile features removed,
    which is what the gateway sees when the backend sends no profile.
    """
    policy = policy or Policy.load()
    oof = np.zeros(len(y))
    oof_dialogue = np.zeros(len(y))
    aucs, aucs_dialogue = [], []
    for train_idx, test_idx in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(
        X, y
    ):
        model = make_estimator(kind, seed, params).fit(X.iloc[train_idx], y[train_idx])
        held_out = X.iloc[test_idx]
        p = model.predict_proba(held_out)[:, 1]  # (n_test,)
        dialogue_only = held_out.copy()
        dialogue_only.loc[:, list(PROFILE_FEATURES)] = np.nan
        p_dialogue = model.predict_proba(dialogue_only)[:, 1]  # (n_test,)
        oof[test_idx], oof_dialogue[test_idx] = p, p_dialogue
        aucs.append(roc_auc_score(y[test_idx], p))
        aucs_dialogue.append(roc_auc_score(y[test_idx], p_dialogue))
    ages = age_report(oof, age, policy.approve_below)
    return {
        "kind": kind,
        "auc": round(float(np.mean(aucs)), 4),
        "auc_fold_std": round(float(np.std(aucs)), 4),
        "auc_dialogue_only": round(float(np.mean(aucs_dialogue)), 4),
        "ks": round(ks_statistic(y, oof), 4),
        "brier": round(float(brier_score_loss(y, oof)), 4),
        "brier_dialogue_only": round(float(brier_score_loss(y, oof_dialogue)), 4),
        "age_gap": ages["age_gap"],
        "age": ages,
        "calibration": calibration_table(y, oof),
        "approval_rate": round(float((oof < policy.approve_below).mean()), 4),
        "decline_rate": round(float((oof >= policy.decline_at_or_above).mean()), 4),
    }


def _card_markdown(served: dict[str, Any], candidates: dict[str, dict], seed: int,
                   policy: Policy, points: list[dict] | None) -> str:
    lines = [
        "# Credit-risk model card",
        "",
        "- Model version: `{model_version}`",
        f"- Served model: **{served['kind']}** (highest {N_SPLITS}-fold cross-validated AUC),"
        " sigmoid-calibrated",
        f"- Training data: German Credit, 1000 applicants (300 defaults), sha256 "
        f"`{GERMAN_CREDIT_SHA256[:16]}...`; seed {seed}",
        f"- Policy `{policy.version}`: approve below PD {policy.approve_below}, decline at or"
        f" above {policy.decline_at_or_above}, DTI cap {policy.dti_cap}",
        "- Features: " + ", ".join(f"`{f.name}` ({f.source})" for f in FEATURES),
        "- Not features: personal status and sex, foreign worker (protected), German attributes"
        " with no dialogue or profile counterpart (job, telephone, residence), and the raw credit"
        " amount (1970s DM; the loan enters relative to income as `loan_to_income`).",
        "",
        "## Cross-validated performance (out-of-fold)",
        "",
        "| model | AUC | AUC dialogue-only | KS | Brier | approval rate | age gap |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in candidates.values():
        lines.append(
            f"| {m['kind']} | {m['auc']} ± {m['auc_fold_std']} | {m['auc_dialogue_only']} |"
            f" {m['ks']} | {m['brier']} | {m['approval_rate']} | {m['age_gap']} |"
        )
    lines += ["", "## Calibration of the served model (PD deciles)", "",
              "| n | mean PD | observed default rate |", "|---|---|---|"]
    for row in served["calibration"]:
        lines.append(f"| {row['n']} | {row['mean_pd']} | {row['observed_default_rate']} |")
    lines += ["", "## Approval rate by age (served model, PD below the approve cut-off)", "",
              "| age | n | approval rate |", "|---|---|---|"]
    for label, band in served["age"]["bands"].items():
        lines.append(f"| {label} | {band['n']} | {band['approval_rate']} |")
    lines += [
        "",
        f"Gap (25 and over minus under 25): {served['age']['age_gap']}. Age is a feature"
        " (the data show more defaults among younger applicants); it is constrained so that"
        " being older never raises the PD. Review this gap before production use.",
        "",
        "## Known limitations",
        "",
        "- 1000 applicants from a 1970s German bank, amounts in DM: no feature is a currency"
        " amount. The loan enters as `loan_to_income` (loan over a year of disposable income),"
        " which German Credit does not record: it is implied from the instalment-rate band"
        " (midpoint shares 15/22.5/30/40 %) and the term at the reference rate, so it carries"
        " the band's resolution only. A bank should retrain on its own book.",
        "- Validated domain: instalment loans (personal, auto) with terms and loan-to-income"
        " inside the training range (see `config.json` `domain`); anything else is referred, and"
        " mortgages are decided by the mortgage policy (docs/CREDIT.md), never by this model.",
        "- `auc_dialogue_only` is limited by what a dialogue can learn: the strongest German"
        " predictors (checking account, credit history, savings) are bank-profile items.",
        "- The instalment-rate coding (1-4) is read as bands of instalment/disposable income"
        " (<20%, 20-25%, 25-35%, >=35%), the reading consistent with its default rates.",
        "- Purposes absent from the data (home, debt consolidation, travel, medical) score as"
        " `other`; `critical` credit history shows a low default rate in this data set.",
        "",
    ]
    if points:
        lines += ["## Scorecard points (higher = safer)", "", "| feature | bin | WOE | points |",
                  "|---|---|---|---|"]
        lines += [f"| {r['feature']} | {r['bin']} | {r['woe']} | {r['points']} |" for r in points]
        lines.append("")
    return "\n".join(lines)


def train(models_dir: Path, data_dir: Path, seed: int = 0, progress: bool = True) -> dict:
    """Cross-validate both candidates, refit the better one on all data, write models_dir/risk.

    ``data_dir`` is unused: the training data ship with the package (no download ever).
    """
    del data_dir
    X, y, age = training_frame()
    policy = Policy.load()
    candidates = {}
    for kind in KINDS:
        candidates[kind] = cross_validate(kind, X, y, age, seed=seed, policy=policy)
        if progress:
            log.info("risk %s: cv auc %.4f", kind, candidates[kind]["auc"])
            print(f"risk {kind}: cv auc {candidates[kind]['auc']:.4f}"
                  f" brier {candidates[kind]['brier']:.4f}", flush=True)
    served_kind = max(KINDS, key=lambda k: candidates[k]["auc"])
    served = candidates[served_kind]
    estimator = make_estimator(served_kind, seed).fit(X, y)
    model = CreditRiskModel.from_fitted(
        estimator, served_kind, X, {"seed": seed, "data_sha256": GERMAN_CREDIT_SHA256,
                                    "cv_auc": served["auc"]}, policy
    )
    points = None
    if served_kind == "scorecard":
        points = estimator.calibrated_classifiers_[0].estimator.points_table()
    card = {
        "served": served_kind,
        "seed": seed,
        "data_sha256": GERMAN_CREDIT_SHA256,
        "policy_version": policy.version,
        "features": [f.name for f in FEATURES],
        "profile_features": list(PROFILE_FEATURES),
        "protected_attributes_excluded": ["personal_status_and_sex", "foreign_worker"],
        "candidates": candidates,
    }
    model.save(Path(models_dir) / COMPONENT,
               _card_markdown(served, candidates, seed, policy, points), card)
    return {**_section(served), "served": served_kind, "model_version": model.version,
            "candidates": {k: _section(v) for k, v in candidates.items()}}


def _section(metrics: dict[str, Any]) -> dict[str, float]:
    return {key: metrics[key] for key in ("auc", "auc_dialogue_only", "ks", "brier", "age_gap")}


DIALOGUE_ONLY_NOTE = (
    "AUC with every bank-profile feature unknown (what the gateway sees without a profile);"
    " limited because German Credit's strongest predictors (checking account, credit history,"
    " savings) are bank-profile items a dialogue does not learn"
)


def evaluate(models_dir: Path, data_dir: Path) -> dict:
    """The `risk` section of `finadvisor eval --json`: 5-fold CV of the served model's recipe,
    and the decision suite's agreement.

    Loads (and so verifies) the trained folder first; the figures are out-of-fold, since the
    served model itself has seen every applicant. The decision suite lives with the
    repository's tests (not package data); without it the section says so.
    """
    del data_dir
    model = CreditRiskModel.load(Path(models_dir) / COMPONENT)
    X, y, age = training_frame()
    seed = int(model.config.get("seed", 0))
    out: dict[str, Any] = _section(cross_validate(model.kind, X, y, age, seed=seed,
                                                  policy=model.policy))
    out["auc_dialogue_only_note"] = DIALOGUE_ONLY_NOTE
    out.update(suite_section(model))
    return out


def load_card(models_dir: Path) -> dict[str, Any]:
    """The JSON model card of a trained folder (for the console and `finadvisor eval`)."""
    return json.loads((Path(models_dir) / COMPONENT / "model_card.json").read_text())
