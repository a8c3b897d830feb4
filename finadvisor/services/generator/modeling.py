"""The reply generator: a GRU encoder-decoder with Luong attention, as a transformers model.

Why transformers: writing the model as a ``PreTrainedConfig`` + ``PreTrainedModel`` with
``GenerationMixin`` gives us ``save_pretrained``/``from_pretrained`` (safetensors, no pickle) and
the library's ``generate()`` (greedy, beam search, n-best, scores) instead of a home-made decoder
loop. The recurrent decoder state plays the role of the key/value cache: ``generate`` hands it
back to us under the name ``cache`` and reorders it with ``_reorder_cache`` when beams move.

Architecture (Luong et al. 2015, "general" score, no input feeding, so training runs the decoder
GRU over the whole target in one call):

- encoder: token embeddings -> bidirectional GRU -> H_enc (B, S, 2*E_h) -> linear to (B, S, H)
- decoder init: masked mean of the encoder states -> tanh(linear) -> h_0 (L, B, H)
- decoder: embeddings -> GRU -> h_t (B, T, H)
- attention: e_ts = h_t^T W_a h_s, alpha_t = softmax_s(e_ts) over the non-padded encoder states,
  c_t = sum_s alpha_ts h_s
- output: h~_t = tanh(W_c [c_t; h_t]); logits = W_o h~_t

Shapes use B = batch, S = source length, T = target length, H = hidden size, E = embedding size,
V = vocabulary size, L = decoder layers.
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers import GenerationMixin, PreTrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput
from transformers.utils import ModelOutput


class GeneratorConfig(PreTrainedConfig):
    """Hyper-parameters of the attention Seq2Seq generator (a dataclass, as transformers v5 wants)."""

    model_type = "finadvisor_seq2seq_attention"

    vocab_size: int = 2000
    embedding_dim: int = 128
    hidden_size: int = 256
    decoder_layers: int = 1
    dropout: float = 0.1
    max_source_length: int = 160
    max_target_length: int = 64
    is_encoder_decoder: bool = True
    use_cache: bool = True
    pad_token_id: int | None = 0
    bos_token_id: int | None = 1
    eos_token_id: int | list[int] | None = 2
    decoder_start_token_id: int | None = 1
    tie_word_embeddings: bool = False


@dataclass
class GeneratorOutput(ModelOutput):
    """Seq2Seq output; ``cache`` is the decoder GRU state (L, B, H) that ``generate`` feeds back."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    cache: torch.Tensor | None = None
    cross_attentions: tuple[torch.Tensor, ...] | None = None
    encoder_last_hidden_state: torch.Tensor | None = None


class LuongAttention(nn.Module):
    """Luong "general" attention: e_ts = h_t^T W_a h_s, alpha = softmax over the source."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.score = nn.Linear(hidden_size, hidden_size, bias=False)
        self.combine = nn.Linear(2 * hidden_size, hidden_size)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, H), keys (B, S, H), mask (B, S) 1 = real token -> (h~ (B, T, H), alpha (B, T, S))."""
        # (B, T, H) @ (B, H, S) -> (B, T, S)
        energies = torch.bmm(self.score(query), keys.transpose(1, 2))
        # Padding must get exactly zero weight so every row sums to 1 over real tokens.
        energies = energies.masked_fill(~mask.bool().unsqueeze(1), float("-inf"))  # (B, T, S)
        alpha = torch.softmax(energies, dim=-1)  # (B, T, S)
        # (B, T, S) @ (B, S, H) -> (B, T, H)
        context = torch.bmm(alpha, keys)
        # cat -> (B, T, 2H); combine -> (B, T, H)
        attentional = torch.tanh(self.combine(torch.cat([context, query], dim=-1)))
        return attentional, alpha


