"""Training and evaluation of the ``nlu`` component (the training contract of docs/CONTRACTS.md).

``train`` builds the dialogue corpus if needed, fits the understanding models on the train split
and writes ``models_dir/nlu``; ``evaluate`` measures them on the test split, whose phrasings are
held out from training:

- ``intent_accuracy``: share of user turns whose predicted intent is the annotated one;
- ``slot_f1``: micro F1 of (slot, canonical value) pairs read from the text of each user turn;
- ``joint_goal_accuracy``: share of user turns after which the whole tracked state (NLU plus
  merge, turn by turn from an empty state, attachments' facts included) equals the annotation.
"""

from __future__ import annotations

import json
import platform
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sklearn
from tqdm import tqdm

from finadvisor.corpus import (
    CORPUS_VERSION,
    SPLITS,
    corpus_dir,
    ensure_corpus,
    load_split,
    modality_facts,
)
from finadvisor.services.state.context import TurnContext
from finadvisor.services.state.merge import merge_state, slot_values
from finadvisor.services.state.nlu import NLU_VERSION, Understanding

COMPONENT = "nlu"


def user_turns(dialogues: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for d in dialogues for t in d["turns"] if t["speaker"] == "user"]


def _source(turn: dict[str, Any]) -> str:
    return "audio" if (turn.get("modality") or {}).get("kind") == "audio" else "text"


