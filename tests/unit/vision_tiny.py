"""A tiny, untrained vision model for the engine's tests: fast to build, real to run (decoding,
batching, the forward pass); what it answers is not what the tests check."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from PIL import Image

from finadvisor.services.vision.model import VisionConfig, VisionEncoder

TINY = VisionConfig(image_size=32, channels=(4, 8, 8), hidden_dim=16, embedding_dim=8, pool_grid=2)


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model's weights, seeded, in a folder of their own (one per test module)."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("vision") / "vision"
    VisionEncoder(TINY).save_pretrained(folder)
    return folder
