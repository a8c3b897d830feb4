"""Credit policy: PD cut-offs, risk bands, rates, currencies and the documented rules.

The numbers a bank tunes (cut-offs, rates, caps, minimum age, employment rules, the mortgage
policy, the currency table) live in ``policy.json`` next to this module, not in code, so
changing a cut-off is a reviewed data change and the model never has to be retrained for it;
``docs/CREDIT.md`` documents each rule. Every rule returns ``Finding``s (an outcome, what
decided it, reasons stating the applicant's own figures, what is still needed), which
``model.py`` combines with the PD model's. A rule whose input is unknown never fails the
applicant: it asks for the input (a ``refer`` with ``needs``). Money is ``Decimal``
throughout; floats only hold ratios and probabilities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from finadvisor.services.gateway.risk.reasons import (
    Reason,
    above_unsecured_maximum_reason,
    below_minimum_age_reason,
    currency_reason,
    dti_reason,
    employment_reason,
    money,
    mortgage_dsr_reason,
    mortgage_history_reason,
    mortgage_lti_reason,
    mortgage_policy_reason,
    mortgage_term_reason,
    short_employment_reason,
)
from finadvisor.services.gateway.risk.schema import (
    PROFILE_FEATURES,
    PURPOSES,
    ApplicantFields,
    annuity_payment,
)
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


#: Outcomes from the mildest to the most severe; a combined decision is the most severe.
SEVERITY = {"approve": 0, "refer": 1, "decline": 2}
#: Products that are credit (the rest of the ontology's products are not lent).
CREDIT_PRODUCTS = ("personal_loan", "auto_loan", "mortgage", "credit_card")
#: Inputs every credit decision needs before it can be final (affordability).
AFFORDABILITY_INPUTS = ("loan_amount", "loan_term_months", "monthly_income", "monthly_debt")


@dataclass(frozen=True)
class Finding:
    """What one rule (or the model) concluded: an outcome, what decided it, why, what's needed.

    ``decided_by`` is one of "model", "policy", "mortgage_policy", "domain"; ``needs`` names
    ontology slots or bank-profile items still needed (only on a ``refer``).
    """

    decision: str
    decided_by: str
    reasons: tuple[Reason, ...] = ()
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmploymentRule:
    declined_statuses: tuple[str, ...]
    referred_statuses: tuple[str, ...]
    min_years_employed: float
    min_years_self_employed: float


@dataclass(frozen=True)
class MortgagePolicy:
    """Affordability policy for mortgages, which the PD model (German Credit) never saw."""

    rate_band: str
    max_debt_service_ratio: float
    max_loan_to_income: float
    max_term_months: int
    min_amount: Decimal
    required_profile: tuple[str, ...]
    adverse_credit_history: tuple[str, ...]


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
    base_currency: str = "EUR"
    currency_table: dict[str, Decimal] | None = None
    unscored_rate_band: str = "C"
    product_by_purpose: dict[str, str] | None = None
    default_product: str = "personal_loan"
    model_products: tuple[str, ...] = ("personal_loan", "auto_loan")
    max_unsecured_amount: Decimal = Decimal("75000")
    minimum_age: int = 18
    employment: EmploymentRule | None = None
    mortgage: MortgagePolicy | None = None
    max_needs: int = 6
    min_need_swing: float = 0.1
    optional_profile_items: tuple[str, ...] = ()

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
                base_currency=str(raw["base_currency"]),
                currency_table={str(k).upper(): Decimal(str(v))
                                for k, v in raw["currency_table"].items()},
                unscored_rate_band=str(raw["unscored_rate_band"]),
                product_by_purpose={str(k): str(v)
                                    for k, v in raw["product_by_purpose"].items()},
                default_product=str(raw["default_product"]),
                model_products=tuple(str(p) for p in raw["model_products"]),
                max_unsecured_amount=Decimal(str(raw["max_unsecured_amount"])),
                minimum_age=int(raw["minimum_age"]),
                employment=EmploymentRule(
                    declined_statuses=tuple(raw["employment"]["declined_statuses"]),
                    referred_statuses=tuple(raw["employment"]["referred_statuses"]),
                    min_years_employed=float(raw["employment"]["min_years_employed"]),
                    min_years_self_employed=float(raw["employment"]["min_years_self_employed"]),
                ),
                mortgage=MortgagePolicy(
                    rate_band=str(raw["mortgage_policy"]["rate_band"]),
                    max_debt_service_ratio=float(raw["mortgage_policy"]["max_debt_service_ratio"]),
                    max_loan_to_income=float(raw["mortgage_policy"]["max_loan_to_income"]),
                    max_term_months=int(raw["mortgage_policy"]["max_term_months"]),
                    min_amount=Decimal(str(raw["mortgage_policy"]["min_amount"])),
                    required_profile=tuple(raw["mortgage_policy"]["required_profile"]),
                    adverse_credit_history=tuple(raw["mortgage_policy"]["adverse_credit_history"]),
                ),
                max_needs=int(raw["max_needs"]),
                min_need_swing=float(raw["min_need_swing"]),
                optional_profile_items=tuple(str(i) for i in raw["optional_profile_items"]),
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
        table = self.currency_table or {}
        if table.get(self.base_currency) != 1:
            problems.append("currency_table must hold the base currency at 1")
        if any(v <= 0 for v in table.values()):
            problems.append("currency_table values must be positive")
        if self.default_currency not in table:
            problems.append("the default currency must be in currency_table")
        if self.unscored_rate_band not in bands:
            problems.append("unscored_rate_band must name a risk band")
        catalogue = dict(self.product_by_purpose or {})
        if not set(catalogue) <= set(PURPOSES) or not set(catalogue.values()) | {
            self.default_product
        } <= set(CREDIT_PRODUCTS):
            problems.append("product_by_purpose must map loan purposes to credit products")
        if not set(self.model_products) <= set(CREDIT_PRODUCTS) - {"mortgage"}:
            problems.append("model_products must be credit products other than mortgage")
        if not 0 < self.minimum_age < 120:
            problems.append("minimum_age must be in (0, 120)")
        m = self.mortgage
        if m is None or self.employment is None:
            problems.append("mortgage_policy and employment are required")
        else:
            if m.rate_band not in bands or "mortgage" not in self.rate_table:
                problems.append("mortgage_policy.rate_band needs a mortgage rate for that band")
            if not 0 < m.max_debt_service_ratio < 1 or m.max_loan_to_income <= 0:
                problems.append("mortgage caps must be a ratio in (0, 1) and a positive multiple")
            if m.max_term_months < 1:
                problems.append("mortgage_policy.max_term_months must be positive")
        if not set(self.optional_profile_items) <= set(PROFILE_FEATURES):
            problems.append("optional_profile_items must be bank-profile features")
        if self.mortgage is not None and not set(self.mortgage.required_profile) <= set(
            PROFILE_FEATURES
        ):
            problems.append("mortgage_policy.required_profile must be bank-profile features")
        if self.max_needs < 1:
            problems.append("max_needs must be at least 1")
        if problems:
            raise ConfigError(f"credit policy {path} is invalid: {'; '.join(problems)}")

    def risk_band(self, pd_: float) -> str:
        for band, below in self.risk_bands:
            if pd_ < below:
                return band
        return self.risk_bands[-1][0]

    # ------------------------------------------------------------------ products and rates
    def credit_product(self, applicant: ApplicantFields) -> str:
        """The credit product applied for: the one named, else the catalogue's for the purpose.

        A non-credit product in the state (a savings account asked about earlier) is not what
        a loan request applies for, so the purpose decides then, as DESIGN.md's catalogue says.
        """
        if applicant.product in CREDIT_PRODUCTS:
            return str(applicant.product)
        catalogue = self.product_by_purpose or {}
        if applicant.loan_purpose is not None:
            return catalogue.get(applicant.loan_purpose, self.default_product)
        return self.default_product

    def is_mortgage(self, applicant: ApplicantFields) -> bool:
        return self.credit_product(applicant) == "mortgage"

    def annual_rate(self, applicant: ApplicantFields, band: str) -> float:
        """Rate from the table: the product's row if it has one, else the purpose's, else default."""
        key = self.default_rate_key
        if applicant.product is not None and applicant.product in self.rate_table:
            key = applicant.product
        elif applicant.loan_purpose is not None:
            key = self.rate_key_by_purpose.get(applicant.loan_purpose, self.default_rate_key)
        return self.rate_table[key][band]

    def mortgage_rate(self) -> float:
        """The rate the mortgage policy prices and tests affordability at (no PD band)."""
        assert self.mortgage is not None
        return self.rate_table["mortgage"][self.mortgage.rate_band]

    # ------------------------------------------------------------------ currencies
    def currency_of(self, applicant: ApplicantFields) -> str:
        return applicant.currency or self.default_currency

    def from_base(self, amount: Decimal, currency: str) -> Decimal | None:
        """A policy amount (in the base currency) in ``currency``; None if not in the table."""
        rate = (self.currency_table or {}).get(currency)
        if rate is None:
            return None
        return (amount / rate).quantize(Decimal(1), ROUND_HALF_UP)

    # ------------------------------------------------------------------ affordability
    def affordability(
        self, applicant: ApplicantFields, band: str, rate: float | None = None,
        cap: float | None = None,
    ) -> Affordability | None:
        """Instalment, DTI after it and the largest affordable amount; None without amount/term.

        ``rate`` and ``cap`` default to the rate table at ``band`` and the unsecured DTI cap;
        the mortgage policy passes its own.
        """
        a = applicant
        if a.loan_amount is None or a.loan_term_months is None:
            return None
        rate = self.annual_rate(a, band) if rate is None else rate
        cap = self.dti_cap if cap is None else cap
        instalment = annuity_payment(a.loan_amount, rate, a.loan_term_months)
        currency = self.currency_of(a)
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
            a.monthly_income, a.monthly_debt, cap, rate, a.loan_term_months
        )
        return Affordability(
            monthly_instalment=instalment.quantize(CENT, ROUND_HALF_UP),
            debt_to_income=round(dti, 6),
            max_affordable_amount=max_amount,
            annual_rate_percent=rate,
            affordable=dti <= cap,
            currency=currency,
        )

    def decide_pd(self, pd_: float) -> str:
        """approve / refer / decline from the PD cut-offs alone."""
        if pd_ >= self.decline_at_or_above:
            return "decline"
        return "approve" if pd_ < self.approve_below else "refer"

    # ------------------------------------------------------------------ rules for every product
    def applicant_rules(self, applicant: ApplicantFields, decided_by: str) -> list[Finding]:
        """Minimum age, employment, and the inputs affordability needs (asked for if unknown)."""
        a = applicant
        out: list[Finding] = []
        missing = [name for name in AFFORDABILITY_INPUTS if getattr(a, name) is None]
        if a.age is None:
            missing.append("age")
        elif a.age < self.minimum_age:
            out.append(Finding("decline", "policy",
                               (below_minimum_age_reason(a.age, self.minimum_age),)))
        out.extend(self._employment(a))
        if missing:
            out.append(Finding("refer", decided_by, needs=tuple(missing)))
        return out

    def _employment(self, a: ApplicantFields) -> list[Finding]:
        rule = self.employment
        assert rule is not None
        status = a.employment_status
        if status is None:
            return [Finding("refer", "policy", needs=("employment_status",))]
        if status in rule.declined_statuses:
            return [Finding("decline", "policy", (employment_reason(status, True),))]
        if status in rule.referred_statuses:
            return [Finding("refer", "policy", (employment_reason(status, False),))]
        minimum = {"employed": rule.min_years_employed,
                   "self_employed": rule.min_years_self_employed}.get(status)
        if minimum is None:  # retired: a pension, no length of employment to check
            return []
        if a.employment_years is None:
            return [Finding("refer", "policy", needs=("employment_years",))]
        if a.employment_years < minimum:
            return [Finding("refer", "policy", (short_employment_reason(
                a.employment_years, minimum, status == "self_employed"),))]
        return []

    # ------------------------------------------------------------------ unsecured credit
    def unsecured_rules(self, applicant: ApplicantFields,
                        aff: Affordability | None) -> list[Finding]:
        """The DTI cap and the largest unsecured amount, on the applicant's own figures.

        Over the cap, a smaller amount still worth offering makes it a ``refer`` (a counter-
        offer); none makes it a ``decline``. Amounts are compared in the base currency via the
        currency table; a currency the table lacks cannot be checked, so it is referred.
        """
        out: list[Finding] = []
        currency = self.currency_of(applicant)
        min_offer = self.from_base(self.min_offer_amount, currency)
        maximum = self.from_base(self.max_unsecured_amount, currency)
        if min_offer is None or maximum is None:
            out.append(Finding("refer", "domain", (currency_reason(currency),)))
        if aff is not None and aff.affordable is False:
            room = aff.max_affordable_amount or Decimal(0)
            reason = dti_reason(aff.debt_to_income, self.dti_cap,
                                money(aff.monthly_instalment, aff.currency))
            decision = "decline" if min_offer is not None and room < min_offer else "refer"
            out.append(Finding(decision, "policy", (reason,)))
        if (maximum is not None and applicant.loan_amount is not None
                and applicant.loan_amount > maximum):
            out.append(Finding("refer", "policy", (above_unsecured_maximum_reason(
                money(applicant.loan_amount, currency), money(maximum, currency)),)))
        return out

    # ------------------------------------------------------------------ mortgages
    def mortgage_assessment(
        self, applicant: ApplicantFields
    ) -> tuple[Affordability | None, Reason, list[Finding]]:
        """The mortgage policy: debt service ratio and loan-to-income caps at the mortgage rate.

        Debt service ratio = (existing debt + mortgage payment) / gross monthly income;
        loan-to-income = amount / gross annual income. Both within their caps (and the
        applicant rules and the required profile met) is an approval in principle. Over a cap,
        the largest amount within both caps is offered (``refer``) when it reaches the
        policy's minimum mortgage, else ``decline``. Returns the affordability at the mortgage
        rate, the reason stating the policy's own figures (it opens a refer or decline), and
        the findings.
        """
        m = self.mortgage
        assert m is not None
        a = applicant
        rate = self.mortgage_rate()
        aff = self.affordability(a, m.rate_band, rate=rate, cap=m.max_debt_service_ratio)
        lti = None
        if a.loan_amount is not None and a.monthly_income:
            lti = float(a.loan_amount / (12 * a.monthly_income))
        if aff is not None and aff.max_affordable_amount is not None and a.monthly_income:
            lti_room = (Decimal(str(m.max_loan_to_income)) * 12 * a.monthly_income).quantize(
                Decimal(1), ROUND_FLOOR)
            # The largest mortgage within both caps, and affordable only if within both.
            aff = replace(aff, max_affordable_amount=min(aff.max_affordable_amount, lti_room),
                          affordable=bool(aff.affordable) and (lti or 0) <= m.max_loan_to_income)
        dsr = aff.debt_to_income if aff is not None else None
        summary = mortgage_policy_reason(dsr, m.max_debt_service_ratio, lti,
                                         m.max_loan_to_income, rate)
        out: list[Finding] = []
        failures: list[Reason] = []
        if aff is not None and dsr is not None and dsr > m.max_debt_service_ratio:
            failures.append(mortgage_dsr_reason(dsr, m.max_debt_service_ratio,
                                                money(aff.monthly_instalment, aff.currency)))
        elif aff is not None and aff.affordable is False and dsr is None:
            failures.append(dti_reason(None, m.max_debt_service_ratio))
        if lti is not None and lti > m.max_loan_to_income:
            failures.append(mortgage_lti_reason(lti, m.max_loan_to_income))
        if failures:
            assert aff is not None
            room = aff.max_affordable_amount or Decimal(0)
            currency = self.currency_of(a)
            minimum = self.from_base(m.min_amount, currency)
            decision = "decline" if minimum is not None and room < minimum else "refer"
            out.append(Finding(decision, "mortgage_policy", tuple(failures)))
        else:
            out.append(Finding("approve", "mortgage_policy"))
        if a.loan_term_months is not None and a.loan_term_months > m.max_term_months:
            out.append(Finding("refer", "mortgage_policy", (mortgage_term_reason(
                a.loan_term_months, m.max_term_months),)))
        missing_profile = tuple(k for k in m.required_profile if getattr(a, k, None) is None)
        if missing_profile:
            out.append(Finding("refer", "mortgage_policy", needs=missing_profile))
        if a.credit_history is not None and a.credit_history in m.adverse_credit_history:
            out.append(Finding("refer", "mortgage_policy",
                               (mortgage_history_reason(a.credit_history),)))
        if self.from_base(m.min_amount, self.currency_of(a)) is None:
            out.append(Finding("refer", "domain", (currency_reason(self.currency_of(a)),)))
        return aff, summary, out


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
