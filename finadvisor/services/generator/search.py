"""Greedy search: the generator's own step loop, scoring as it goes.

``greedy_search`` encodes once, then runs the decoder's compiled step loop
(``GeneratorModel.decode_segment``) until a row writes EOS; a finished row leaves the batch and
is handed to ``on_rows`` at once (early answers). With a draft table (drafts.py) the rows' next
tokens are drafted from earlier replies and checked in one pass (``check_draft``). A model with
a stacked decoder, or one in training, goes through its ``forward`` step by step instead.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from finadvisor.services.generator.drafts import DRAFT_ROWS, PROBE_STEPS, DraftTable
from finadvisor.services.generator.modeling import GeneratorModel

#: (batch rows, their targets (n, T), token log-probabilities (n, T), attention (n, T, S) or None)
RowsDecoded = Callable[[list[int], torch.Tensor, torch.Tensor, "torch.Tensor | None"], None]


@torch.inference_mode()
def greedy_search(
    model: GeneratorModel, src_ids: torch.Tensor, src_mask: torch.Tensor, banned: torch.Tensor,
    want_attention: bool = True, on_rows: RowsDecoded | None = None,
    drafts: DraftTable | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Greedy search that scores as it goes.

    src_ids, src_mask (B, S); banned (B, V) -> targets (B, T) (pad after EOS, as ``generate``
    writes them), the log-probability of each target token under the unmasked distribution
    (B, T) (what the teacher-forced rescoring computes) and, if asked, the attention rows
    (B, T, S). The decoder does not feed attention back into its GRU, so the step-by-step rows
    equal the teacher-forced ones.

    A row that has written EOS leaves the batch: the steps that follow run on the rows still
    writing only (a batch mixing a one-line question with a ~100-token summary costs the
    summary's steps at one row, not at the batch's width). The tokens are those of a search
    that keeps every row to the end; log-probabilities and attention differ from it by float
    rounding only (a smaller matrix product). Positions after a row's EOS hold pad, a
    log-probability of 0 and zero attention; callers read up to the EOS.

    ``on_rows(rows, targets, tok_logp, alphas)`` is called each time rows are complete (EOS
    written, or the length limit reached) with their batch indices and their (n, T') slices.

    With ``drafts`` (drafts.py), the rows' next tokens are drafted from earlier replies and
    checked in one pass where every row has a draft, and the complete replies are learnt:
    the same tokens, values equal to float rounding.
    """
    cfg = model.config
    if cfg.decoder_layers != 1 or model.training:
        found = _greedy_layers(model, src_ids, src_mask, banned, want_attention)
        if on_rows is not None:
            on_rows(list(range(int(src_ids.shape[0]))), *found)
        return found
    eos, pad = int(cfg.eos_token_id), int(cfg.pad_token_id)  # type: ignore[arg-type]  # set by our config
    batch, src_len = src_ids.shape
    enc_states = model.encoder(src_ids, attention_mask=src_mask)[0]  # (B, S, H)
    scored_keys, mask_bias, hidden = model.prepare_fast_decoding(enc_states, src_mask)
    weights = model.step_weights()  # checked once per search, not once per step
    ban_bias = torch.zeros(banned.shape).masked_fill(banned, float("-inf"))  # (B, V)
    start = int(cfg.decoder_start_token_id)  # type: ignore[arg-type]  # set by our config
    token = torch.full((batch,), start, dtype=torch.long)  # (B,)
    limit = cfg.max_target_length
    targets = torch.full((batch, limit), pad, dtype=torch.long)  # (B, T)
    tok_logp = torch.zeros((batch, limit))  # (B, T)
    alphas = torch.zeros((batch, limit, src_len)) if want_attention else None  # (B, T, S)
    alive = torch.arange(batch)  # (b,) the batch row of each row still writing
    # One segment: the steps since the set of rows last changed, written out in one go.
    seg_start = 0
    seg_tokens: list[torch.Tensor] = []
    seg_logits: list[torch.Tensor] = []
    seg_alpha: list[torch.Tensor] = []

    def complete(rows: torch.Tensor, end: int) -> None:
        if drafts is not None:
            for row in targets[rows, :end].tolist():
                drafts.learn([start, *row])
        if on_rows is not None and rows.numel():
            on_rows(rows.tolist(), targets[rows, :end], tok_logp[rows, :end],
                    alphas[rows, :end] if alphas is not None else None)

    def flush(end: int) -> None:
        if not seg_tokens:
            return
        toks = torch.stack(seg_tokens, dim=1)  # t x (b,) -> (b, t)
        logits = torch.stack(seg_logits, dim=1)  # t x (b, V) -> (b, t, V)
        logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, toks.unsqueeze(-1))  # (b, t, 1)
        targets[alive, seg_start:end] = toks
        tok_logp[alive, seg_start:end] = logp.squeeze(-1)
        if alphas is not None:
            alphas[alive, seg_start:end] = torch.stack(seg_alpha, dim=1)  # (b, t, S)
        seg_tokens.clear()
        seg_logits.clear()
        seg_alpha.clear()

    used = 0
    # each row's tokens so far (start token first), to draft from
    written = [[start] for _ in range(batch)] if drafts is not None else None
    while used < limit:
        draft = None
        drafting = written is not None and len(written) <= DRAFT_ROWS
        if drafts is not None and written is not None and drafting:
            draft = drafts.batch_draft(written, limit - used - 1)
        if drafts is not None and draft is not None:
            # What the rows write next, drafted and checked in one pass; every row keeps the
            # tokens up to the first one that any row's model would not have written there,
            # and the model's own token at that place.
            best, logits_k, alpha_k, states = model.check_draft(
                token, torch.tensor(draft), hidden, enc_states, scored_keys, mask_bias, ban_bias,
                weights)  # (b, d+1), (b, d+1, V), (b, d+1, S), (b, d+1, H)
            n = drafts.agreed(best.tolist(), draft, eos)
            toks = list(best[:, :n].unbind(1))  # n x (b,)
            logits_seen = list(logits_k[:, :n].unbind(1))  # n x (b, V)
            alpha_seen = list(alpha_k[:, :n].unbind(1)) if want_attention else []
            hidden = states[:, n - 1].unsqueeze(0)  # (1, b, H)
        else:
            # Steps until a row writes EOS (or the limit), in one compiled loop; while drafting,
            # a few steps at a time (one at a reply's start), looking for a draft in between.
            toks, logits_seen, alpha_seen, hidden = model.decode_segment(
                token, hidden, enc_states, scored_keys, mask_bias, ban_bias, weights,
                min(limit - used, PROBE_STEPS if used else 1) if drafting else limit - used,
                want_attention)  # t x (b,), t x (b, V), t x (b, S), (1, b, H)
        if written is not None:
            for row, new in zip(written, torch.stack(toks, dim=1).tolist()):
                row.extend(new)
        seg_tokens.extend(toks)
        seg_logits.extend(logits_seen)
        seg_alpha.extend(alpha_seen)
        used += len(toks)
        nxt = toks[-1]  # (b,)
        finished = nxt == eos  # (b,)
        if bool(finished.any()):
            flush(used)
            seg_start = used
            complete(alive[finished], used)
            keep = (~finished).nonzero().squeeze(1)  # (b',)
            if keep.numel() == 0:
                alive = keep
                break
            alive, nxt = alive[keep], nxt[keep]
            hidden, enc_states = hidden[:, keep], enc_states[keep]
            scored_keys, mask_bias, ban_bias = scored_keys[keep], mask_bias[keep], ban_bias[keep]
            if written is not None:
                written = [written[i] for i in keep.tolist()]
        token = nxt
    flush(used)
    complete(alive, used)  # rows that reached the length limit without EOS
    return (targets[:, :used], tok_logp[:, :used],
            alphas[:, :used] if alphas is not None else None)