class GeneratorEncoder(nn.Module):
    """Bidirectional GRU over the serialised context/state/findings (see inputs.py)."""

    main_input_name = "input_ids"

    def __init__(self, config: GeneratorConfig, embeddings: nn.Embedding) -> None:
        super().__init__()
        self.embeddings = embeddings
        self.rnn = nn.GRU(
            config.embedding_dim, config.hidden_size // 2, batch_first=True, bidirectional=True
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        return_dict: bool = True,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        **_: Any,
    ) -> BaseModelOutput:
        """input_ids (B, S) -> last_hidden_state (B, S, H) (zeros at padded positions)."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        lengths = attention_mask.sum(dim=1).clamp(min=1).cpu()  # (B,)
        embedded = self.dropout(self.embeddings(input_ids))  # (B, S, E)
        # Packing keeps the backward direction from reading the padding first.
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        out, _final = self.rnn(packed)
        # (B, S', 2 * H/2) with S' = longest length; pad back to S so it lines up with the mask.
        states, _lengths = pad_packed_sequence(out, batch_first=True, total_length=input_ids.shape[1])
        return BaseModelOutput(last_hidden_state=self.dropout(states))  # (B, S, H)


class GeneratorPreTrainedModel(PreTrainedModel):
    config_class = GeneratorConfig
    base_model_prefix = "generator"
    main_input_name = "input_ids"
    # The encoder reads the shared table; saved once, re-tied on load.
    _tied_weights_keys = {"encoder.embeddings.weight": "shared.weight"}

    def _init_weights(self, module: nn.Module) -> None:
        """Small uniform init, as in the classic Seq2Seq recipes; recurrent biases at zero."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.uniform_(module.weight, -0.1, 0.1)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.GRU):
            for name, param in module.named_parameters():
                if "weight" in name:
                    nn.init.uniform_(param, -0.1, 0.1)
                else:
                    nn.init.zeros_(param)


class _StepWeights(NamedTuple):
    """The decoder's weights laid out for one greedy step at a time (see ``decode_step``)."""

    key: tuple[tuple[int, int], ...]  # (id, version) of the parameters they were made from
    input_gates: torch.Tensor  # (V, 3H): each token's embedding through the GRU's input weights
    hidden_wt: torch.Tensor  # (H, 3H)
    hidden_bias: torch.Tensor  # (3H,)
    combine_wt: torch.Tensor  # (2H, H)
    combine_bias: torch.Tensor  # (H,)
    head_wt: torch.Tensor  # (H, V)
    head_bias: torch.Tensor  # (V,)


def _gru_cell(gi: torch.Tensor, h0: torch.Tensor, hidden_wt: torch.Tensor,
              hidden_bias: torch.Tensor) -> torch.Tensor:
    """torch's GRU cell (gates r|z|n) with its input half ``gi`` (B, 3H) already looked up:
    h0 (B, H) -> h (B, H)."""
    size = hidden_wt.shape[0]
    gh = torch.addmm(hidden_bias, h0, hidden_wt)  # (B, H) @ (H, 3H) -> (B, 3H)
    rz = torch.sigmoid(gi[:, : 2 * size] + gh[:, : 2 * size])  # (B, 2H)
    r, z = rz[:, :size], rz[:, size:]
    n = torch.tanh(gi[:, 2 * size:] + r * gh[:, 2 * size:])  # (B, H)
    return n + z * (h0 - n)  # (1 - z) * n + z * h0


