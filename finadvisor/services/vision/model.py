"""The vision encoder: a small CNN with a type head, a trend head and an L2-normalised embedding.

Why this shape: the service runs on CPUs next to other models, so the network sees a 128x128
grayscale thumbnail (colour and fine text do not decide the type; layout does) and costs about
15 M multiply-adds per image. The last feature map is average-pooled to a coarse 4x4 grid rather
than to a single vector, because a chart's trend is a spatial fact (is the right end of the line
higher than the left?) that a global pool would throw away.

Persistence follows the transformers pattern (a config object plus ``save_pretrained`` /
``from_pretrained``) with safetensors weights, a JSON config and a sha256 manifest checked before
anything is read, so a model folder never runs code when loaded.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file, save_file
from torch import nn

from finadvisor.services.vision.labels import IMAGE_TYPES, TRENDS
from finadvisor.shared.artifacts import verify_manifest, write_manifest
from finadvisor.shared.errors import ModelNotReadyError

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
MODEL_CARD = "MODEL_CARD.md"


@dataclass
class VisionConfig:
    """Hyper-parameters of the encoder; saved as config.json next to the weights."""

    image_size: int = 128
    # Channels of the stem and of each following conv block.
    channels: tuple[int, ...] = (16, 32, 64, 96)
    hidden_dim: int = 128
    embedding_dim: int = 64
    pool_grid: int = 4
    dropout: float = 0.2
    image_types: tuple[str, ...] = IMAGE_TYPES
    trends: tuple[str, ...] = TRENDS
    version: str = "vision-cnn-0.1.0"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VisionConfig:
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("channels", "image_types", "trends"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


@dataclass
class VisionOutput:
    """Raw outputs of one forward pass."""

    type_logits: torch.Tensor  # [B, n_types]
    trend_logits: torch.Tensor  # [B, n_trends]
    embedding: torch.Tensor  # [B, embedding_dim], unit L2 norm
    features: torch.Tensor = field(repr=False)  # [B, hidden_dim]


class VisionEncoder(nn.Module):
    """CNN encoder: stem (stride 2) -> conv blocks -> 4x4 pooled grid -> shared hidden -> 3 heads."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        layers: list[nn.Module] = [
            nn.Conv2d(1, c[0], kernel_size=5, stride=2, padding=2, bias=False),
            nn.BatchNorm2d(c[0]),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        ]
        for i in range(1, len(c)):
            layers += [nn.Conv2d(c[i - 1], c[i], kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(c[i]),
                       nn.ReLU(inplace=True)]
            if i < len(c) - 1:  # the last block keeps its resolution for the pooled grid
                layers.append(nn.MaxPool2d(2))
        self.backbone = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(config.pool_grid)
        self.hidden = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(c[-1] * config.pool_grid**2, config.hidden_dim),
            nn.ReLU(inplace=True),
        )
        self.type_head = nn.Linear(config.hidden_dim, len(config.image_types))
        self.trend_head = nn.Linear(config.hidden_dim, len(config.trends))
        self.embed_head = nn.Linear(config.hidden_dim, config.embedding_dim)

    def forward(self, x: torch.Tensor) -> VisionOutput:
        """x: [B, 1, S, S] grayscale in 0..1."""
        x = (x - 0.5) / 0.25
        fmap = self.backbone(x)  # [B, C, S/16, S/16]
        grid = self.pool(fmap)  # [B, C, G, G]
        flat = grid.flatten(1)  # [B, C*G*G]
        h = self.hidden(flat)  # [B, hidden]
        emb = F.normalize(self.embed_head(h), p=2, dim=1)  # [B, E], ||row|| = 1
        return VisionOutput(self.type_head(h), self.trend_head(h), emb, h)

    # ---------------------------------------------------------------------------- persistence
    def save_pretrained(self, folder: Path, model_card: str | None = None, **manifest_meta: Any) -> Path:
        """Write weights, config, model card and (last) the manifest that seals them."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, str(folder / WEIGHTS), metadata={"version": self.config.version})
        (folder / CONFIG).write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        if model_card is not None:
            (folder / MODEL_CARD).write_text(model_card)
        write_manifest(folder, component="vision", version=self.config.version, **manifest_meta)
        return folder

    @classmethod
    def from_pretrained(cls, folder: Path) -> VisionEncoder:
        """Load after the manifest check; raises ModelNotReadyError when missing or tampered."""
        folder = Path(folder)
        verify_manifest(folder)
        try:
            config = VisionConfig.from_dict(json.loads((folder / CONFIG).read_text()))
            model = cls(config)
            model.load_state_dict(load_file(str(folder / WEIGHTS)))
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise ModelNotReadyError(f"vision model in {folder} cannot be loaded: {exc}") from exc
        model.eval()
        return model


# ------------------------------------------------------------------------------ preprocessing
# Below this median gray level (0..255) a picture is dark-themed and is inverted for the network.
DARK_MEDIAN = 110
def to_model_array(img: Image.Image, size: int) -> np.ndarray:
    """The model's view of an image: [size, size] uint8 grayscale, aspect ratio not kept.

    Training data and served images both go through this one function, so they match exactly.
    A dark-themed picture (median tone below ``DARK_MEDIAN``: a dark chart, a banking app's night
    mode) is inverted, so the network always sees dark ink on a light ground: the type of a chart
    lies in its shapes, not in its polarity.
    """
    gray = img.convert("L")
    arr = np.array(gray.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0), dtype=np.uint8)
    if float(np.median(arr)) < DARK_MEDIAN:
        arr = 255 - arr
    return arr


def to_tensor(arrays: np.ndarray) -> torch.Tensor:
    """[B, S, S] uint8 -> [B, 1, S, S] float32 in 0..1."""
    return torch.from_numpy(np.ascontiguousarray(arrays)).float().div_(255.0).unsqueeze(1)
