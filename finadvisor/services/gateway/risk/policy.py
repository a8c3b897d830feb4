"""Credit policy: PD cut-offs, risk bands, the rate table and the affordability check.

The numbers a bank tunes (cut-offs, rates, the debt-to-income cap) live in ``policy.json``
next to this module, not in code, so changing a cut-off is a reviewed data change and the
model never has to be retrained for it. Money is ``Decimal`` throughout; floats only hold
ratios and probabilities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from finadvisor.services.gateway.risk.features import ApplicantFields, annuity_payment
from finadvisor.shared.errors import ConfigError

POLICY_PATH = Path(__file__).resolve().parent / "policy.json"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Affordability:
    """Affordability of the requested credit.

    ``debt_to_income`` (existing debt plus the new instalment over income), ``affordable`` and
    ``max_affordable_amount`` are None when income or existing debt is unknown: affordability
    is then not established, which the decision treats as "refer", never as "fine".
    """

    monthly_instalment: Decimal
    debt_to_income: float | None
    max_affordable_amount: Decimal | None
    annual_rate_percent: float
    affordable: bool | None
    currency: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "monthly_instalment": str(self.monthly_instalment),
            "debt_to_income": self.debt_to_income,
            "max_affordable_amount": (
                None if self.max_affordable_amount is None else str(self.max_affordable_amount)
            ),
            "annual_rate_percent": self.annual_rate_percent,
            "affordable": self.affordable,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class Policy:
    """A validated policy file."""

    version: str
    default_currency: str
    approve_below: float
    decline_at_or_above: float
    risk_bands: tuple[tuple[str, float], ...]
    rate_table: dict[str, dict[str, float]]
    rate_key_by_purpose: dict[str, str]
    default_rate_key: str
    dti_cap: float
    min_offer_amount: Decimal
    burden_reference_rate_percent: float
    burden_band_edges: list[float]
    max_reasons: int
    min_reason_contribution: float

    @classmethod
    def load(cls, path: Path = POLICY_PATH) -> Policy:
        """Read and validate a policy file; raises ConfigError with one readable line."""
        try:
            raw = json.loads(Path(path).read_text())
            policy = cls(
                version=str(raw["policy_version"]),
                default_currency=str(raw["default_currency"]),
                approve_below=float(raw["pd_cutoffs"]["approve_below"]),
                decline_at_or_above=float(raw["pd_cutoffs"]["decline_at_or_above"]),
                risk_bands=tuple((str(b["band"]), float(b["pd_below"])) for b in raw["risk_bands"]),
                rate_table={
                    str(k): {str(b): float(r) for b, r in v.items()}
                    for k, v in raw["rate_table"].items()
                },
                rate_key_by_purpose={str(k): str(v) for k, v in raw["rate_key_by_purpose"].items()},
                default_rate_key=str(raw["default_rate_key"]),
                dti_cap=float(raw["dti_cap"]),
                min_offer_amount=Decimal(str(raw["min_offer_amount"])),
                burden_reference_rate_percent=float(raw["burden_reference_rate_percent"]),
                burden_band_edges=[float(e) for e in raw["burden_band_edges"]],
                max_reasons=int(raw["max_reasons"]),
                min_reason_contribution=float(raw["min_reason_contribution"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"credit policy {path} is invalid: {exc!r}") from None
        policy._validate(path)
        return policy

    def _validate(self, path: Path) -> None:
        problems = []
        if not 0 < self.approve_below <= self.decline_at_or_above <= 1:
            problems.append("need 0 < approve_below <= decline_at_or_above <= 1")
        if not 0 < self.dti_cap < 1:
            problems.append("dti_cap must be in (0, 1)")
        bands = [b for b, _ in self.risk_bands]
        if [p for _, p in self.risk_bands] != sorted(p for _, p in self.risk_bands):
            problems.append("risk_bands must be in increasing pd_below order")
        if self.risk_bands and self.risk_bands[-1][1] <= 1:
            problems.append("the last risk band must cover pd = 1")
        for key, rates in self.rate_table.items():
            if set(rates) != set(bands):
                problems.append(f"rate_table[{key}] must give a rate for every band")
            if any(not 0 <= r < 100 for r in rates.values()):
                problems.append(f"rate_table[{key}] rates must be percentages in [0, 100)")
        keys = set(self.rate_key_by_purpose.values()) | {self.default_rate_key}
        if not keys <= set(self.rate_table):
            problems.append("rate keys must name rate_table entries")
        if sorted(self.burden_band_edges) != self.burden_band_edges or len(
            self.burden_band_edges
        ) != 3:
            problems.append("burden_band_edges must be three increasing shares")
        if self.max_reasons < 1:
            problems.append("max_reasons must be at least 1")
        if problems:
            raise ConfigError(f"credit policy {path} is invalid: {'; '.join(problems)}")

    def risk_band(self, pd_: float) -> str:
        for band, below in self.risk_bands:
            if pd_ < below:
                return band
        return self.risk_bands[-1][0]

    def annual_rate(self, applicant: ApplicantFields, band: str) -> float:
        """Rate from the table: the product's row if it has one, else the purpose's, else default."""
        key = self.default_rate_key
        if applicant.product is not None and applicant.product in self.rate_table:
            key = applicant.product
        elif applicant.loan_purpose is not None:
            key = self.rate_key_by_purpose.get(applicant.loan_purpose, self.default_rate_key)
        return self.rate_table[key][band]

    def affordability(self, applicant: ApplicantFields, band: str) -> Affordability | None:
        """Instalment, DTI after it and the largest affordable amount; None without amount/term."""
        a = applicant
        if a.loan_amount is None or a.loan_term_months is None:
            return None
        rate = self.annual_rate(a, band)
        instalment = annuity_payment(a.loan_amount, rate, a.loan_term_months)
        currency = a.currency or self.default_currency
        if a.monthly_income is None or a.monthly_debt is None:
            return Affordability(
                instalment.quantize(CENT, ROUND_HALF_UP), None, None, rate, None, currency
            )
        if a.monthly_income == 0:
            return Affordability(
                instalment.quantize(CENT, ROUND_HALF_UP), None, Decimal(0), rate, False, currency
            )
        dti = float((a.monthly_debt + instalment) / a.monthly_income)
        max_amount = max_affordable_amount(
            a.monthly_income, a.monthly_debt, self.dti_cap, rate, a.loan_term_months
        )
        return Affordability(
            monthly_instalment=instalment.quantize(CENT, ROUND_HALF_UP),
            debt_to_income=round(dti, 6),
            max_affordable_amount=max_amount,
            annual_rate_percent=rate,
            affordable=dti <= self.dti_cap,
            currency=currency,
        )

    def decide(self, pd_: float, affordability: Affordability | None) -> str:
        """approve / refer / decline from the PD cut-offs and the affordability check.

        An unaffordable request whose affordable amount is still worth offering is referred
        (a smaller offer), otherwise declined; unknown affordability can never be approved.
        """
        if pd_ >= self.decline_at_or_above:
            return "decline"
        if affordability is not None and affordability.affordable is False:
            room = affordability.max_affordable_amount or Decimal(0)
            return "refer" if room >= self.min_offer_amount else "decline"
        if affordability is None or affordability.affordable is None:
            return "refer"
        return "approve" if pd_ < self.approve_below else "refer"


def max_affordable_amount(
    income: Decimal, debt: Decimal, dti_cap: float, annual_rate_percent: float, months: int
) -> Decimal:
    """Largest principal whose annuity keeps (debt + instalment) / income at or below the cap.

    Inverts the annuity: P = room * (1 - (1 + r)^-n) / r, with room = cap * income - debt;
    rounded down to whole currency units so the suggestion itself stays affordable.
    """
    room = Decimal(str(dti_cap)) * income - debt
    if room <= 0:
        return Decimal(0)
    r = Decimal(str(annual_rate_percent)) / Decimal(1200)
    principal = room * months if r == 0 else room * (1 - (1 + r) ** -months) / r
    return principal.quantize(Decimal(1), ROUND_FLOOR)
