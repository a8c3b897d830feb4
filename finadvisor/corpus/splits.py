"""Which templates each split may use.

Every fifth template of a group (index % 5 == 4) is held out for the test split: train and
validation dialogues never contain those phrasings, test dialogues use only them, so the test
figures measure generalisation to unseen wordings rather than recall of seen ones. Splitting is
also by dialogue: each split is simulated from its own seeded stream with its own ids.
"""

from __future__ import annotations

from finadvisor.corpus.templates import USER_TEMPLATES

SPLITS: tuple[str, ...] = ("train", "validation", "test")
HELD_OUT_EVERY: int = 5


def is_held_out(index: int) -> bool:
    """True for the templates reserved for the test split."""
    return index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1


def template_id(group: str, index: int) -> str:
    return f"{group}.{index:03d}"


def templates_for(split: str) -> dict[str, list[tuple[str, str]]]:
    """group -> [(template_id, template)] usable in ``split``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    out: dict[str, list[tuple[str, str]]] = {}
    for group, (_intent, templates) in USER_TEMPLATES.items():
        chosen = [
            (template_id(group, i), t)
            for i, t in enumerate(templates)
            if is_held_out(i) == (split == "test")
        ]
        # A group too small to hold one out is shared by every split.
        out[group] = chosen or [(template_id(group, i), t) for i, t in enumerate(templates)]
    return out


def held_out_template_ids() -> set[str]:
    return {
        template_id(group, i)
        for group, (_intent, templates) in USER_TEMPLATES.items()
        for i in range(len(templates))
        if is_held_out(i)
    }
