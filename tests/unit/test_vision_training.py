"""The training contract on a tiny configuration: artifacts, reproducibility, the eval section."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from finadvisor.services.vision.model import VisionConfig, VisionEncoder
from finadvisor.services.vision.ocr import ocr_status
from finadvisor.services.vision.training import DataSpec, evaluate, supcon_loss, train
from finadvisor.shared.artifacts import verify_manifest

TINY = VisionConfig(image_size=32, channels=(4, 8, 8), hidden_dim=16, embedding_dim=8, pool_grid=2)
SPEC = DataSpec(n_train=24, n_val=8, n_heldout=8, n_ocr=1, n_speed=4)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("vision-train")
    metrics = train(root / "models", root / "data", seed=3, progress=False, config=TINY, spec=SPEC, max_epochs=2)
    return root / "models", root / "data", metrics


def test_train_writes_a_sealed_model_folder(trained: tuple[Path, Path, dict]) -> None:
    models, _, metrics = trained
    folder = models / "vision"
    manifest = verify_manifest(folder)
    assert set(manifest["files"]) == {"model.safetensors", "config.json", "MODEL_CARD.md"}
    assert "type accuracy" in (folder / "MODEL_CARD.md").read_text()
    assert VisionEncoder.from_pretrained(folder).config == TINY
    assert 0.0 <= metrics["heldout_type_accuracy"] <= 1.0 and metrics["epochs_run"] >= 1


def test_same_seed_same_weights(trained: tuple[Path, Path, dict], tmp_path: Path) -> None:
    models, data, _ = trained
    train(tmp_path, data, seed=3, progress=False, config=TINY, spec=SPEC, max_epochs=2)
    a = (models / "vision" / "model.safetensors").read_bytes()
    b = (tmp_path / "vision" / "model.safetensors").read_bytes()
    assert a == b


def test_evaluate_returns_the_eval_section(trained: tuple[Path, Path, dict]) -> None:
    models, data, _ = trained
    result = evaluate(models, data, spec=SPEC)
    assert set(result) == {"type_accuracy", "trend_accuracy", "field_accuracy", "images_per_second"}
    assert 0.0 <= result["type_accuracy"] <= 1.0
    assert result["images_per_second"] > 0
    if ocr_status()[0]:
        assert 0.0 <= result["field_accuracy"] <= 1.0
    else:
        assert result["field_accuracy"] is None


def test_supcon_prefers_clustered_embeddings() -> None:
    labels = torch.tensor([0, 0, 1, 1])
    clustered = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99]]), dim=1)
    mixed = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.99, 0.1], [0.1, 0.99]]), dim=1)
    assert supcon_loss(clustered, labels) < supcon_loss(mixed, labels)
