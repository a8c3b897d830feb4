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

from finadvisor.ontology import SLOTS
from finadvisor.services.gateway.risk.compiled import CompiledRisk
from finadvisor.services.gateway.risk.policy import SEVERITY, Affordability, Finding, Policy
from finadvisor.services.gateway.risk.reasons import (
    Reason,
    describe,
    money,
    need_reasons,
    outside_range_reason,
    overall_risk_reason,
    percent,
    product_outside_model_reason,
)
from finadvisor.services.gateway.risk.schema import (
    FEATURE_BY_NAME,
    FEATURE_NAMES,
    FEATURES,
    ApplicantFields,
    annuity_payment,
    disposable_income,
    missing_features,
    rows_to_frame,
)
from finadvisor.shared.artifacts import sha256_file, verify_manifest, write_manifest
from finadvisor.shared.errors import ModelNotReadyError

MODEL_FILE = "model.skops"
CONFIG_FILE = "config.json"
SCHEMA_VERSION = 2
#: Numeric features whose training range bounds the model's validated domain.
DOMAIN_FEATURES = ("loan_term_months", "loan_to_income")
# Which decider names the decision when several reach the same outcome: a documented rule
# outranks the model for a decline; for a refer, the reason the model could not decide comes
# first (outside its range, the mortgage policy), then the rules, then the model.
_PRIORITY = {
    "decline": ("policy", "mortgage_policy", "model", "domain"),
    "refer": ("domain", "mortgage_policy", "policy", "model"),
    "approve": ("mortgage_policy", "model", "policy", "domain"),
}

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
    """A credit assessment. ``reasons`` is never empty on a decline and empty on an approval.

    ``probability_of_default`` is None when the model was not applied (a mortgage, or an
    applicant outside its validated range); ``decided_by`` names what produced the decision
    ("model", "policy", "mortgage_policy", "domain"); ``needs`` lists what is still needed
    (ontology slots first, then bank-profile items), only on a ``refer``. A decline's reasons
    never include a missing item.
    """

    probability_of_default: float | None
    decision: str
    reasons: list[Reason]
    affordability: Affordability | None
    model_version: str
    missing_features: list[str]
    risk_band: str
    policy_version: str = ""
    decided_by: str = "model"
    needs: list[str] = field(default_factory=list)
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
            "decided_by": self.decided_by,
            "needs": list(self.needs),
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


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _contributions(logit: np.ndarray, owners: list[str]) -> dict[str, float]:
    """Per feature: ``logit[0]`` minus the lowest log-odds among that feature's variants
    (``logit[1:]``, owned as ``owners`` says), never below 0."""
    best: dict[str, float] = {}
    for name, value in zip(owners, logit[1:], strict=True):
        best[name] = min(best.get(name, math.inf), float(value))
    return {name: max(float(logit[0]) - best.get(name, float(logit[0])), 0.0)
            for name in FEATURE_NAMES}


