"""In-process credit risk for the gateway: PD models, reason codes, affordability, decisions.

Domain code only (no grpc). The gateway builds an ``ApplicantFields`` from the dialogue's
canonical slot strings and the bank profile, and calls ``CreditRiskModel.assess``.
"""

from finadvisor.services.gateway.risk.model import Assessment, CreditRiskModel
from finadvisor.services.gateway.risk.policy import Affordability, Policy
from finadvisor.services.gateway.risk.reasons import Reason
from finadvisor.services.gateway.risk.schema import (
    REQUIRED_SLOTS,
    ApplicantFields,
    ready_for_assessment,
)

__all__ = [
    "REQUIRED_SLOTS",
    "Affordability",
    "ApplicantFields",
    "Assessment",
    "CreditRiskModel",
    "Policy",
    "Reason",
    "ready_for_assessment",
]
