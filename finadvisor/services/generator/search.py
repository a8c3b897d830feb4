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


#: (batch rows, their targets (n, T), token log-probabilities (n, T), attention (n, T, S) or None)
Completed = tuple[list[int], torch.Tensor, torch.Tensor, "torch.Tensor | None"]


class GreedyRows:
    """A batch of rows decoded greedily, a segment at a time; rows leave as they complete.

    The constructor encodes the batch; each ``step()`` runs one segment on the rows still
    writing (a compiled run of steps until a row writes EOS, or one drafted check) and returns
    the rows it completed (EOS written, or the length limit reached). With drafts, each row
    keeps what its own draft got right: rows advance by different counts, so one row's wrong
    draft does not cut the others' short. The steps' tokens, log-probabilities (under the
    unmasked distribution, what the teacher-forced rescoring computes) and attention rows go
    into the batch's output tensors, each row from its own position (pad after a row's end),
    whenever rows leave or a draft is checked.
    """

    @torch.inference_mode()
    def __init__(self, model: GeneratorModel, src_ids: torch.Tensor, src_mask: torch.Tensor,
                 banned: torch.Tensor, want_attention: bool = True,
                 drafts: DraftTable | None = None) -> None:
        """src_ids, src_mask (B, S); banned (B, V): the tokens row b may not write."""
        cfg = model.config
        self.model = model
        self.want_attention = want_attention
        self.drafts = drafts
        self.eos = int(cfg.eos_token_id)  # type: ignore[arg-type]  # set by our config
        self.pad = int(cfg.pad_token_id)  # type: ignore[arg-type]  # set by our config
        start = int(cfg.decoder_start_token_id)  # type: ignore[arg-type]  # set by our config
        self.limit = int(cfg.max_target_length)
        self.weights = model.step_weights()  # checked once per search, not once per step
        batch = int(src_ids.shape[0])
        self.enc_states = model.encoder(src_ids, attention_mask=src_mask)[0]  # (B, S, H)
        self.scored_keys, self.mask_bias, self.hidden = model.prepare_fast_decoding(
            self.enc_states, src_mask)  # (B, S, H), (B, S), (1, B, H)
        self.ban_bias = torch.zeros(banned.shape).masked_fill(banned, float("-inf"))  # (B, V)
        self.token = torch.full((batch,), start, dtype=torch.long)  # (B,)
        self.rows = list(range(batch))  # the batch row of each row still writing
        self.used = [0] * batch  # tokens each row has written
        self.length = 0  # the longest reply written so far
        # each row's tokens so far (start token first), to draft from
        self.written: list[list[int]] = [[start] for _ in range(batch)]
        # what the rows wrote, by batch row: pad after a row's end, as ``generate`` writes it
        self.targets = torch.full((batch, self.limit), self.pad, dtype=torch.long)  # (B, T)
        self.tok_logp = torch.zeros((batch, self.limit))  # (B, T)
        self.alphas = torch.zeros((batch, self.limit, src_ids.shape[1])) \
            if want_attention else None  # (B, T, S)
        # the steps all rows took together since they were last written out
        self.seg_tokens: list[torch.Tensor] = []
        self.seg_logits: list[torch.Tensor] = []
        self.seg_alpha: list[torch.Tensor] = []

    @property
    def active(self) -> int:
        """Rows still writing."""
        return len(self.rows)

    @torch.inference_mode()
    def step(self) -> list[Completed]:
        """One segment on every row; the rows it completed (none, or one group)."""
        if not self.rows:
            return []
        room = self.limit - max(self.used)  # steps until the first row reaches the limit
        drafting = self.drafts is not None and len(self.rows) <= DRAFT_ROWS
        draft = self.drafts.batch_draft(self.written, room - 1) if self.drafts is not None and \
            drafting else None  # cut so that no row passes the length limit
        if draft is not None:
            self._checked(*draft)
        else:
            # Steps until a row writes EOS (or the limit), in one compiled loop; while drafting,
            # a few steps at a time (one at a reply's start), looking for a draft in between.
            steps = min(room, PROBE_STEPS if min(self.used) else 1) if drafting else room
            toks, logits_seen, alpha_seen, self.hidden = self.model.decode_segment(
                self.token, self.hidden, self.enc_states, self.scored_keys, self.mask_bias,
                self.ban_bias, self.weights, steps, self.want_attention)  # t x (b,), t x (b, V), t x (b, S), (1, b, H)
            if self.drafts is not None:
                for row, new in zip(self.written, torch.stack(toks, dim=1).tolist()):
                    row.extend(new)
            self.seg_tokens.extend(toks)
            self.seg_logits.extend(logits_seen)
            self.seg_alpha.extend(alpha_seen)
            self.used = [u + len(toks) for u in self.used]
            self.token = toks[-1]  # (b,)
        finished = (self.token == self.eos) | (torch.tensor(self.used) >= self.limit)  # (b,)
        if not bool(finished.any()):
            return []
        self._flush()
        done = finished.nonzero().squeeze(1).tolist()
        completed = self._completed(done)
        keep = (~finished).nonzero().squeeze(1)  # (b',)
        self.token, self.hidden = self.token[keep], self.hidden[:, keep]
        self.enc_states, self.scored_keys = self.enc_states[keep], self.scored_keys[keep]
        self.mask_bias, self.ban_bias = self.mask_bias[keep], self.ban_bias[keep]
        kept = keep.tolist()
        self.rows = [self.rows[i] for i in kept]
        self.used = [self.used[i] for i in kept]
        self.written = [self.written[i] for i in kept]
        return [completed]

    def _checked(self, draft: list[list[int]], lengths: list[int]) -> None:
        """What the rows write next, drafted and checked in one pass: each row keeps its tokens
        up to the first one its model would not have written there, and the model's own token
        at that place (rows advance by different counts)."""
        self._flush()  # the steps before come first
        best, logits_k, alpha_k, states = self.model.check_draft(
            self.token, torch.tensor(draft), self.hidden, self.enc_states, self.scored_keys,
            self.mask_bias, self.ban_bias, self.weights)  # (b, d+1), (b, d+1, V), (b, d+1, S), (b, d+1, H)
        best_rows = best.tolist()
        kept = self.drafts.kept(best_rows, draft, lengths, self.eos)  # type: ignore[union-attr]  # drafting
        logp = torch.log_softmax(logits_k.float(), dim=-1).gather(-1, best.unsqueeze(-1)).squeeze(-1)  # (b, d+1)
        counts = torch.tensor(kept)  # (b,)
        self._write(self.used, torch.arange(best.shape[1]) < counts.unsqueeze(1), best, logp,
                    alpha_k if self.want_attention else None)
        last = counts - 1  # (b,) each row's last kept position
        rows = torch.arange(len(kept))
        self.hidden = states[rows, last].unsqueeze(0)  # (1, b, H)
        self.token = best[rows, last]  # (b,)
        for i, k in enumerate(kept):
            self.written[i].extend(best_rows[i][:k])
            self.used[i] += k

    def _flush(self) -> None:
        """Write the steps all rows took together out (each row from where it was)."""
        if not self.seg_tokens:
            return
        steps = len(self.seg_tokens)
        toks = torch.stack(self.seg_tokens, dim=1)  # t x (b,) -> (b, t)
        logits = torch.stack(self.seg_logits, dim=1)  # t x (b, V) -> (b, t, V)
        logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, toks.unsqueeze(-1)).squeeze(-1)  # (b, t)
        self._write([u - steps for u in self.used],  # where each row was when they started
                    torch.ones(toks.shape, dtype=torch.bool), toks, logp,
                    torch.stack(self.seg_alpha, dim=1) if self.want_attention else None)  # (b, t, S)
        self.seg_tokens.clear()
        self.seg_logits.clear()
        self.seg_alpha.clear()

    def _write(self, start: list[int], keep: torch.Tensor, toks: torch.Tensor,
               logp: torch.Tensor, alphas: torch.Tensor | None) -> None:
        """Write the positions ``keep`` (b, t) of toks, logp (b, t) and alphas (b, t, S), row i
        from its position ``start[i]`` on, in one indexed assignment per tensor."""
        at = torch.tensor(start).unsqueeze(1) + torch.arange(toks.shape[1])  # (b, t)
        rows = torch.tensor(self.rows).unsqueeze(1).expand(toks.shape)  # (b, t)
        where = (rows[keep], at[keep])  # (n,), (n,)
        self.targets[where] = toks[keep]
        self.tok_logp[where] = logp[keep]
        if self.alphas is not None and alphas is not None:
            self.alphas[where] = alphas[keep]  # (n, S)
        if bool(keep.any()):
            self.length = max(self.length, int(at[keep].max()) + 1)

    def _completed(self, rows: list[int]) -> Completed:
        """The replies of ``rows`` (indices among the rows writing) as (n, T) tensors, pad after
        each row's end."""
        if self.drafts is not None:
            for i in rows:
                self.drafts.learn(self.written[i])
        batch_rows = [self.rows[i] for i in rows]
        end = max(self.used[i] for i in rows)
        return (batch_rows, self.targets[batch_rows, :end], self.tok_logp[batch_rows, :end],
                self.alphas[batch_rows, :end] if self.alphas is not None else None)

    def result(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Every row's reply so far: targets, tok_logp (B, T); alphas (B, T, S) or None."""
        return (self.targets[:, : self.length], self.tok_logp[:, : self.length],
                self.alphas[:, : self.length] if self.alphas is not None else None)


@torch.inference_mode()
def greedy_search(
    model: GeneratorModel, src_ids: torch.Tensor, src_mask: torch.Tensor, banned: torch.Tensor,
    want_attention: bool = True, on_rows: RowsDecoded | None = None,
    drafts: DraftTable | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Greedy search that scores as it goes: one batch of rows through ``GreedyRows``.

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
    checked in one pass where some row has a draft (each row keeps what its own draft got
    right), and the complete replies are learnt: the same tokens, values equal to float
    rounding.
    """
    cfg = model.config
    if cfg.decoder_layers != 1 or model.training:
        found = _greedy_layers(model, src_ids, src_mask, banned, want_attention)
        if on_rows is not None:
            on_rows(list(range(int(src_ids.shape[0]))), *found)
        return found
    rows = GreedyRows(model, src_ids, src_mask, banned, want_attention, drafts)
    while rows.active:
        for found in rows.step():
            if on_rows is not None:
                on_rows(*found)
    return rows.result()


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