class CreditRiskModel:
    """A calibrated PD estimator plus the credit policy that turns its PD into a decision."""

    def __init__(
        self, estimator: Any, config: dict[str, Any], policy: Policy | None = None
    ) -> None:
        self.estimator = estimator
        self.config = config
        self.policy = policy or Policy.load()
        # Scoring from plain rows, the same floats as scikit-learn's (None: another shape).
        self.compiled = CompiledRisk.build(estimator)

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
            "domain": {name: [float(X_train[name].min()), float(X_train[name].max())]
                       for name in DOMAIN_FEATURES},
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
        ) or set(config.get("domain") or ()) != set(DOMAIN_FEATURES):
            raise ModelNotReadyError("risk model was trained for another feature schema; retrain")
        path = folder / MODEL_FILE
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as exc:  # noqa: BLE001 - any unreadable file (corrupt zip, unknown format) is 'not ready'
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
        rows, owners = self._variants(row, FEATURE_NAMES)
        return _contributions(self._logits([row, *rows]), owners)

    def _variants(self, row: dict[str, Any],
                  names: tuple[str, ...] | list[str]) -> tuple[list[dict], list[str]]:
        """The row with each named feature at each of its candidate values, and the owners."""
        rows: list[dict] = []
        owners: list[str] = []
        for name in names:
            for value in self.config["candidates"][name]:
                rows.append({**row, name: value})
                owners.append(name)
        return rows, owners

    def _logits(self, rows: list[dict]) -> np.ndarray:
        """(n,) log-odds of default; one model call for the whole batch. The compiled path
        when the estimator has one (``compiled.py``: the same numbers, without the frame)."""
        pd_ = self.compiled.predict_pd(rows) if self.compiled is not None else \
            self.predict_pd(rows_to_frame(rows))
        p = np.clip(pd_, 1e-9, 1 - 1e-9)  # (n,)
        return np.log(p / (1 - p))

    # ------------------------------------------------------------------ deciding
    def assess(self, applicant: ApplicantFields) -> Assessment:
        """Decide on what is known: documented rules, the model's domain, then the model's PD.

        Mortgages go to the mortgage policy (German Credit has none). Otherwise the model is
        applied only inside its validated range; a missing fact is given its most and least
        favourable values, and only a decision that holds either way is final, so nothing
        missing can count against the applicant (it becomes a ``refer`` with ``needs``).
        """
        policy = self.policy
        row = applicant.feature_row(
            policy.burden_reference_rate_percent, policy.burden_band_edges
        )
        missing = missing_features(row)
        if policy.is_mortgage(applicant):
            aff, lead, findings = policy.mortgage_assessment(applicant)
            findings += policy.applicant_rules(applicant, "mortgage_policy")
            return self._combine(findings, None, "", aff, missing, lead=lead)
        findings = policy.applicant_rules(applicant, "policy")
        domain = self.domain_findings(applicant, row)
        if domain:
            aff = policy.affordability(applicant, policy.unscored_rate_band)
            findings += domain + policy.unsecured_rules(applicant, aff)
            return self._combine(findings, None, "", aff, missing)
        pd_, finding = self.model_finding(applicant, row, missing)
        band = policy.risk_band(pd_)
        aff = policy.affordability(applicant, band)
        findings += policy.unsecured_rules(applicant, aff)
        findings.append(finding)
        return self._combine(findings, pd_, band, aff, missing)

    def domain_findings(self, applicant: ApplicantFields, row: dict[str, Any]) -> list[Finding]:
        """``refer`` findings for an applicant the model was not validated on.

        The product must be one the training data holds (instalment loans), and the term and
        loan-to-income must lie within the training data's range.
        """
        product = self.policy.credit_product(applicant)
        out: list[Finding] = []
        if product not in self.policy.model_products:
            out.append(Finding("refer", "domain", (product_outside_model_reason(product),)))
        ranges = self.config["domain"]  # the training data's range, written at training
        lo, hi = ranges["loan_term_months"]
        term = applicant.loan_term_months
        if term is not None and not lo <= term <= hi:
            out.append(Finding("refer", "domain", (outside_range_reason(
                f"a term of {term} months (validated on {lo:.0f} to {hi:.0f} months)"),)))
        lti = row["loan_to_income"]
        lo, hi = ranges["loan_to_income"]
        if not math.isnan(lti) and lti > hi:
            out.append(Finding("refer", "domain", (outside_range_reason(
                f"a loan of {lti:.1f} times a year's disposable income (validated up to"
                f" {hi:.1f})"),)))
        return out

    def _need_items(self, applicant: ApplicantFields, feature: str) -> tuple[str, ...]:
        """The slots or profile items that would fill a missing feature ('' if none can)."""
        if feature == "employment" and applicant.employment_status not in (
            None, "employed", "self_employed"
        ):
            return ()  # retired: no length of employment exists to ask for
        return tuple(i for i in FEATURE_BY_NAME[feature].inputs
                     if getattr(applicant, i, None) is None)

    def model_finding(self, applicant: ApplicantFields, row: dict[str, Any],
                      missing: list[str]) -> tuple[float, Finding]:
        """(PD with the unknowns left unknown, the model's finding).

        The finding's outcome is the PD decision at both the most and the least favourable
        values of the facts that can still be asked for (optional profile items: at their most
        favourable and left unknown); when the two differ, what is missing matters and the
        finding is a ``refer`` with those facts as needs (the ones that move the score most
        first). Model reasons come from the favourable completion, so only
        facts that are known can ever be a reason.
        """
        policy = self.policy
        # Unknowns a final decision waits for; optional profile items (a guarantor, pledged
        # property, other instalment plans: recorded only when they exist) may only help.
        askable = [name for name in missing if self._need_items(applicant, name)
                   and name not in policy.optional_profile_items]
        helping = [name for name in missing if name not in askable
                   and name in policy.optional_profile_items]
        # Call 1: the row as it is, and each unknown feature at each of its values.
        rows, owners = self._variants(row, askable + helping)
        logit = self._logits([row, *rows])  # (1 + n_rows,)
        pd_ = _sigmoid(float(logit[0]))
        best_row, worst_row = dict(row), dict(row)
        swing: dict[str, float] = {}
        for name in askable + helping:
            idx = [i for i, o in enumerate(owners) if o == name]
            values = logit[1:][idx]  # (n_candidates,)
            swing[name] = float(values.max() - values.min())
            best_row[name] = rows[idx[int(np.argmin(values))]][name]
            if name in askable:
                worst_row[name] = rows[idx[int(np.argmax(values))]][name]
        askable.sort(key=lambda n: (-swing[n], n))
        # Call 2: both completions (each unknown at its most / least favourable value, each
        # chosen on its own: exact for the additive scorecard, an estimate for trees) and the
        # favourable completion's variants for the reasons.
        variants, var_owners = self._variants(best_row, FEATURE_NAMES)
        logit = self._logits([best_row, worst_row, *variants])
        pd_best, pd_worst = _sigmoid(float(logit[0])), _sigmoid(float(logit[1]))
        contributions = _contributions(np.concatenate([logit[:1], logit[2:]]), var_owners)
        d_best, d_worst = policy.decide_pd(pd_best), policy.decide_pd(pd_worst)
        needs: tuple[str, ...] = ()
        decision = d_best
        if d_best != d_worst:
            decision = "refer"
            moving = [n for n in askable if swing[n] >= policy.min_need_swing] or askable[:1]
            items: list[str] = []
            for name in moving[: policy.max_needs]:
                items += [i for i in self._need_items(applicant, name) if i not in items]
            needs = tuple(items)
        reasons: list[Reason] = []
        if decision != "approve":
            figures = self._figures(applicant)
            for name, contrib in sorted(contributions.items(), key=lambda kv: (-kv[1], kv[0])):
                if contrib < policy.min_reason_contribution:
                    break
                if name in missing:
                    continue
                code, words = describe(name, best_row[name], figures)
                reasons.append(Reason(code, words, contrib, "model"))
            if decision == "decline" and not reasons:
                reasons.append(overall_risk_reason(pd_best))
        return pd_, Finding(decision, "model", tuple(reasons), needs)

    def _figures(self, applicant: ApplicantFields) -> dict[str, str]:
        """The applicant's own instalment figures that model reasons state."""
        policy = self.policy
        income = disposable_income(applicant)
        a = applicant
        if a.loan_amount is None or a.loan_term_months is None or not income or income <= 0:
            return {}
        instalment = annuity_payment(a.loan_amount, policy.burden_reference_rate_percent,
                                     a.loan_term_months)
        return {"instalment": money(instalment, policy.currency_of(a)),
                "instalment_share": percent(float(instalment / income))}

    def _combine(self, findings: list[Finding], pd_: float | None, band: str,
                 aff: Affordability | None, missing: list[str],
                 lead: Reason | None = None) -> Assessment:
        """The most severe finding decides; its decider names the decision.

        Reasons: on a decline only the declining findings' (facts, never a missing item); on
        a refer every finding's, the deciding ones first, with what is still needed; on an
        approval none. ``lead`` (the mortgage policy's own figures) opens a non-approval.
        """
        policy = self.policy
        decision = max((f.decision for f in findings), key=SEVERITY.__getitem__,
                       default="approve")
        order = _PRIORITY[decision]
        deciding = [f for f in findings if f.decision == decision]
        decided_by = min((f.decided_by for f in deciding), key=order.index, default="model")
        reasons: list[Reason] = []
        needs: list[str] = []
        if decision != "approve":
            ranked = sorted(
                (f for f in findings if f.decision == decision or decision == "refer"),
                key=lambda f: (-SEVERITY[f.decision], order.index(f.decided_by)),
            )
            for f in ranked:
                needs += [n for n in f.needs if n not in needs]
            # Slots the customer can answer first, then what the bank's profile holds.
            needs.sort(key=lambda n: (n not in SLOTS, SLOTS.index(n) if n in SLOTS else 0))
            if decision == "decline":
                needs = []
            for f in ranked:
                reasons += [r for r in f.reasons if r not in reasons]
            if needs:
                # Needs go after the decisive rule reasons, before model factors.
                split = next((i for i, r in enumerate(reasons) if r.source == "model"),
                             len(reasons))
                reasons[split:split] = need_reasons(needs)
            if lead is not None and decided_by == "mortgage_policy":
                reasons.insert(0, lead)
            if decision == "decline":
                reasons = [r for r in reasons if r.source != "missing"]
            reasons = reasons[: policy.max_reasons]
        return Assessment(
            probability_of_default=None if pd_ is None else round(pd_, 6),
            decision=decision,
            reasons=reasons,
            affordability=aff,
            model_version=self.version,
            missing_features=missing,
            risk_band=band,
            policy_version=policy.version,
            decided_by=decided_by,
            needs=needs,
        )
