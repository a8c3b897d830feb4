"""Read and validate dialogue JSONL files (the simulator's, or a bank's own transcripts).

Validation is strict and its errors name the file, the line and the field, because a bank that
retrains on its own transcripts needs to know exactly what to fix. Sizes are bounded so a huge
or hostile file cannot exhaust memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from finadvisor.corpus.ontology import (
    ADVISOR_EXTRA_PLACEHOLDERS,
    CATEGORICAL_VALUES,
    IMAGE_TYPES,
    INTENTS,
    SLOTS,
)
from finadvisor.shared.errors import InvalidInputError

MAX_LINE_BYTES: int = 1 << 20
MAX_TURNS: int = 400
MAX_TEXT_CHARS: int = 4000
MAX_FILE_BYTES: int = 2 << 30

_DELEX = re.compile(r"\[(\w+)\]")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SLOT_SET = frozenset(SLOTS)
_INTENT_SET = frozenset(INTENTS)


def validate_value(slot: str, value: Any) -> str | None:
    """Why ``value`` is not a canonical value of ``slot`` (None when it is)."""
    if not isinstance(value, str):
        return f"value of {slot} must be a string, got {type(value).__name__}"
    if slot in CATEGORICAL_VALUES:
        if value not in CATEGORICAL_VALUES[slot]:
            return f"{value!r} is not a canonical {slot} (expected one of {', '.join(CATEGORICAL_VALUES[slot])})"
        return None
    if slot == "currency":
        return None if _CURRENCY.match(value) else f"currency {value!r} is not an ISO 4217 code such as USD"
    return None if _NUMBER.match(value) else f"{slot} {value!r} is not a plain number such as 15000"


def _validate_modality(modality: Any, where: str) -> None:
    if modality is None:
        return
    if not isinstance(modality, dict):
        raise InvalidInputError(f"{where}: modality must be null or an object")
    kind = modality.get("kind")
    if kind == "audio":
        return
    if kind != "image":
        raise InvalidInputError(f"{where}: modality.kind must be 'image' or 'audio', got {kind!r}")
    if modality.get("image_type") not in IMAGE_TYPES:
        raise InvalidInputError(f"{where}: modality.image_type must be one of {', '.join(IMAGE_TYPES)}")
    fields = modality.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise InvalidInputError(f"{where}: modality.fields must map names to strings")


def validate_dialogue(d: Any, where: str = "dialogue") -> dict[str, Any]:
    """Check one dialogue against the corpus format of docs/CONTRACTS.md; return it."""
    if not isinstance(d, dict):
        raise InvalidInputError(f"{where}: a dialogue must be a JSON object")
    did = d.get("dialogue_id")
    if not isinstance(did, str) or not did:
        raise InvalidInputError(f"{where}: missing dialogue_id")
    turns = d.get("turns")
    if not isinstance(turns, list) or not turns:
        raise InvalidInputError(f"{where} ({did}): turns must be a non-empty list")
    if len(turns) > MAX_TURNS:
        raise InvalidInputError(f"{where} ({did}): more than {MAX_TURNS} turns")
    for i, t in enumerate(turns):
        at = f"{where} ({did}) turn {i}"
        if not isinstance(t, dict):
            raise InvalidInputError(f"{at}: a turn must be an object")
        speaker = t.get("speaker")
        text = t.get("text")
        if not isinstance(text, str):
            raise InvalidInputError(f"{at}: text must be a string")
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidInputError(f"{at}: text longer than {MAX_TEXT_CHARS} characters")
        if speaker == "user":
            intent = t.get("intent")
            if intent not in _INTENT_SET:
                raise InvalidInputError(f"{at}: unknown intent {intent!r}")
            slots = t.get("slots", [])
            if not isinstance(slots, list):
                raise InvalidInputError(f"{at}: slots must be a list")
            for s in slots:
                if not isinstance(s, dict):
                    raise InvalidInputError(f"{at}: each slot must be an object")
                name = s.get("slot")
                if name not in _SLOT_SET:
                    raise InvalidInputError(f"{at}: unknown slot {name!r}")
                err = validate_value(name, s.get("value"))
                if err:
                    raise InvalidInputError(f"{at}: {err}")
                start, end = s.get("start"), s.get("end")
                if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
                    raise InvalidInputError(f"{at}: span [{start}, {end}) of {name} is outside the text")
            _validate_modality(t.get("modality"), at)
            state = t.get("state", {})
            if not isinstance(state, dict):
                raise InvalidInputError(f"{at}: state must be an object")
            for name, value in state.items():
                if name not in _SLOT_SET:
                    raise InvalidInputError(f"{at}: unknown slot {name!r} in state")
                err = validate_value(name, value)
                if err:
                    raise InvalidInputError(f"{at}: state: {err}")
        elif speaker == "advisor":
            delex = t.get("delex", text)
            if not isinstance(delex, str):
                raise InvalidInputError(f"{at}: delex must be a string")
            allowed = _SLOT_SET | set(ADVISOR_EXTRA_PLACEHOLDERS)
            bad = [p for p in _DELEX.findall(delex) if p not in allowed]
            if bad:
                raise InvalidInputError(f"{at}: unknown placeholder [{bad[0]}] in delex")
            if "act" in t and not isinstance(t["act"], str):
                raise InvalidInputError(f"{at}: act must be a string")
        else:
            raise InvalidInputError(f"{at}: speaker must be 'user' or 'advisor', got {speaker!r}")
    return d


def iter_dialogues(path: Path) -> Iterator[dict[str, Any]]:
    """Stream validated dialogues from a JSONL file (blank lines are skipped)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such corpus file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInputError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    seen: set[str] = set()
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, start=1):
            where = f"{path.name}:{lineno}"
            if len(raw) > MAX_LINE_BYTES:
                raise InvalidInputError(f"{where}: line longer than {MAX_LINE_BYTES} bytes")
            if not raw.strip():
                continue
            try:
                d = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InvalidInputError(f"{where}: not valid JSON ({exc.msg if hasattr(exc, 'msg') else exc})") from None
            validate_dialogue(d, where)
            if d["dialogue_id"] in seen:
                raise InvalidInputError(f"{where}: duplicate dialogue_id {d['dialogue_id']!r}")
            seen.add(d["dialogue_id"])
            yield d


def load_dialogues(path: Path) -> list[dict[str, Any]]:
    """All dialogues of a JSONL file, validated (raises InvalidInputError naming file:line)."""
    return list(iter_dialogues(path))


def write_dialogues(path: Path, dialogues: list[dict[str, Any]]) -> Path:
    """Write dialogues as JSONL (one per line, UTF-8, stable key order), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for d in dialogues:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path
