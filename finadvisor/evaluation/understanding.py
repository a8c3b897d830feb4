"""Understanding measured on hand-written sets, through the code that serves customers.

- Single turns (``utterances.jsonl``): each is a first turn of a fresh session, so it is
  understood as the state service understands one (``Understanding.understand`` with the
  empty context); ``intent_accuracy`` and micro ``slot_f1`` over (slot, canonical value) pairs.
- Dialogues (``dialogues.jsonl``): played turn by turn through the gateway and the state service
  with a real Redis (``harness.play_dialogues``); ``joint_goal_accuracy`` is the share of
  dialogues whose final state holds exactly the annotated ``final_slots``.

Sets are located relative to the repository root: ``../shared/devset`` (the shared dev set) and
``tests/data/handwritten`` (ours). A missing set gives a ``note`` instead of figures. Nothing
here trains on them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SETS: dict[str, Path] = {
    "nlu_devset": REPO_ROOT.parent / "shared" / "devset",
    "nlu_handwritten": REPO_ROOT / "tests" / "data" / "handwritten",
}
#: Bounds on what a data file may hold.
MAX_ROWS = 5000
MAX_LINE_CHARS = 20000


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            if len(line) > MAX_LINE_CHARS or len(rows) >= MAX_ROWS:
                raise ValueError(f"{path.name}: line or file too large")
            rows.append(json.loads(line))
    return rows


def canonical(value: Any) -> str:
    """The ontology's canonical string of an annotated value (numbers without separators)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        try:
            d = Decimal(str(value)).normalize()
        except InvalidOperation:
            return str(value)
        text = format(d, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def utterance_scores(model: Any, rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Intent accuracy and slot F1 of single turns, each understood as a session's first turn."""
    results = model.understand_batch([str(r["text"]) for r in rows])
    correct = tp = fp = fn = 0
    for r, res in zip(rows, results, strict=True):
        correct += res.intent == r["intent"]
        pred = Counter((m.slot, m.value) for m in res.mentions)
        gold = Counter((k, canonical(v)) for k, v in (r.get("slots") or {}).items())
        hit = sum((pred & gold).values())
        tp += hit
        fp += sum(pred.values()) - hit
        fn += sum(gold.values()) - hit
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"intent_accuracy": round(correct / len(rows), 4) if rows else 0.0, "slot_f1": round(f1, 4),
            "turns": len(rows)}


def final_state_matches(dialogue: Mapping[str, Any], responses: Sequence[Any]) -> bool:
    """Whether the state after the last turn holds exactly the annotated final slots."""
    if not responses:
        return False
    state = {k: v.value for k, v in responses[-1].state.slots.items()}
    gold = {k: canonical(v) for k, v in (dialogue.get("final_slots") or {}).items()}
    return state == gold


def dialogue_jga(dialogues: Sequence[Mapping[str, Any]], played: Sequence[Sequence[Any]]) -> float:
    if not dialogues:
        return 0.0
    hits = sum(final_state_matches(d, r) for d, r in zip(dialogues, played, strict=True))
    return round(hits / len(dialogues), 4)


def evaluate_sets(models_dir: Path, sets: Mapping[str, Path] | None = None,
                  play: Any = None) -> dict[str, dict[str, Any]]:
    """``{section: {"intent_accuracy", "slot_f1", "joint_goal_accuracy", ...}}`` for each set.

    ``play`` plays dialogues (default: ``harness.play_dialogues`` with the models of
    ``models_dir``); every set's dialogues go through one stack."""
    from finadvisor.services.state.nlu import Understanding

    sets = dict(SETS if sets is None else sets)
    model = Understanding.load(Path(models_dir) / "nlu")
    out: dict[str, dict[str, Any]] = {}
    dialogues: dict[str, list[dict[str, Any]]] = {}
    for name, folder in sets.items():
        utt, dia = folder / "utterances.jsonl", folder / "dialogues.jsonl"
        if not utt.is_file() or not dia.is_file():
            out[name] = {"note": f"not measured: {folder} has no utterances.jsonl/dialogues.jsonl"}
            continue
        out[name] = utterance_scores(model, load_jsonl(utt))
        dialogues[name] = load_jsonl(dia)
    if dialogues:
        everything = [d for ds in dialogues.values() for d in ds]
        try:
            if play is None:
                from finadvisor.evaluation.harness import play_dialogues

                played = play_dialogues(everything, models_dir=Path(models_dir))
            else:
                played = play(everything)
        except Exception as exc:  # noqa: BLE001 - e.g. no redis-server here: say so, keep the rest
            for name in dialogues:
                out[name]["note"] = f"dialogues not measured: {type(exc).__name__}: {exc}"
            return out
        i = 0
        for name, ds in dialogues.items():
            mine = played[i:i + len(ds)]
            i += len(ds)
            out[name]["joint_goal_accuracy"] = dialogue_jga(ds, mine)
            out[name]["dialogues"] = len(ds)
            out[name]["failed_dialogues"] = [str(d.get("id", k)) for k, (d, r) in enumerate(zip(ds, mine, strict=True))
                                             if not final_state_matches(d, r)]
    return out


def iter_set(folder: Path) -> Iterable[dict[str, Any]]:
    """Every row of a set's two files (for checks that no training code reads them)."""
    for name in ("utterances.jsonl", "dialogues.jsonl"):
        path = folder / name
        if path.is_file():
            yield from load_jsonl(path)


def load_served_understanding() -> Any:
    """The state service's understanding model, loaded as the state service loads it (public
    API only), for measuring other components by what the tracker reads (voice transcripts);
    None when this checkout has not trained one."""
    try:
        from finadvisor.services.state.nlu import Understanding
        from finadvisor.shared.paths import models_dir as default_models_dir

        return Understanding.load(default_models_dir() / "nlu")
    except Exception:  # noqa: BLE001 - the caller falls back to exact transcripts
        return None
