"""What the generator conditions on, and how it is serialised into the encoder input.

One request (``GenerationInput``) carries the acts the reply must realise (decided by the
dialogue manager, ``finadvisor.dialogue``), the recent dialogue context (for style), and the
tracked state, findings and credit assessment (the disclaimers, and requests made without
acts). ``build_source`` turns it into one token string: the context first (oldest turn first,
digits masked so amounts never leak into the decoder's vocabulary), then the acts as tokens
(``<act=answer_rate> <product=mortgage> <has=rate> <act=request> <slot=loan_term_months>``), so
the attention heatmap shows which act each output word came from. Without acts the state is
serialised instead (``<intent=apply_loan> <has=loan_amount> <image=payslip>``; the first
model's input). The conditioning sits at the end because the tokenizer truncates from the left:
an overlong context loses its oldest words, never what the reply must say.

``examples_from_dialogue`` reads a corpus dialogue (docs/CONTRACTS.md) into the same inputs, one
example per advisor turn, so training and serving build the source with the same function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from finadvisor.dialogue.acts import ACT_ARGS, ACT_NAMES, Act
from finadvisor.dialogue.acts import from_dict as act_from_dict
from finadvisor.dialogue.affordability import affordability
from finadvisor.dialogue.realise import (
    ACK_DOCUMENT,
    ACK_UNREADABLE,
    CHART,
    DECISION,
    EXPLAIN,
    all_placeholders,
    fill_values,
)
from finadvisor.services.generator.lexicalize import (
    CREDIT_SLOTS,
    ONTOLOGY_SLOTS,
    align_values,
    values_from_state,
)
from finadvisor.shared.errors import InvalidInputError

INTENTS: tuple[str, ...] = (
    "greet", "goodbye", "thank", "affirm", "deny", "apply_loan", "ask_eligibility", "inform",
    "ask_rate", "ask_investment_advice", "ask_savings_advice", "upload_document",
    "ask_about_chart", "request_human", "out_of_scope",
)
IMAGE_TYPES: tuple[str, ...] = (
    "payslip", "bank_statement", "id_document", "line_chart", "bar_chart", "pie_chart",
    "candlestick_chart", "other",
)
CHART_TRENDS: tuple[str, ...] = ("rising", "falling", "flat", "volatile")
DECISIONS: tuple[str, ...] = ("approve", "refer", "decline")
# Categorical slots whose value changes what the advisor says; numbers only say "present".
CATEGORICAL_VALUES: dict[str, tuple[str, ...]] = {
    "product": ("personal_loan", "mortgage", "auto_loan", "credit_card", "savings_account", "investment"),
    "loan_purpose": ("car", "home", "education", "business", "debt_consolidation", "renovation",
                     "travel", "medical", "other"),
    "employment_status": ("employed", "self_employed", "unemployed", "retired", "student"),
    "housing": ("own", "rent", "living_with_family"),
    "risk_tolerance": ("low", "medium", "high"),
}

USER, ADVISOR, STATE, NUM = "<user>", "<advisor>", "<state>", "<num>"
VOICE = "<voice>"
FEATURE_TOKENS: list[str] = (
    [USER, ADVISOR, STATE, NUM, VOICE, "<affordable=yes>", "<affordable=no>",
     "<has=monthly_instalment>", "<has=max_affordable_amount>"]
    + [f"<intent={i}>" for i in INTENTS]
    + [f"<has={s}>" for s in ONTOLOGY_SLOTS]
    + [f"<new={s}>" for s in ONTOLOGY_SLOTS]
    + [f"<{s}={v}>" for s, vals in CATEGORICAL_VALUES.items() for v in vals]
    + [f"<image={t}>" for t in IMAGE_TYPES]
    + [f"<trend={t}>" for t in CHART_TRENDS]
    + [f"<credit={d}>" for d in DECISIONS]
)
#: Categorical act arguments that change the wording (one token per value); any other
#: argument only says "present" (``<has=rate>``) and is filled in after decoding.
ACT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "slot": ONTOLOGY_SLOTS,
    "product": CATEGORICAL_VALUES["product"],
    "decision": DECISIONS,
    "trend": tuple(CHART),
    "kind": tuple(ACK_UNREADABLE),
    "document": tuple(ACK_DOCUMENT),
    "topic": tuple(EXPLAIN),
    "risk_tolerance": CATEGORICAL_VALUES["risk_tolerance"],
}
assert set(DECISION) == set(DECISIONS)
ACT_PLACEHOLDERS: tuple[str, ...] = tuple(sorted(all_placeholders()))
ACT_TOKENS: list[str] = (
    [f"<act={n}>" for n in ACT_NAMES]
    + [f"<{k}={v}>" for k, vals in ACT_CATEGORIES.items() for v in vals
       if f"<{k}={v}>" not in FEATURE_TOKENS]
    + [f"<has={p}>" for p in ACT_PLACEHOLDERS if f"<has={p}>" not in FEATURE_TOKENS]
)
FEATURE_TOKENS = FEATURE_TOKENS + [t for t in ACT_TOKENS if t not in FEATURE_TOKENS]

# Input bounds: the generator serves one turn, not a transcript.
MAX_CONTEXT_TURNS = 2
MAX_TURN_CHARS = 600
MAX_SLOTS = 32
MAX_VALUE_CHARS = 64
MAX_ACTS = 8
MAX_ARG_CHARS = 400
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CreditInfo:
    """The credit assessment of this turn, as far as the reply needs it."""

    decision: str = ""  # approve | refer | decline
    monthly_instalment: str = ""  # decimal string
    max_affordable_amount: str = ""  # decimal string
    affordable: bool | None = None


@dataclass(frozen=True)
class VoiceFeatures:
    """Voice findings of this turn (their presence conditions the reply; values are optional)."""

    speech_rate: float = 0.0
    pause_ratio: float = 0.0
    embedding: tuple[float, ...] = ()


@dataclass(frozen=True)
class GenerationInput:
    """One generation request (the servicer maps GenerateRequest onto this)."""

    context: Sequence[tuple[str, str]]  # (speaker "user"|"advisor", text), oldest first
    intent: str = ""
    slots: Mapping[str, str] = field(default_factory=dict)
    changed_slots: Sequence[str] = ()
    image_type: str = ""
    chart_trend: str = ""
    voice_features: VoiceFeatures | None = None
    credit: CreditInfo | None = None
    num_beams: int = 1
    n_best: int = 1
    return_attention: bool = False
    acts: tuple[Act, ...] = ()

    def fill_values(self) -> dict[str, str]:
        """Values placeholders may take: the acts' arguments (with acts), else the state's
        slots plus the affordability figures."""
        if self.acts:
            return fill_values(self.acts)
        credit = self.credit or CreditInfo()
        return values_from_state(self.slots, credit.monthly_instalment, credit.max_affordable_amount)


def validate(inp: GenerationInput, max_beams: int = 8) -> None:
    """Reject malformed or oversized requests with InvalidInputError (a client-safe message)."""
    if len(inp.context) > 64:
        raise InvalidInputError("context has more than 64 turns")
    for turn in inp.context:
        if not isinstance(turn, (tuple, list)) or len(turn) != 2:
            raise InvalidInputError("each context turn is (speaker, text)")
        speaker, text = turn
        if speaker not in ("user", "advisor"):
            raise InvalidInputError("context speaker must be 'user' or 'advisor'")
        if not isinstance(text, str) or len(text) > 4 * MAX_TURN_CHARS:
            raise InvalidInputError(f"context turn text longer than {4 * MAX_TURN_CHARS} characters")
    if inp.intent and inp.intent not in INTENTS:
        raise InvalidInputError("unknown intent")
    if len(inp.slots) > MAX_SLOTS:
        raise InvalidInputError(f"more than {MAX_SLOTS} slots")
    for name, value in inp.slots.items():
        if len(str(name)) > MAX_VALUE_CHARS or len(str(value)) > MAX_VALUE_CHARS:
            raise InvalidInputError("slot name or value too long")
    if inp.image_type and inp.image_type not in IMAGE_TYPES:
        raise InvalidInputError("unknown image_type")
    if inp.chart_trend and inp.chart_trend not in CHART_TRENDS:
        raise InvalidInputError("unknown chart_trend")
    if inp.credit is not None and inp.credit.decision and inp.credit.decision not in DECISIONS:
        raise InvalidInputError("unknown credit decision")
    if len(inp.acts) > MAX_ACTS:
        raise InvalidInputError(f"more than {MAX_ACTS} acts")
    for a in inp.acts:
        if len(a.args) > MAX_SLOTS or any(len(str(v)) > MAX_ARG_CHARS for v in a.args.values()):
            raise InvalidInputError("act arguments too long")
    if not 1 <= inp.num_beams <= max_beams:
        raise InvalidInputError(f"num_beams must be in 1..{max_beams}")
    if not 1 <= inp.n_best <= inp.num_beams:
        raise InvalidInputError("n_best must be in 1..num_beams")


def _clean_text(text: str) -> str:
    """Lower-case, mask digits, squeeze spaces: the encoder needs the words, not the figures."""
    text = _DIGITS.sub(f" {NUM} ", text[:MAX_TURN_CHARS].lower())
    return _SPACES.sub(" ", text).strip()


#: Argument order of the act tokens beyond ``ACT_ARGS`` (the offer's profile).
_EXTRA_ARG_ORDER: dict[str, tuple[str, ...]] = {
    "offer": ("risk_tolerance", "investment_amount", "currency"),
}


def _canonical_args(a: Act) -> list[tuple[str, str]]:
    """An act's arguments in one fixed order, whatever order they arrived in (a proto map has
    none): the act's own arguments as ``ACT_ARGS`` lists them, a confirmation's slots in the
    order it names them, then the rest by name."""
    order = list(ACT_ARGS.get(a.name, ())) + list(_EXTRA_ARG_ORDER.get(a.name, ()))
    if a.name == "confirm":
        order += a.items("slots")
    rank = {k: i for i, k in enumerate(order)}
    return sorted(a.args.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def act_tokens(acts: tuple[Act, ...] | list[Act]) -> list[str]:
    """Each act as ``<act=name>`` then its arguments: a category value as one token, any other
    argument as ``<has=name>`` (its value is filled in after decoding, never read)."""
    toks: list[str] = []
    for a in acts:
        toks.append(f"<act={a.name}>")
        for key, value in _canonical_args(a):
            if key in ACT_CATEGORIES:
                if value in ACT_CATEGORIES[key]:
                    toks.append(f"<{key}={value}>")
            elif key == "slots":
                continue  # each confirmed slot comes as its own argument (<has=loan_amount>)
            elif key in ACT_PLACEHOLDERS:
                toks.append(f"<has={key}>")
    return toks


def conditioning_tokens(inp: GenerationInput) -> list[str]:
    """The acts (when given), else state, findings and credit, as feature tokens (each a
    single token of the tokenizer)."""
    if inp.acts:
        return [STATE, *act_tokens(inp.acts)]
    toks = [STATE]
    if inp.intent in INTENTS:
        toks.append(f"<intent={inp.intent}>")
    for slot in ONTOLOGY_SLOTS:  # fixed order: the same state always serialises the same way
        value = str(inp.slots.get(slot, "")).strip()
        if not value:
            continue
        if value in CATEGORICAL_VALUES.get(slot, ()):
            toks.append(f"<{slot}={value}>")
        else:
            toks.append(f"<has={slot}>")
    for slot in ONTOLOGY_SLOTS:
        if slot in inp.changed_slots:
            toks.append(f"<new={slot}>")
    if inp.image_type in IMAGE_TYPES:
        toks.append(f"<image={inp.image_type}>")
    if inp.chart_trend in CHART_TRENDS:
        toks.append(f"<trend={inp.chart_trend}>")
    if inp.voice_features is not None:
        toks.append(VOICE)
    if inp.credit is not None:
        if inp.credit.monthly_instalment:
            toks.append("<has=monthly_instalment>")
        if inp.credit.max_affordable_amount:
            toks.append("<has=max_affordable_amount>")
        if inp.credit.decision in DECISIONS:
            toks.append(f"<credit={inp.credit.decision}>")
        if inp.credit.affordable is not None:
            toks.append("<affordable=yes>" if inp.credit.affordable else "<affordable=no>")
    return toks


def build_source(inp: GenerationInput) -> str:
    """The encoder input string: recent context, then the conditioning tokens."""
    parts: list[str] = []
    for speaker, text in list(inp.context)[-MAX_CONTEXT_TURNS:]:
        parts.append(USER if speaker == "user" else ADVISOR)
        parts.append(_clean_text(text))
    parts.extend(conditioning_tokens(inp))
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Example:
    """One advisor turn of the corpus: the request, its delexicalised target and reference."""

    inp: GenerationInput
    source: str
    target: str  # delexicalised reference
    reference_text: str  # lexicalised reference, as the corpus wrote it
    values: dict[str, str]  # what the placeholders may take (state + affordability)
    dialogue_id: str = ""


def _credit_from_turn(turn: Mapping[str, Any]) -> CreditInfo | None:
    credit = turn.get("credit")
    if not isinstance(credit, Mapping):
        return None
    aff = credit.get("affordability") or {}
    return CreditInfo(
        decision=str(credit.get("decision", "")),
        monthly_instalment=str(aff.get("monthly_instalment", "") or credit.get("monthly_instalment", "")),
        max_affordable_amount=str(aff.get("max_affordable_amount", "") or credit.get("max_affordable_amount", "")),
        affordable=aff.get("affordable") if isinstance(aff.get("affordable"), bool) else None,
    )


def _corpus_affordability(
    state: Mapping[str, str], delex: str, text: str, credit: CreditInfo | None
) -> CreditInfo | None:
    """The affordability figures the service would have had at this advisor turn.

    The corpus format carries them only inside the reference text; the gateway passes them with
    every assessment. We read them back from the reference where it shows them, and otherwise
    recompute them with the rule the simulated advisor uses (``finadvisor.dialogue.affordability``),
    so that what the model conditions on (and what the placeholder mask allows) does not depend
    on which paraphrase the reference happened to use.
    """
    shown = {k: v for k, v in (align_values(delex, text) or {}).items() if k in CREDIT_SLOTS}
    try:
        computed = affordability(dict(state))
    except (ValueError, KeyError, ZeroDivisionError):
        computed = {}
    merged = {**computed, **shown}
    if not merged:
        return credit
    base = credit or CreditInfo()
    return CreditInfo(
        decision=base.decision,
        monthly_instalment=merged.get("monthly_instalment", base.monthly_instalment),
        max_affordable_amount=merged.get("max_affordable_amount", base.max_affordable_amount),
        affordable=base.affordable,
    )


def examples_from_dialogue(dialogue: Mapping[str, Any]) -> list[Example]:
    """One Example per advisor turn that has a ``delex``; the context is every earlier turn."""
    examples: list[Example] = []
    context: list[tuple[str, str]] = []
    state: dict[str, str] = {}
    prev_state: dict[str, str] = {}
    intent = ""
    image_type = chart_trend = ""
    voice: VoiceFeatures | None = None
    credit: CreditInfo | None = None
    for turn in dialogue.get("turns", []):
        speaker = turn.get("speaker")
        if speaker == "user":
            prev_state = dict(state)
            state = {k: str(v) for k, v in (turn.get("state") or {}).items()}
            intent = str(turn.get("intent") or "")
            modality = turn.get("modality") or {}
            image_type = str(modality.get("image_type", "")) if modality.get("kind") == "image" else ""
            chart_trend = str(modality.get("chart_trend", "") or "") if image_type else ""
            voice = VoiceFeatures() if modality.get("kind") == "audio" else None
            credit = _credit_from_turn(turn) or credit
            context.append(("user", str(turn.get("text", ""))))
            continue
        if speaker != "advisor":
            continue
        credit = _credit_from_turn(turn) or credit
        delex = turn.get("delex")
        text = str(turn.get("text", ""))
        raw_acts = turn.get("acts")
        if delex and isinstance(raw_acts, list) and raw_acts:
            acts = tuple(act_from_dict(a) for a in raw_acts)
            inp = GenerationInput(context=tuple(context), intent=intent, slots=dict(state),
                                  acts=acts)
            examples.append(Example(inp, build_source(inp), str(delex), text, inp.fill_values(),
                                    str(dialogue.get("dialogue_id", ""))))
        elif delex:
            turn_credit = _corpus_affordability(state, str(delex), text, credit)
            changed = [s for s in ONTOLOGY_SLOTS if state.get(s) != prev_state.get(s) and s in state]
            inp = GenerationInput(
                context=tuple(context), intent=intent, slots=dict(state), changed_slots=tuple(changed),
                image_type=image_type, chart_trend=chart_trend, voice_features=voice, credit=turn_credit,
            )
            values = inp.fill_values()
            examples.append(Example(inp, build_source(inp), str(delex), text, values,
                                    str(dialogue.get("dialogue_id", ""))))
        context.append(("advisor", text))
    return examples