def _attend_and_emit(
    h: torch.Tensor, enc_states: torch.Tensor, keys_t: torch.Tensor, mask_bias: torch.Tensor,
    combine_wt: torch.Tensor, combine_bias: torch.Tensor, head_wt: torch.Tensor,
    head_bias: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention over the input and the output layer for n decoder states: h (n, H),
    enc_states (n, S, H), keys_t (n, H, S), mask_bias (n, 1, S) -> logits (n, V), attention
    (n, S)."""
    # mask (n, 1, S) + (n, 1, H) @ (n, H, S) -> (n, 1, S) -> (n, S)
    energies = torch.baddbmm(mask_bias, h.unsqueeze(1), keys_t).squeeze(1)
    alpha = torch.softmax(energies, dim=-1)  # (n, S)
    context = torch.bmm(alpha.unsqueeze(1), enc_states).squeeze(1)  # (n, 1, S) @ (n, S, H) -> (n, H)
    # cat -> (n, 2H) @ (2H, H) -> (n, H)
    attentional = torch.tanh(torch.addmm(combine_bias, torch.cat([context, h], dim=-1), combine_wt))
    logits = torch.addmm(head_bias, attentional, head_wt)  # (n, H) @ (H, V) -> (n, V)
    return logits, alpha


def _step(
    token: torch.Tensor, h0: torch.Tensor, enc_states: torch.Tensor, keys_t: torch.Tensor,
    mask_bias: torch.Tensor, input_gates: torch.Tensor, hidden_wt: torch.Tensor,
    hidden_bias: torch.Tensor, combine_wt: torch.Tensor, combine_bias: torch.Tensor,
    head_wt: torch.Tensor, head_bias: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One decoder step (``GeneratorModel.decode_step``): token (B,), h0 (B, H), enc_states
    (B, S, H), keys_t (B, H, S) the scored keys transposed, mask_bias (B, 1, S) -> logits
    (B, V), the new hidden state (B, H), attention (B, S). Written so TorchScript compiles it."""
    h = _gru_cell(input_gates.index_select(0, token), h0, hidden_wt, hidden_bias)
    logits, alpha = _attend_and_emit(h, enc_states, keys_t, mask_bias, combine_wt, combine_bias,
                                     head_wt, head_bias)
    return logits, h, alpha


def _check_draft(
    token: torch.Tensor, draft: torch.Tensor, h0: torch.Tensor, enc_states: torch.Tensor,
    keys_t: torch.Tensor, mask_bias: torch.Tensor, ban_bias: torch.Tensor,
    input_gates: torch.Tensor, hidden_wt: torch.Tensor, hidden_bias: torch.Tensor,
    combine_wt: torch.Tensor, combine_bias: torch.Tensor, head_wt: torch.Tensor,
    head_bias: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The steps of b rows fed ``token`` (b,) and then their ``draft`` (b, k - 1): the GRU one
    step at a time (``_step``'s cell on the same rows), then attention and the output layer for
    the k positions of every row at once. h0 (b, H), enc_states (b, S, H), keys_t (b, H, S),
    mask_bias (b, 1, S), ban_bias (b, V) -> the best token after each input (b, k), logits
    (b, k, V), attention (b, k, S) and the hidden state after each input (b, k, H)."""
    inputs = torch.cat([token.unsqueeze(1), draft], dim=1)  # (b, k)
    rows, k = inputs.shape[0], inputs.shape[1]
    gates = input_gates.index_select(0, inputs.reshape(-1)).view(rows, k, -1)  # (b, k, 3H)
    states: list[torch.Tensor] = []
    h = h0
    for i in range(k):
        h = _gru_cell(gates[:, i], h, hidden_wt, hidden_bias)  # (b, H)
        states.append(h)
    hs = torch.stack(states, dim=1)  # (b, k, H)
    # mask (b, 1, S) + (b, k, H) @ (b, H, S) -> (b, k, S)
    alpha = torch.softmax(torch.baddbmm(mask_bias, hs, keys_t), dim=-1)
    context = torch.bmm(alpha, enc_states)  # (b, k, S) @ (b, S, H) -> (b, k, H)
    # (b k, 2H) @ (2H, H) -> (b k, H) @ (H, V) -> (b, k, V)
    attentional = torch.tanh(torch.addmm(combine_bias, torch.cat([context, hs], dim=-1).view(rows * k, -1),
                                         combine_wt))
    logits = torch.addmm(head_bias, attentional, head_wt).view(rows, k, -1)
    best = (logits + ban_bias.unsqueeze(1)).argmax(dim=-1)  # (b, k)
    return best, logits, alpha, hs


def _greedy_steps(
    token: torch.Tensor, h0: torch.Tensor, enc_states: torch.Tensor, keys_t: torch.Tensor,
    mask_bias: torch.Tensor, ban_bias: torch.Tensor, input_gates: torch.Tensor,
    hidden_wt: torch.Tensor, hidden_bias: torch.Tensor, combine_wt: torch.Tensor,
    combine_bias: torch.Tensor, head_wt: torch.Tensor, head_bias: torch.Tensor, max_steps: int,
    eos: int, want_attention: bool,
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
    """``_step`` repeated until a row writes ``eos`` or ``max_steps`` were taken (see
    ``GeneratorModel.decode_segment``)."""
    tokens: list[torch.Tensor] = []
    logits_seen: list[torch.Tensor] = []
    alphas: list[torch.Tensor] = []
    for _ in range(max_steps):
        logits, h0, alpha = _step(token, h0, enc_states, keys_t, mask_bias, input_gates,
                                  hidden_wt, hidden_bias, combine_wt, combine_bias, head_wt,
                                  head_bias)
        token = (logits + ban_bias).argmax(dim=-1)  # (B,)
        tokens.append(token)
        logits_seen.append(logits)
        if want_attention:
            alphas.append(alpha)
        if bool((token == eos).any()):
            break
    return tokens, logits_seen, alphas, h0


_COMPILED: dict[str, Any] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(fn: Any) -> Any:
    """``fn`` compiled by TorchScript once per process (about 0.3 s), or the Python function
    itself where TorchScript is unavailable: the same arithmetic either way.

    TorchScript is deprecated upstream in favour of ``torch.compile``, which needs a C++
    compiler at run time that a bank's machine may not have; it is present in the pinned
    torch 2.13, and if scripting fails the Python function serves (logged once)."""
    name = fn.__name__
    if name not in _COMPILED:
        with _COMPILED_LOCK:
            if name not in _COMPILED:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DeprecationWarning)  # see the docstring
                        _COMPILED[name] = torch.jit.script(fn)
                except Exception as exc:  # noqa: BLE001 - any failure to compile: the Python function serves
                    logging.getLogger("finadvisor.generator").warning(
                        "%s not compiled by TorchScript (%s); the Python function serves",
                        name, type(exc).__name__)
                    _COMPILED[name] = fn
    return _COMPILED[name]


def _greedy_steps_fn() -> Any:
    """``_greedy_steps``, compiled (``_compiled``)."""
    return _compiled(_greedy_steps)


def compile_greedy_steps() -> None:
    """Compile the greedy step loop and the draft check now (a service calls it while it
    loads, so the first customer's reply does not wait for TorchScript)."""
    _compiled(_greedy_steps)
    _compiled(_check_draft)


class GeneratorModel(GeneratorPreTrainedModel, GenerationMixin):
    """Encoder-decoder with attention whose ``generate`` comes from transformers."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__(config)
        # One embedding table for both sides: source and target share one tokenizer.
        self.shared = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id)
        self.encoder = GeneratorEncoder(config, self.shared)
        self.bridge = nn.Linear(config.hidden_size, config.decoder_layers * config.hidden_size)
        self.decoder_rnn = nn.GRU(
            config.embedding_dim, config.hidden_size, num_layers=config.decoder_layers, batch_first=True,
            dropout=config.dropout if config.decoder_layers > 1 else 0.0,
        )
        self.attention = LuongAttention(config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size)
        self._step_weights: _StepWeights | None = None
        self.post_init()

    # --- what GenerationMixin needs -------------------------------------------------------
    def get_encoder(self, modality: str | None = None) -> nn.Module:
        return self.encoder

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def set_input_embeddings(self, value: nn.Module) -> None:
        assert isinstance(value, nn.Embedding)
        self.shared = value
        self.encoder.embeddings = value

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        # Our "cache" is a GRU state tensor, not a key/value DynamicCache.
        return False

    def _reorder_cache(self, cache: torch.Tensor, beam_idx: torch.Tensor) -> torch.Tensor:
        """Beam search moved beams: pick their GRU states. cache (L, B*beams, H)."""
        return cache.index_select(1, beam_idx.to(cache.device))

    def prepare_inputs_for_generation(
        self,
        input_ids: torch.Tensor,
        cache: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        encoder_outputs: BaseModelOutput | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """With a GRU state only the last token is new; without one, feed the whole prefix."""
        decoder_input_ids = input_ids[:, -1:] if cache is not None else input_ids  # (B, 1) or (B, T)
        return {
            "decoder_input_ids": decoder_input_ids,
            "cache": cache,
            "attention_mask": attention_mask,
            "encoder_outputs": encoder_outputs,
            "use_cache": True,
            "output_attentions": kwargs.get("output_attentions", False),
        }

    # --- the model -------------------------------------------------------------------------
    def init_decoder_state(self, enc_states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Masked mean of the encoder states -> h_0 (L, B, H)."""
        m = mask.unsqueeze(-1).to(enc_states.dtype)  # (B, S, 1)
        pooled = (enc_states * m).sum(1) / m.sum(1).clamp(min=1.0)  # (B, H)
        h0 = torch.tanh(self.bridge(pooled))  # (B, L*H)
        batch = enc_states.shape[0]
        # (B, L*H) -> (B, L, H) -> (L, B, H), the layout nn.GRU expects
        return h0.view(batch, self.config.decoder_layers, self.config.hidden_size).transpose(0, 1).contiguous()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        encoder_outputs: BaseModelOutput | tuple[torch.Tensor, ...] | None = None,
        cache: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        **_: Any,
    ) -> GeneratorOutput:
        """Teacher-forced (labels) or one decoding step (cache).

        input_ids (B, S), attention_mask (B, S), decoder_input_ids (B, T), labels (B, T) with -100
        at ignored positions; returns logits (B, T, V) and the decoder state (L, B, H).
        """
        if encoder_outputs is None:
            if input_ids is None:
                raise ValueError("input_ids or encoder_outputs is required")
            encoder_outputs = self.encoder(input_ids, attention_mask=attention_mask)
        enc_states = encoder_outputs[0]  # (B, S, H)
        if attention_mask is None:
            attention_mask = torch.ones(enc_states.shape[:2], dtype=torch.long, device=enc_states.device)
        if decoder_input_ids is None:
            if labels is None:
                raise ValueError("decoder_input_ids or labels is required")
            decoder_input_ids = self.shift_right(labels)
        hidden = cache if cache is not None else self.init_decoder_state(enc_states, attention_mask)

        embedded = self.dropout(self.shared(decoder_input_ids))  # (B, T, E)
        dec_states, hidden = self.decoder_rnn(embedded, hidden)  # (B, T, H), (L, B, H)
        attentional, alpha = self.attention(dec_states, enc_states, attention_mask)  # (B,T,H), (B,T,S)
        logits = self.lm_head(self.dropout(attentional))  # (B, T, V)

        loss = None
        if labels is not None:
            # (B, T, V) -> (B*T, V) against (B*T,)
            loss = nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100
            )
        return GeneratorOutput(
            loss=loss,
            logits=logits,
            cache=hidden,
            cross_attentions=(alpha,) if output_attentions else None,
            encoder_last_hidden_state=enc_states,
        )

    def prepare_fast_decoding(
        self, enc_states: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """What every decoding step of one batch shares, computed once.

        enc_states (B, S, H), mask (B, S) -> the keys already multiplied by the attention's
        score matrix (B, S, H) (q W^T k^T = q (k W)^T), an additive mask (B, S) (0 on real
        tokens, -inf on padding) and the first decoder state h_0 (L, B, H).
        """
        scored_keys = torch.matmul(enc_states, self.attention.score.weight)  # (B, S, H) @ (H, H)
        bias = torch.zeros(mask.shape, dtype=enc_states.dtype).masked_fill(~mask.bool(), float("-inf"))
        return scored_keys, bias, self.init_decoder_state(enc_states, mask)

    def step_weights(self) -> _StepWeights:
        """The decoder's weights as ``decode_step`` reads them, made once and again only when a
        parameter changed (an optimiser step bumps its version)."""
        rnn, combine = self.decoder_rnn, self.attention.combine
        params = (self.shared.weight, rnn.weight_ih_l0, rnn.bias_ih_l0, rnn.weight_hh_l0,
                  rnn.bias_hh_l0, combine.weight, combine.bias, self.lm_head.weight, self.lm_head.bias)
        key = tuple((id(p), p._version) for p in params)
        if self._step_weights is None or self._step_weights.key != key:
            with torch.no_grad():
                self._step_weights = _StepWeights(
                    key=key,
                    # (V, E) @ (E, 3H) + (3H,): the input half of the GRU for every token at once
                    input_gates=torch.addmm(rnn.bias_ih_l0, self.shared.weight, rnn.weight_ih_l0.t()),
                    hidden_wt=rnn.weight_hh_l0.t().contiguous(), hidden_bias=rnn.bias_hh_l0.detach(),
                    combine_wt=combine.weight.t().contiguous(), combine_bias=combine.bias.detach(),
                    head_wt=self.lm_head.weight.t().contiguous(), head_bias=self.lm_head.bias.detach(),
                )
        return self._step_weights

    def decode_step(
        self, token: torch.Tensor, hidden: torch.Tensor, enc_states: torch.Tensor,
        scored_keys: torch.Tensor, mask_bias: torch.Tensor, weights: _StepWeights | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One greedy step in functional form: ``forward`` with one decoder token, without the
        module and output-object overhead that dominates a step at these sizes (eval mode,
        one decoder layer).

        The GRU cell is written out (torch's gates, r|z|n): its input half is a row lookup in
        ``step_weights().input_gates`` instead of a matrix product, and every product reads a
        weight laid out contiguously for it. Same tokens as ``forward``; values equal to float
        rounding.

        token (B,), hidden (1, B, H), enc_states and scored_keys (B, S, H), mask_bias (B, S)
        -> logits (B, V), the new hidden (1, B, H), attention alpha (B, S).
        """
        w = weights if weights is not None else self.step_weights()  # a search passes them once
        logits, h, alpha = _step(token, hidden[0], enc_states, scored_keys.transpose(1, 2),
                                 mask_bias.unsqueeze(1), w.input_gates, w.hidden_wt,
                                 w.hidden_bias, w.combine_wt, w.combine_bias, w.head_wt,
                                 w.head_bias)
        return logits, h.unsqueeze(0), alpha

    def decode_segment(
        self, token: torch.Tensor, hidden: torch.Tensor, enc_states: torch.Tensor,
        scored_keys: torch.Tensor, mask_bias: torch.Tensor, ban_bias: torch.Tensor,
        weights: _StepWeights, max_steps: int, want_attention: bool = True,
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
        """Greedy steps (``decode_step``'s arithmetic, the next token the best one after
        ``ban_bias``) until a row writes EOS or ``max_steps`` were taken, in one TorchScript loop:
        the ~35 operator calls of a step no longer go through Python one by one (about a third
        of a greedy search's time at these sizes). Same operators in the same order as the
        step, so the same tokens and values.

        token (b,), hidden (1, b, H), enc_states and scored_keys (b, S, H), mask_bias (b, S),
        ban_bias (b, V) -> per step: tokens (b,), logits (b, V), attention (b, S) (none when not
        ``want_attention``); and the hidden state after the last step (1, b, H).
        """
        steps = _greedy_steps_fn()
        tokens, logits, alphas, h = steps(
            token, hidden[0], enc_states, scored_keys.transpose(1, 2), mask_bias.unsqueeze(1),
            ban_bias, weights.input_gates, weights.hidden_wt, weights.hidden_bias,
            weights.combine_wt, weights.combine_bias, weights.head_wt, weights.head_bias,
            max_steps, int(self.config.eos_token_id), want_attention)  # type: ignore[arg-type]  # set by our config
        return tokens, logits, alphas, h.unsqueeze(0)

    def check_draft(
        self, token: torch.Tensor, draft: torch.Tensor, hidden: torch.Tensor,
        enc_states: torch.Tensor, scored_keys: torch.Tensor, mask_bias: torch.Tensor,
        ban_bias: torch.Tensor, weights: _StepWeights,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Greedy steps of b rows fed ``token`` and then a ``draft`` (b, d) of the tokens they
        may write next (``drafts.py``), in one compiled pass: the best token after each of the
        d + 1 inputs (b, d + 1) (where it equals the draft's next token, the draft was right so
        far), their logits (b, d + 1, V), attention (b, d + 1, S) and the hidden state after
        each input (b, d + 1, H). The GRU cell is ``decode_segment``'s; attention and the output
        layer run for all positions at once, so values equal the step-by-step ones to float
        rounding (logits within about 1e-5) and the tokens are the same.

        token (b,), hidden (1, b, H), enc_states and scored_keys (b, S, H), mask_bias (b, S),
        ban_bias (b, V)."""
        return _compiled(_check_draft)(  # type: ignore[no-any-return]  # a TorchScript function
            token, draft, hidden[0], enc_states, scored_keys.transpose(1, 2),
            mask_bias.unsqueeze(1), ban_bias, weights.input_gates, weights.hidden_wt,
            weights.hidden_bias, weights.combine_wt, weights.combine_bias, weights.head_wt,
            weights.head_bias)

    def shift_right(self, labels: torch.Tensor) -> torch.Tensor:
        """labels (B, T) -> decoder inputs (B, T): [start, y_1 .. y_{T-1}], -100 replaced by pad."""
        start = torch.full(
            (labels.shape[0], 1), self.config.decoder_start_token_id, dtype=labels.dtype, device=labels.device
        )
        shifted = torch.cat([start, labels[:, :-1]], dim=1)  # (B, 1) + (B, T-1) -> (B, T)
        return shifted.masked_fill(shifted == -100, self.config.pad_token_id)
