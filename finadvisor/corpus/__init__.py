"""The dialogue corpus: a seeded simulator, its templates, splits and a validating loader.

``<data_dir>/corpus/{train,validation,test}.jsonl`` in the format of docs/CONTRACTS.md. Other
components train on it (the NLU on user turns, the generator on advisor replies, the voice
service on user utterances); a bank's own transcripts in the same format load the same way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from finadvisor.corpus.loader import load_dialogues, validate_dialogue, write_dialogues
from finadvisor.corpus.ontology import INTENTS, SLOTS, modality_facts
from finadvisor.corpus.simulator import simulate
from finadvisor.corpus.splits import SPLITS

CORPUS_VERSION: str = "1"
#: Dialogues per split: enough for good models, built in a few seconds.
DEFAULT_SIZES: dict[str, int] = {"train": 3000, "validation": 300, "test": 500}
META_FILE: str = "meta.json"

__all__ = [
    "CORPUS_VERSION",
    "DEFAULT_SIZES",
    "INTENTS",
    "SLOTS",
    "SPLITS",
    "build_corpus",
    "corpus_dir",
    "ensure_corpus",
    "load_dialogues",
    "load_split",
    "modality_facts",
    "simulate",
    "validate_dialogue",
    "write_dialogues",
]


def templates_fingerprint() -> str:
    """sha256 of every template, so a corpus built from older templates is rebuilt."""
    from finadvisor.corpus import templates as t

    blob = json.dumps(
        [t.USER_TEMPLATES, t.ADVISOR_TEMPLATES, t.REQUEST_TEMPLATES, t.PRODUCT_SURFACES, t.PURPOSE_NOUN,
         t.PURPOSE_VERB, t.EMPLOYMENT_SURFACES, t.HOUSING_SURFACES, t.RISK_BARE, t.RISK_ADJ,
         t.CURRENCY_SURFACES, t.CURRENCY_WEIGHTS],
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def corpus_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "corpus"


def build_corpus(data_dir: Path, seed: int = 0, sizes: dict[str, int] | None = None) -> Path:
    """Simulate every split and write it under ``data_dir/corpus``; returns that folder."""
    sizes = {**DEFAULT_SIZES, **(sizes or {})}
    out = corpus_dir(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Any] = {}
    for split in SPLITS:
        dialogues = simulate(sizes[split], seed=seed, split=split)
        write_dialogues(out / f"{split}.jsonl", dialogues)
        counts[split] = {
            "dialogues": len(dialogues),
            "user_turns": sum(1 for d in dialogues for t in d["turns"] if t["speaker"] == "user"),
        }
    meta = {
        "version": CORPUS_VERSION,
        "templates": templates_fingerprint(),
        "seed": seed,
        "sizes": sizes,
        "counts": counts,
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return out


def ensure_corpus(data_dir: Path, seed: int = 0, sizes: dict[str, int] | None = None) -> Path:
    """Build the corpus unless one of the same version, seed and sizes is already there."""
    out = corpus_dir(data_dir)
    wanted = {**DEFAULT_SIZES, **(sizes or {})}
    meta_path = out / META_FILE
    if meta_path.is_file() and all((out / f"{s}.jsonl").is_file() for s in SPLITS):
        try:
            meta = json.loads(meta_path.read_text())
        except json.JSONDecodeError:
            meta = {}
        if (
            meta.get("version") == CORPUS_VERSION
            and meta.get("templates") == templates_fingerprint()
            and meta.get("seed") == seed
            and meta.get("sizes") == wanted
        ):
            return out
    return build_corpus(data_dir, seed=seed, sizes=wanted)


def load_split(data_dir: Path, split: str) -> list[dict[str, Any]]:
    """The validated dialogues of one split of ``data_dir/corpus``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return load_dialogues(corpus_dir(data_dir) / f"{split}.jsonl")
