"""The gateway's side of the credit-risk models: proto <-> risk domain, and when to score."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2
from finadvisor.services.gateway.risk.model import Assessment, CreditRiskModel
from finadvisor.services.gateway.risk.schema import ApplicantFields, ready_for_assessment

#: Intents on which the gateway scores automatically once the state is complete.
CREDIT_INTENTS = frozenset({"apply_loan", "ask_eligibility", "inform", "upload_document",
                            "affirm", "ask_rate"})


def assessment_to_proto(a: Assessment) -> common_pb2.CreditAssessment:
    """The assessment as the contract's message.

    ``probability_of_default`` is 0 when the model was not applied (``decided_by`` is
    "mortgage_policy" or "domain"): read it together with ``decided_by``. ``reasons[0]`` is the
    main reason in plain words, ``needs`` what a refer still waits for, and the instalment and
    currency are in ``affordability``: what a reply needs to state the outcome.
    """
    out = common_pb2.CreditAssessment(
        probability_of_default=float(a.probability_of_default or 0.0),
        decision=a.decision,
        reasons=[common_pb2.Reason(code=r.code, description=r.description,
                                   contribution=float(r.contribution), source=r.source)
                 for r in a.reasons],
        model_version=a.model_version,
        missing_features=list(a.missing_features),
        needs=list(a.needs),
        decided_by=a.decided_by,
    )
    if a.affordability is not None:
        aff = a.affordability
        out.affordability.CopyFrom(common_pb2.Affordability(
            monthly_instalment=str(aff.monthly_instalment),
            debt_to_income=float(aff.debt_to_income) if aff.debt_to_income is not None else 0.0,
            max_affordable_amount=(str(aff.max_affordable_amount)
                                   if aff.max_affordable_amount is not None else ""),
            annual_rate_percent=float(aff.annual_rate_percent),
            affordable=bool(aff.affordable),
            currency=aff.currency,
        ))
    return out


def applicant_slots(applicant: gateway_pb2.Applicant) -> dict[str, str]:
    """The Applicant message as canonical slot strings ('' = unknown)."""
    slots: dict[str, str] = {}
    for name in ("loan_amount", "loan_purpose", "employment_status", "housing",
                 "monthly_income", "monthly_debt", "currency"):
        slots[name] = getattr(applicant, name)
    for name in ("loan_term_months", "age", "dependents"):
        if applicant.HasField(name):
            slots[name] = str(getattr(applicant, name))
    if applicant.HasField("employment_years"):
        slots["employment_years"] = repr(applicant.employment_years)
    return slots


def _key(slots: Mapping[str, str], profile: Mapping[str, str]) -> tuple[Any, ...]:
    return (tuple(sorted(slots.items())), tuple(sorted(profile.items())))


class CreditScorer:
    """Scores applicants with the served credit model (in-process, CPU, thread-safe reads)."""

    def __init__(self, model: CreditRiskModel, cache_size: int = 4096) -> None:
        self.model = model
        # The model is deterministic: a turn that changes no credit field ("thanks", a
        # question) reuses the assessment instead of recomputing its reason codes.
        self._cache_size = cache_size
        self._cache: OrderedDict[tuple[Any, ...], common_pb2.CreditAssessment] = OrderedDict()
        self._lock = threading.Lock()  # scoring runs in worker threads

    def cached_state(self, state: common_pb2.DialogueState,
                     profile: Mapping[str, str]) -> common_pb2.CreditAssessment | None:
        """The assessment of this applicant if it was scored before (cheap: no model call),
        so the caller can skip handing the work to a thread."""
        key = _key({k: v.value for k, v in state.slots.items()}, profile)
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                return None
            self._cache.move_to_end(key)
        result = common_pb2.CreditAssessment()
        result.CopyFrom(hit)
        return result

    @property
    def version(self) -> str:
        return self.model.version

    def should_assess(self, state: common_pb2.DialogueState, asked: bool) -> bool:
        if asked:
            return True
        slots = {k: v.value for k, v in state.slots.items()}
        return state.active_intent in CREDIT_INTENTS and ready_for_assessment(slots)

    def assess_state(self, state: common_pb2.DialogueState,
                     profile: Mapping[str, str]) -> common_pb2.CreditAssessment:
        slots = {k: v.value for k, v in state.slots.items()}
        return self.assess_slots(slots, profile)

    def assess_slots(self, slots: Mapping[str, str],
                     profile: Mapping[str, str]) -> common_pb2.CreditAssessment:
        key = _key(slots, profile)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        if hit is None:
            hit = assessment_to_proto(self.model.assess(
                ApplicantFields.from_slots(dict(slots), dict(profile))))
            with self._lock:
                self._cache[key] = hit
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        result = common_pb2.CreditAssessment()
        result.CopyFrom(hit)
        return result

    def assess_applicant(self, applicant: gateway_pb2.Applicant) -> common_pb2.CreditAssessment:
        return self.assess_slots(applicant_slots(applicant), dict(applicant.profile))