def evaluate_dialogues(model: Understanding, dialogues: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Intent accuracy, slot F1 and joint goal accuracy of ``model`` on annotated dialogues.

    Each user turn is understood as the state service understands it: in the context of the
    state so far and the advisor's acts of the turn before (``TurnContext``); an upload's facts
    pass the same check as in the tracker. The gold state is completed by the catalogue rule
    (``with_catalogue``), and a product it infers counts as a gold slot of the turn that first
    implies it."""
    from finadvisor.services.state.tracker import CONTEXT_TURNS, FactInput, held_facts

    n = correct = tp = fp = fn = joint = 0
    for d in dialogues:
        state: dict[str, dict[str, Any]] = {}
        acts: list[dict[str, Any]] = []
        replies: list[list[dict[str, Any]]] = []  # the advisor's acts, newest last
        active = ""
        gold_before: dict[str, str] = {}
        for i, turn in enumerate(d["turns"]):
            if turn["speaker"] != "user":
                acts = list(turn.get("acts") or [])
                replies.append(acts)
                continue
            source = _source(turn)
            # as the tracker reads it (``context_of``): the last replies
            context = TurnContext.build(slot_values(state), acts, active, replies[-CONTEXT_TURNS:-1])
            result = model.understand(turn["text"], source, context)
            active = result.intent
            n += 1
            correct += result.intent == turn["intent"]
            gold_state = with_catalogue(turn.get("state", {}), turn["intent"], turn["text"])
            if "product" in gold_before and "product" not in gold_state:
                gold_state = {**gold_state, "product": gold_before["product"]}
            gold_slots = [(s["slot"], s["value"]) for s in turn.get("slots", [])]
            if "product" in gold_state and "product" not in gold_before and \
                    not any(slot == "product" for slot, _v in gold_slots):
                gold_slots.append(("product", gold_state["product"]))
            gold_before = gold_state
            pred = Counter((m.slot, m.value) for m in result.mentions)
            gold = Counter(gold_slots)
            hit = sum((pred & gold).values())
            tp += hit
            fp += sum(pred.values()) - hit
            fn += sum(gold.values()) - hit
            facts = [FactInput(f["slot"], f["value"], 1.0, f.get("source", "image"))
                     for f in modality_facts(turn.get("modality"))]
            facts, _held = held_facts(facts, result.mentions, context)
            state, _changed = merge_state(state, result.mentions, facts, i, source)
            joint += slot_values(state) == gold_state
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "intent_accuracy": round(correct / n, 4) if n else 0.0,
        "slot_f1": round(f1, 4),
        "joint_goal_accuracy": round(joint / n, 4) if n else 0.0,
    }


def with_catalogue(state: dict[str, str], intent: str = "", text: str = "") -> dict[str, str]:
    """The simulator's annotated state completed by the ontology's catalogue rule (a loan's
    purpose implies its product when none was named), which the tracker applies and the
    corpus (generated before the rule) does not annotate."""
    from finadvisor.ontology import CATALOGUE, CATALOGUE_DEFAULT
    from finadvisor.services.state.interpret import implies_investment
    from finadvisor.services.state.normalize import fold

    if "loan_purpose" in state and "product" not in state:
        return {**state, "product": CATALOGUE.get(state["loan_purpose"], CATALOGUE_DEFAULT)}
    if "product" not in state and implies_investment(intent, fold(text)):
        return {**state, "product": "investment"}  # "I want to invest": the product is named
    return state


def _model_card(meta: dict[str, Any], metrics: dict[str, Any]) -> str:
    counts = meta.get("counts", {})
    rows = "\n".join(
        f"| {s} | {counts.get(s, {}).get('dialogues', '?')} | {counts.get(s, {}).get('user_turns', '?')} |"
        for s in SPLITS
    )
    mrows = "\n".join(
        f"| {split} | {m['intent_accuracy']:.4f} | {m['slot_f1']:.4f} | {m['joint_goal_accuracy']:.4f} |"
        for split, m in metrics.items()
        if isinstance(m, dict) and "slot_f1" in m
    )
    return f"""# finadvisor NLU ({NLU_VERSION})

Understanding of one user turn for the `state` service: the intent (15 intents of the v1
ontology, with probabilities) and slot mentions (slot, canonical value, confidence, span).

## Model
- Intent: TF-IDF word 1-2-grams and character 2-5-grams (plus cue-word tokens, digits as 0) into
  a multinomial logistic regression (scikit-learn Pipeline; `predict_proba` is the confidence).
- Slots: rules for closed-set phrases and currencies (`normalize.py`); every number is assigned
  a slot, a yearly income or none by a logistic regression over its context (neighbouring words,
  cue words, unit, magnitude), then normalised (amounts, words to numbers, shorthand, durations
  to months, yearly income to monthly).
- In context (`interpret.py`, `meaning.py`): each turn is read with the advisor's last acts and
  the state; meaning frames (occupations, owning a home, existing repayments, a child's
  studies, a request for a person) add implied values; number probabilities are tempered and
  multiplied by what the dialogue expects; the catalogue infers the product; values below the
  write threshold (0.5) or contradicting the state unasked are candidates, not written.
- Files: `intent.skops`, `slots.skops` (skops, loaded with an explicit trusted-type list),
  `config.json`, `MANIFEST.json` (sha256 of every file, checked before loading).

## Data
The finadvisor dialogue simulator (`finadvisor.corpus`, version {CORPUS_VERSION}, seed
{meta.get('seed')}), generated here; no downloaded data. The test split uses only phrasings
(templates) held out from train and validation.

| split | dialogues | user turns |
|---|---|---|
{rows}

## Metrics
| split | intent accuracy | slot F1 | joint goal accuracy |
|---|---|---|---|
{mrows}

Reproduce: `python -c "from pathlib import Path; from finadvisor.services.state.training import train;
print(train(Path('models'), Path('data')))"` (or `finadvisor train`), then `finadvisor eval --json`.
Trained with scikit-learn {sklearn.__version__} on Python {platform.python_version()}.

## Limits
- Context comes from the advisor's acts: with none recorded, a bare value is read against the
  task's next missing slot (a weaker prior).
- Meaning frames are English word lists (occupations, workplaces, purposes): an occupation or
  purpose they lack is read by the learned models alone.
- Measured on people: `finadvisor eval --json` reports the hand-written sets in sections of their
  own; training never reads them.
- English only; currencies: symbols $ € £ ¥ ₹, ISO codes and common names (¥ is read as CNY).
- Synthetic training data: phrasing outside the simulator's templates is less reliable.
"""


def train(models_dir: Path, data_dir: Path, seed: int = 0, progress: bool = True,
          *, sizes: dict[str, int] | None = None) -> dict[str, Any]:
    """Build the corpus (once), fit the NLU on the train split, write ``models_dir/nlu``."""
    models_dir, data_dir = Path(models_dir), Path(data_dir)
    steps = tqdm(total=5, desc="nlu", disable=not progress, unit="step")
    steps.set_postfix_str("corpus")
    folder = ensure_corpus(data_dir, seed=seed, sizes=sizes)
    meta = json.loads((folder / "meta.json").read_text())
    train_dialogues = load_split(data_dir, "train")
    steps.update()
    steps.set_postfix_str("fit")
    model = Understanding.fit(user_turns(train_dialogues), seed=seed)
    steps.update(2)
    steps.set_postfix_str("evaluate")
    metrics: dict[str, Any] = {
        "validation": evaluate_dialogues(model, load_split(data_dir, "validation")),
        "test": evaluate_dialogues(model, load_split(data_dir, "test")),
    }
    steps.update()
    steps.set_postfix_str("save")
    out = models_dir / COMPONENT
    model.save(out, metrics={**metrics, "seed": seed, "corpus": meta}, card=_model_card(meta, metrics))
    steps.update()
    steps.close()
    return {**metrics["test"], "validation": metrics["validation"], "model_dir": str(out)}


def evaluate(models_dir: Path, data_dir: Path) -> dict[str, float]:
    """``{"intent_accuracy", "slot_f1", "joint_goal_accuracy"}`` on the held-out test split."""
    model = Understanding.load(Path(models_dir) / COMPONENT)
    if not (corpus_dir(data_dir) / "test.jsonl").is_file():
        ensure_corpus(Path(data_dir))
    return evaluate_dialogues(model, load_split(Path(data_dir), "test"))
