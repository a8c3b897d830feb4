"""RNN utterance encoder over log-mel frames: an L2-normalised embedding plus an intent head.

The embedding summarises how the note sounds for the response generator (which conditions on
it); the intent head gives an acoustic second opinion on what the customer wants, which the
state tracker can lean on when the transcript's confidence is low.

Architecture (a config class plus a model class with save_pretrained/from_pretrained, as in
transformers, so tests can build a tiny one in milliseconds):
    log-mel (B, T, M) -> stack ``subsample`` frames (B, T/s, M*s) -> Linear+GELU (B, T/s, H)
    -> bidirectional GRU (B, T/s, 2H) -> masked mean ++ masked max (B, 4H)
    -> Linear (B, D) = embedding (L2-normalised); intent logits = Linear(D -> n_intents).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


@dataclass
class VoiceEncoderConfig:
    n_mels: int = 80
    subsample: int = 4  # 25 RNN steps per second: the sequential GRU is the cost on a CPU
    hidden_size: int = 64
    num_layers: int = 1
    embedding_dim: int = 64
    dropout: float = 0.1
    # Divide each mel bin by its per-utterance standard deviation too (CMVN), not only subtract
    # its mean: a louder or more monotone voice then looks like the voices heard in training.
    # False keeps models saved before the option loading exactly as they were trained.
    normalise_variance: bool = False
    intents: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VoiceEncoderConfig:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


class UtteranceEncoder(nn.Module):
    def __init__(self, config: VoiceEncoderConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.proj = nn.Sequential(nn.Linear(c.n_mels * c.subsample, c.hidden_size), nn.GELU())
        self.rnn = nn.GRU(
            c.hidden_size,
            c.hidden_size,
            num_layers=c.num_layers,
            batch_first=True,
            bidirectional=True,
            dropout=c.dropout if c.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(c.dropout)
        self.to_embedding = nn.Linear(4 * c.hidden_size, c.embedding_dim)
        self.intent_head = nn.Linear(c.embedding_dim, max(len(c.intents), 1))

    def forward(self, log_mel: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log_mel: (B, T, M) zero-padded; lengths: (B,) frame counts.

        Returns (embedding (B, D) with unit L2 norm, intent logits (B, n_intents)).
        """
        b, t, m = log_mel.shape
        # Per-utterance mean (and optionally variance) normalisation over real frames: removes a voice's and a
        # microphone's constant spectral colour, which the held-out voices differ in most.
        frame_mask = (torch.arange(t, device=log_mel.device)[None, :] < lengths[:, None]).unsqueeze(-1)
        n_real = torch.clamp(lengths, min=1).to(log_mel.dtype)[:, None, None]  # (B, 1, 1)
        mean = (log_mel * frame_mask).sum(dim=1, keepdim=True) / n_real  # (B, 1, M)
        log_mel = (log_mel - mean) * frame_mask  # (B, T, M), padding stays zero
        if self.config.normalise_variance:
            var = (log_mel**2).sum(dim=1, keepdim=True) / n_real  # (B, 1, M)
            log_mel = log_mel / torch.sqrt(var + 1e-2)  # (B, T, M), padding stays zero
        s = self.config.subsample
        t_pad = (t + s - 1) // s * s
        if t_pad != t:
            log_mel = F.pad(log_mel, (0, 0, 0, t_pad - t))  # (B, T_pad, M)
        x = log_mel.reshape(b, t_pad // s, s * m)  # (B, T', s*M), T' = T_pad / s
        steps = torch.clamp((lengths + s - 1) // s, min=1)  # (B,)
        x = self.proj(x)  # (B, T', H)
        packed = nn.utils.rnn.pack_padded_sequence(
            x, steps.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=t_pad // s)
        # out: (B, T', 2H); mask: (B, T', 1) true on real steps
        mask = (torch.arange(out.shape[1], device=out.device)[None, :] < steps[:, None]).unsqueeze(-1)
        mean = (out * mask).sum(dim=1) / steps[:, None].to(out.dtype)  # (B, 2H)
        mx = out.masked_fill(~mask, float("-inf")).max(dim=1).values  # (B, 2H)
        pooled = self.dropout(torch.cat([mean, mx], dim=-1))  # (B, 4H)
        emb = F.normalize(self.to_embedding(pooled), p=2, dim=-1)  # (B, D), ||row|| = 1
        # The head sees the unit vector scaled up, so logits are not capped by the norm.
        logits = self.intent_head(emb * 8.0)  # (B, n_intents)
        return emb, logits

    def save_pretrained(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE))

    @classmethod
    def from_pretrained(cls, folder: Path) -> UtteranceEncoder:
        """Load config + safetensors (no pickle). Callers verify the manifest first."""
        folder = Path(folder)
        config = VoiceEncoderConfig.from_dict(json.loads((folder / CONFIG_FILE).read_text()))
        model = cls(config)
        model.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
        model.eval()
        return model


def pad_batch(features: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """list of (T_i, M) -> (B, T_max, M) zero-padded, lengths (B,)."""
    lengths = torch.tensor([f.shape[0] for f in features], dtype=torch.long)
    batch = nn.utils.rnn.pad_sequence(features, batch_first=True)  # (B, T_max, M)
    return batch, lengths
