"""One vocabulary: ``finadvisor.ontology`` and every copy that trained weights pin.

A pinned copy exists only where a model's weights depend on an order (the vision classes, the
generator's feature tokens, the NLU and voice intent classes); each must hold exactly the
ontology's values, so a value added to the ontology is noticed where a model must be retrained.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finadvisor import ontology as o

MODELS = Path(__file__).resolve().parents[2] / "finadvisor" / "models"


def test_the_ontology_is_the_design_documents() -> None:
    """A few values DESIGN.md names outright, so an accidental edit here fails loudly."""
    assert len(o.INTENTS) == len(set(o.INTENTS)) == 15
    assert len(o.SLOTS) == len(set(o.SLOTS)) == 15
    assert set(o.NUMERIC_SLOTS) | set(o.CATEGORICAL_VALUES) | {"currency"} == set(o.SLOTS)
    assert "candlestick_chart" in o.IMAGE_TYPES and set(o.CHART_TYPES) <= set(o.IMAGE_TYPES)
    assert o.TREND_TYPES <= set(o.CHART_TYPES) and o.OCR_TYPES <= set(o.IMAGE_TYPES)
    assert o.DECISIONS == ("approve", "refer", "decline")


@pytest.mark.parametrize(("value", "canonical"), [
    ("3850.50", "3850.5"), ("15000", "15000"), ("15000.00", "15000"), ("0.005", "0.01"),
    ("1E+3", "1000"), ("-0", "0"), (5500, "5500"), ("0.10", "0.1"),
])
def test_one_canonical_amount_format(value: object, canonical: str) -> None:
    assert o.format_amount(value) == canonical


def test_ids() -> None:
    assert o.ID_RE.match("a" * 128) and not o.ID_RE.match("a" * 129)
    for bad in ("", "-a", "a}b", "a{b", "a b", "é"):
        assert not o.ID_RE.match(bad), bad


@pytest.mark.parametrize(("head", "mime"), [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, "image/png"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 8, "image/jpeg"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
    (b"RIFF\0\0\0\0WAVEfmt ", "audio/wav"),
    (b"RF64\0\0\0\0WAVEfmt ", "audio/wav"),
    (b"fLaC\0\0\0\x22", "audio/flac"),
    (b"OggS\0\x02" + b"\0" * 6, "audio/ogg"),
    (b"\x1a\x45\xdf\xa3" + b"\0" * 8, "audio/webm"),
    (b"GIF89a" + b"\0" * 6, None),
    (b"RIFF\0\0\0\0AVI LIST", None),
    (b"", None),
])
def test_magic_bytes(head: bytes, mime: str | None) -> None:
    assert o.sniff_mime(head) == mime


def test_media_types_fold_to_the_canonical_lists() -> None:
    assert o.canonical_mime("audio/webm;codecs=opus") == "audio/webm"
    assert o.canonical_mime(" Image/JPG ") == "image/jpeg"
    assert {o.canonical_mime(m) for m in o.IMAGE_MIME} == set(o.IMAGE_MIME_TYPES)
    assert {o.canonical_mime(m) for m in o.AUDIO_MIME} == set(o.AUDIO_MIME_TYPES)
    assert not o.IMAGE_MIME & o.AUDIO_MIME


def test_describe_is_json_and_complete() -> None:
    info = json.loads(json.dumps(o.describe()))
    assert info["intents"] == list(o.INTENTS) and info["image_types"] == list(o.IMAGE_TYPES)
    assert info["trends"] == list(o.TRENDS) and info["decisions"] == list(o.DECISIONS)


# -- pinned copies ----------------------------------------------------------------------------
def _config(component: str) -> dict:
    return json.loads((MODELS / component / "config.json").read_text())


def test_vision_classes_pinned_by_the_weights_match() -> None:
    from finadvisor.services.vision import labels

    config = _config("vision")
    assert tuple(config["image_types"]) == labels.IMAGE_TYPES == o.IMAGE_TYPES
    assert tuple(config["trends"]) == labels.TRENDS == o.TRENDS
    assert labels.TREND_TYPES == o.TREND_TYPES and labels.OCR_TYPES == o.OCR_TYPES
    assert labels.PERIODS_PER_YEAR == o.PERIODS_PER_YEAR


def test_intent_classes_pinned_by_the_weights_match() -> None:
    """The NLU and the voice model store their class order in their config."""
    assert set(_config("nlu")["intents"]) == set(o.INTENTS)
    assert set(_config("voice")["intents"]) == set(o.INTENTS)


def test_generator_feature_vocabulary_pinned_by_the_weights_matches() -> None:
    """The generator's feature tokens are built from its own copies, in their order."""
    from finadvisor.services.generator import inputs

    assert inputs.INTENTS == o.INTENTS
    assert inputs.IMAGE_TYPES == o.IMAGE_TYPES
    assert inputs.CHART_TRENDS == o.TRENDS
    assert inputs.DECISIONS == o.DECISIONS
    assert inputs.CATEGORICAL_VALUES == o.CATEGORICAL_VALUES


def test_the_corpus_re_exports_the_ontology_itself() -> None:
    from finadvisor.corpus import ontology as training_side

    for name in ("INTENTS", "SLOTS", "CATEGORICAL_VALUES", "IMAGE_TYPES", "NUMERIC_SLOTS"):
        assert getattr(training_side, name) is getattr(o, name), name
    assert training_side.format_decimal is o.format_amount
