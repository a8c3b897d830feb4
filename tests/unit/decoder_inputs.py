"""What a greedy search of a loaded generator starts from, for the tests that drive the decoder's
step loop themselves (``decode_step``, ``decode_segment``, ``check_draft``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from finadvisor.services.generator.engine import GeneratorEngine
from finadvisor.services.generator.inputs import GenerationInput, build_source


class DecoderInputs(NamedTuple):
    states: torch.Tensor  # (B, S, H) encoder states
    keys: torch.Tensor  # (B, S, H) scored keys
    bias: torch.Tensor  # (B, S) attention mask bias
    hidden: torch.Tensor  # (1, B, H) first decoder state
    weights: object  # the model's step weights
    ban: torch.Tensor  # (B, V) -inf where a placeholder cannot be filled
    start: torch.Tensor  # (B,) decoder start tokens


def decoder_inputs(eng: GeneratorEngine, reqs: Sequence[GenerationInput]) -> DecoderInputs:
    enc = eng.tokenizer([build_source(r) for r in reqs], padding=True, return_tensors="pt")
    m, cfg = eng.model, eng.model.config
    with torch.inference_mode():
        states = m.encoder(enc["input_ids"], attention_mask=enc["attention_mask"])[0]
        keys, bias, hidden = m.prepare_fast_decoding(states, enc["attention_mask"])
        ban = torch.zeros((len(reqs), cfg.vocab_size)).masked_fill(
            eng._banned_placeholders(list(reqs)), float("-inf"))
    start = torch.full((len(reqs),), cfg.decoder_start_token_id, dtype=torch.long)
    return DecoderInputs(states, keys, bias, hidden, m.step_weights(), ban, start)