def _greedy_layers(
    model: GeneratorModel, src_ids: torch.Tensor, src_mask: torch.Tensor, banned: torch.Tensor,
    want_attention: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """``greedy_search`` through the model's forward (a stacked decoder, or a model in
    training)."""
    cfg = model.config
    eos, pad = int(cfg.eos_token_id), int(cfg.pad_token_id)  # type: ignore[arg-type]  # set by our config
    batch = src_ids.shape[0]
    encoder_outputs = model.encoder(src_ids, attention_mask=src_mask)  # (B, S, H)
    token = torch.full((batch, 1), int(cfg.decoder_start_token_id), dtype=torch.long)  # (B, 1)
    cache: torch.Tensor | None = None  # GRU state (L, B, H) after the first step
    done = torch.zeros(batch, dtype=torch.bool)  # (B,)
    ban_bias = torch.zeros(banned.shape).masked_fill(banned, float("-inf"))  # (B, V)
    steps: list[torch.Tensor] = []
    logps: list[torch.Tensor] = []
    rows: list[torch.Tensor] = []
    for _ in range(cfg.max_target_length):
        out = model(encoder_outputs=encoder_outputs, attention_mask=src_mask,
                         decoder_input_ids=token, cache=cache,
                         output_attentions=want_attention)
        cache = out.cache
        logits = out.logits[:, -1, :].float()  # (B, V)
        if want_attention and out.cross_attentions is not None:
            rows.append(out.cross_attentions[0])  # (B, 1, S)
        nxt = (logits + ban_bias).argmax(dim=-1)  # (B,)
        nxt = nxt.masked_fill(done, pad)  # finished rows pad, as generate does
        logp = torch.log_softmax(logits, dim=-1).gather(-1, nxt.unsqueeze(-1))  # (B, 1)
        steps.append(nxt)
        logps.append(logp)
        done = done | (nxt == eos)
        if bool(done.all()):
            break
        token = nxt.unsqueeze(-1)  # (B, 1)
    targets = torch.stack(steps, dim=1)  # T x (B,) -> (B, T)
    tok_logp = torch.cat(logps, dim=1)  # T x (B, 1) -> (B, T)
    alphas = torch.cat(rows, dim=1) if rows else None  # T x (B, 1, S) -> (B, T, S)
    return targets, tok_logp, alphas

