"""The compliance guard between the decoder and the customer.

Why a separate policy file: what a reply may never say (a promise of returns or of approval), the
disclaimer each kind of advice carries, the score below which the model is not trusted and the
safe replies used instead are decisions of the bank's compliance team, not of the model. They live
in ``policy.json`` (versioned, shipped with the code) and can be swapped without retraining.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finadvisor.services.generator.lexicalize import NUMBER_RE, PLACEHOLDER_RE
from finadvisor.shared.errors import ConfigError

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.json")


@dataclass(frozen=True)
class Rule:
    """One blocked pattern; ``rule`` names it in the fallback reason (never the matched text)."""

    rule: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class CompliancePolicy:
    version: str
    min_score: float
    rules: tuple[Rule, ...]
    intent_disclaimers: dict[str, list[str]]
    credit_disclaimers: list[str]
    fallbacks: dict[str, str]
    append_disclaimers_to_reply: bool = True
    #: intent -> product -> disclaimers that replace the intent's for that product (a savings
    #: rate is no credit offer: it carries no "depends on a credit assessment")
    product_disclaimers: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Figures a reply may carry that are not from the state: the bank's published rates.
    published_figures: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path | None = None) -> CompliancePolicy:
        """Read and validate a policy file; a bad file is a ConfigError at start-up, not at reply time."""
        path = Path(path) if path is not None else DEFAULT_POLICY_PATH
        try:
            raw = json.loads(path.read_text())
            rules = tuple(
                Rule(str(r["rule"]), re.compile(str(r["pattern"]), re.IGNORECASE)) for r in raw["blocked"]
            )
            disclaimers = raw.get("disclaimers", {})
            fallbacks = {str(k): str(v) for k, v in raw["fallback"].items()}
            if "default" not in fallbacks:
                raise KeyError("fallback.default")
            policy = cls(
                version=str(raw.get("version", "")),
                min_score=float(raw.get("min_score", -1e9)),
                rules=rules,
                intent_disclaimers={k: [str(t) for t in v] for k, v in disclaimers.get("intents", {}).items()},
                credit_disclaimers=[str(t) for t in disclaimers.get("credit_decision", [])],
                fallbacks=fallbacks,
                append_disclaimers_to_reply=bool(raw.get("append_disclaimers_to_reply", True)),
                product_disclaimers={
                    str(intent): {str(p): [str(t) for t in ts] for p, ts in by_product.items()}
                    for intent, by_product in disclaimers.get("products", {}).items()},
                published_figures=tuple(str(f) for f in raw.get("published_figures", [])),
                raw=raw,
            )
        except (OSError, ValueError, KeyError, TypeError, re.error) as exc:
            raise ConfigError(f"bad compliance policy file {path}: {exc}") from exc
        for name, text in policy.fallbacks.items():
            # A safe reply must be safe by construction: no placeholder, no blocked phrase.
            if "[" in text or policy.violations(text):
                raise ConfigError(f"fallback reply {name!r} of {path} is not itself compliant")
        return policy

    def violations(self, text: str) -> list[str]:
        """Names of the rules the text breaks (empty when compliant)."""
        return sorted({r.rule for r in self.rules if r.pattern.search(text)})

    def disclaimers(self, intent: str, credit_decision: str = "", product: str = "") -> list[str]:
        """The disclaimers a reply to this intent carries (advice intents; any credit decision),
        for ``product`` when the reply is about one (a rate quoted)."""
        by_product = self.product_disclaimers.get(intent, {})
        out = list(by_product[product] if product in by_product else self.intent_disclaimers.get(intent, []))
        if credit_decision:
            out.extend(t for t in self.credit_disclaimers if t not in out)
        return out

    def unpublished_figures(self, delex: str) -> list[str]:
        """Figures the decoder wrote itself that are not published rates (each a reason to fall back)."""
        text = PLACEHOLDER_RE.sub(" ", delex)
        for fig in sorted(self.published_figures, key=len, reverse=True):
            text = text.replace(fig, " ")
        return NUMBER_RE.findall(text)

    def fallback_reply(self, intent: str) -> str:
        return self.fallbacks.get(intent, self.fallbacks["default"])

    @functools.cached_property
    def _all_disclaimers(self) -> frozenset[str]:
        """Every disclaimer the policy can append (computed once, read on every request)."""
        return frozenset({*self.credit_disclaimers,
                          *(t for ts in self.intent_disclaimers.values() for t in ts),
                          *(t for by in self.product_disclaimers.values() for ts in by.values() for t in ts)})

    def without_disclaimers(self, text: str) -> str:
        """An advisor reply as the model wrote it: the disclaimers ``with_disclaimers`` appended
        are taken off again (a reply fed back as context must look like what the model learnt
        from, and be no longer than that)."""
        known = self._all_disclaimers
        out = text
        changed = True
        while changed:
            changed = False
            for disclaimer in known:
                if disclaimer and out.endswith(disclaimer) and out != disclaimer:
                    out = out[: -len(disclaimer)].rstrip()
                    changed = True
        return out

    def with_disclaimers(self, reply: str, disclaimers: list[str]) -> str:
        """The reply text as the customer reads it (disclaimers appended when the policy says so)."""
        if not self.append_disclaimers_to_reply or not disclaimers:
            return reply
        return " ".join([reply, *disclaimers])
