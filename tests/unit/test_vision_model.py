"""The CNN encoder: output shapes, unit embeddings, manifest-checked save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from finadvisor.services.vision.model import VisionConfig, VisionEncoder, to_model_array, to_tensor
from finadvisor.services.vision.render import render_sample
from finadvisor.shared.errors import ModelNotReadyError

TINY = VisionConfig(image_size=32, channels=(4, 8, 8), hidden_dim=16, embedding_dim=8, pool_grid=2)


def test_forward_shapes_and_unit_embedding() -> None:
    torch.manual_seed(0)
    model = VisionEncoder(TINY).eval()
    x = torch.rand(5, 1, 32, 32)
    out = model(x)
    assert out.type_logits.shape == (5, 8)
    assert out.trend_logits.shape == (5, 4)
    assert out.embedding.shape == (5, 8)
    assert torch.allclose(out.embedding.norm(dim=1), torch.ones(5), atol=1e-5)


def test_default_config_is_small() -> None:
    model = VisionEncoder(VisionConfig())
    n = sum(p.numel() for p in model.parameters())
    assert n * 4 < 5 * 1024 * 1024  # float32 weights under 5 MB
    out = model.eval()(torch.rand(2, 1, 128, 128))
    assert out.embedding.shape == (2, 64)


def test_preprocess_matches_model_input() -> None:
    img = render_sample("pie_chart", 1).image
    arr = to_model_array(img, 32)
    assert arr.shape == (32, 32) and arr.dtype == np.uint8
    t = to_tensor(arr[None])
    assert t.shape == (1, 1, 32, 32) and float(t.max()) <= 1.0


def test_save_load_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = VisionEncoder(TINY).eval()
    model.save_pretrained(tmp_path / "vision", model_card="# card\n")
    for name in ("model.safetensors", "config.json", "MODEL_CARD.md", "MANIFEST.json"):
        assert (tmp_path / "vision" / name).is_file()
    loaded = VisionEncoder.from_pretrained(tmp_path / "vision")
    assert loaded.config == TINY
    x = torch.rand(3, 1, 32, 32)
    with torch.inference_mode():
        assert torch.allclose(model(x).embedding, loaded(x).embedding)


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    VisionEncoder(TINY).save_pretrained(tmp_path / "vision")
    weights = tmp_path / "vision" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\x00\x00\x00\x00")
    with pytest.raises(ModelNotReadyError):
        VisionEncoder.from_pretrained(tmp_path / "vision")


def test_missing_folder_is_not_ready(tmp_path: Path) -> None:
    with pytest.raises(ModelNotReadyError):
        VisionEncoder.from_pretrained(tmp_path / "nothing")
