"""The generator engine: load a model folder, decode batches of requests, guard what comes out.

One request goes: validate -> serialise (inputs.py) -> dynamic batch (batching.py) -> search
-> lexicalisation from the state -> compliance guard (policy.py). Beam search (n-best) is
transformers ``generate`` followed by a rescoring of every hypothesis in one teacher-forced pass
(a length-normalised log-probability per hypothesis, and the attention rows of the chosen one).
Greedy search, what every plain turn asks for, is our own step loop that keeps the score and
the attention rows as it goes: one encoder pass instead of two and no per-step framework
overhead, with the same tokens as ``generate`` (checked by a test).

A request with acts (the dialogue manager's) is filled from the acts' arguments and checked for
faithfulness (``finadvisor.dialogue.guard``: every act said, no question that is not an act, no
figure that is not an argument) and compliance; an unfaithful greedy reply is replaced by the
best faithful hypothesis of a beam search (``fallback_reason`` "nbest:<why>"), else by the
template realisation of the acts (``fallback``, "template:<why>"). A request without acts keeps
the first model's guard: the policy's safe template replaces a reply with a placeholder the
state cannot fill, a figure the decoder wrote itself, a blocked phrase, or a low score.

This module imports no grpc: the servicer maps GenerateRequest/GenerateResponse onto
``GenerationInput``/``GenerationOutput``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import torch
from transformers import (
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
    PreTrainedTokenizerFast,
)
from transformers.utils import logging as hf_logging

from finadvisor.dialogue import guard
from finadvisor.dialogue.realise import fill as fill_from_acts
from finadvisor.dialogue.realise import realise as realise_acts
from finadvisor.services.generator.drafts import DRAFT_TOKENS, DraftTable
from finadvisor.services.generator.inputs import GenerationInput, build_source, validate
from finadvisor.services.generator.lexicalize import lexicalize
from finadvisor.services.generator.modeling import GeneratorModel, compile_greedy_steps
from finadvisor.services.generator.policy import CompliancePolicy
from finadvisor.services.generator.search import RowsDecoded, greedy_search
from finadvisor.services.generator.tokenization import (
    PLACEHOLDER_TOKENS,
    display_tokens,
    load_tokenizer,
)
from finadvisor.shared.artifacts import verify_manifest
from finadvisor.shared.batching import DynamicBatcher
from finadvisor.shared.errors import ModelNotReadyError

MAX_BEAMS = 8
#: Beam width of the second search for a faithful alternative when the greedy reply is not.
RESCUE_BEAMS = 4
#: Acts whose reply runs to ~100 tokens: a beam search over that costs more than the turn can
#: spare (every batch-mate waits for it), so their unfaithful replies go straight to the
#: template realisation, which says the same.
LONG_ACTS = frozenset({"confirm", "inform_decision"})


class Alternative(NamedTuple):
    """An n-best reply, filled from the state, with its length-normalised log-probability."""

    reply: str
    score: float


@dataclass(frozen=True)
class AttentionMap:
    """rows[i][j]: attention of output token i on input token j; each row sums to 1."""

    input_tokens: list[str]
    output_tokens: list[str]
    rows: list[list[float]]


@dataclass(frozen=True)
class GenerationOutput:
    reply: str  # what the customer reads (disclaimers appended when the policy says so)
    delexicalized: str  # the decoded reply with [slot] placeholders ("" on some fallbacks)
    alternatives: list[Alternative] = field(default_factory=list)  # best first
    attention: AttentionMap | None = None
    fallback: bool = False
    fallback_reason: str = ""
    disclaimers: list[str] = field(default_factory=list)
    model_version: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class Hypothesis:
    """One decoded sequence before lexicalisation."""

    delex: str
    score: float
    token_ids: list[int]


#: (rows of the request list, their n-best, their attention maps), for rows that are complete
RowsDone = Callable[[list[int], "list[list[Hypothesis]]", "list[AttentionMap | None]"], None]


class PlaceholderMask(LogitsProcessor):
    """Constrained decoding: a placeholder the request's state cannot fill is never emitted.

    The state is known before decoding, so instead of decoding "[monthly_income]" for a customer
    who never gave an income and then falling back, the search simply cannot take that token and
    continues with the best reply the state supports. ``banned`` is (B, V) bool, one row per
    request; ``generate`` calls us with (B * num_beams, V) scores, beams of a request adjacent.
    """

    def __init__(self, banned: torch.Tensor) -> None:
        self.banned = banned  # (B, V)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        reps = scores.shape[0] // self.banned.shape[0]
        banned = self.banned.repeat_interleave(reps, dim=0).to(scores.device)  # (B*beams, V)
        return scores.masked_fill(banned, float("-inf"))


class GeneratorEngine:
    """A loaded generator plus its dynamic batcher and compliance policy."""

    def __init__(
        self,
        model: GeneratorModel,
        tokenizer: PreTrainedTokenizerFast,
        policy: CompliancePolicy | None = None,
        model_version: str = "",
        max_batch_size: int = 16,
        max_wait_ms: float = 0.0,
        max_queue: int = 1024,
        workers: int = 1,
        draft_tokens: int = DRAFT_TOKENS,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.policy = policy or CompliancePolicy.load()
        self.model_version = model_version
        self.decode_calls = 0  # model.generate calls (one per batch group)
        self._stats_lock = threading.Lock()
        self._token_text: dict[int, str] = {}  # display form of each token id (heatmap labels)
        # greedy replies already written, to draft the next ones from (0 draft tokens: off)
        self.drafts = DraftTable(draft_tokens) if draft_tokens > 0 else None
        # At most `workers` decodes at once (the batcher's threads, or synchronous callers).
        self._lock = threading.BoundedSemaphore(workers)
        self._batcher: DynamicBatcher[GenerationInput, GenerationOutput] = DynamicBatcher(
            self.generate_batch, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms, max_queue=max_queue,
            workers=workers, early_answers=True,
        )

    @classmethod
    def load(
        cls,
        folder: Path,
        policy_path: Path | None = None,
        max_batch_size: int = 16,
        max_wait_ms: float = 0.0,
        max_queue: int = 1024,
        workers: int = 1,
        draft_tokens: int = DRAFT_TOKENS,
    ) -> GeneratorEngine:
        """Load a model folder written by training.py, after checking its sha256 manifest."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ModelNotReadyError(f"no generator model at {folder}; run `finadvisor train`")
        manifest = verify_manifest(folder)
        hf_logging.disable_progress_bar()
        tokenizer = load_tokenizer(folder)
        model = GeneratorModel.from_pretrained(str(folder), local_files_only=True, use_safetensors=True)
        compile_greedy_steps()
        return cls(
            model, tokenizer, CompliancePolicy.load(policy_path), str(manifest.get("version", "")),
            max_batch_size=max_batch_size, max_wait_ms=max_wait_ms, max_queue=max_queue, workers=workers,
            draft_tokens=draft_tokens,
        )

    @property
    def batcher_stats(self) -> dict[str, int]:
        s = self._batcher.stats
        return {"batches": s.batches, "items": s.items, "largest_batch": s.largest_batch,
                "decode_calls": self.decode_calls,
                **(self.drafts.stats if self.drafts is not None else {})}

    def on_batch(self, callback: Callable[[int], None]) -> None:
        """Call ``callback(size)`` for every batch the batcher decodes (metrics)."""
        self._batcher.on_batch = callback

    def close(self) -> None:
        self._batcher.close()

    async def generate(self, req: GenerationInput) -> GenerationOutput:
        """Generate one reply; concurrent calls within max_wait_ms share one decoding batch."""
        validate(req, MAX_BEAMS)  # reject here, so a bad request cannot fail its batch-mates
        return await self._batcher.submit(req)

    # --- synchronous core (the batcher's worker thread; evaluation) ----------------------------
    def generate_batch(self, reqs: list[GenerationInput],
                       answer: Callable[[int, GenerationOutput], None] | None = None,
                       ) -> list[GenerationOutput]:
        """Decode many requests; those with the same beam settings go through one generate call.

        ``answer(i, output)``, when given, is called with each request's final output as soon as
        it is known (a greedy row once it has written EOS, unless it goes on to a rescue search),
        before the batch's other rows are done; the returned list holds every output either way.
        """
        for r in reqs:
            validate(r, MAX_BEAMS)
        reqs = [self._model_context(r) for r in reqs]
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, r in enumerate(reqs):
            groups[(r.num_beams, r.n_best)].append(i)
        outputs: list[GenerationOutput | None] = [None] * len(reqs)
        rescue: list[int] = []
        with self._lock, torch.inference_mode():
            for (num_beams, n_best), idx in groups.items():
                def done(rows: list[int], hyps: list[list[Hypothesis]],
                         attention: list[AttentionMap | None], idx: list[int] = idx,
                         num_beams: int = num_beams) -> None:
                    for j, h, a in zip(rows, hyps, attention):
                        i = idx[j]
                        out = self._finish(reqs[i], h, a)
                        outputs[i] = out
                        if out.fallback and reqs[i].acts and num_beams < RESCUE_BEAMS and \
                                not any(x.name in LONG_ACTS for x in reqs[i].acts):
                            rescue.append(i)
                        elif answer is not None:
                            answer(i, out)

                self._decode([reqs[i] for i in idx], num_beams, n_best, on_done=done)
            if rescue:  # unfaithful greedy replies: look for a faithful one in a beam's n-best
                group = [dataclasses.replace(reqs[i], num_beams=RESCUE_BEAMS, n_best=RESCUE_BEAMS)
                         for i in rescue]
                hyps, _ = self._decode(group, RESCUE_BEAMS, RESCUE_BEAMS, want_attention=False)
                for j, i in enumerate(rescue):
                    first = outputs[i]
                    assert first is not None
                    outputs[i] = self._finish(reqs[i], hyps[j], first.attention,
                                              first_reason=first.fallback_reason.split(":", 1)[-1])
        return [o for o in outputs if o is not None]

    def _model_context(self, req: GenerationInput) -> GenerationInput:
        """The request with its advisor turns as the model wrote them: the policy's disclaimers,
        appended for the customer, are not what the model was trained to read."""
        context = [(speaker, self.policy.without_disclaimers(text) if speaker == "advisor" else text)
                   for speaker, text in req.context]
        if context == list(req.context):
            return req
        return dataclasses.replace(req, context=context)

    def decode_delex(self, reqs: list[GenerationInput], num_beams: int = 1) -> list[Hypothesis]:
        """Best delexicalised hypothesis per request, without guard or lexicalisation (for evaluation)."""
        with self._lock, torch.inference_mode():
            hyps, _ = self._decode(reqs, num_beams, 1, want_attention=False)
        return [h[0] for h in hyps]

    def _banned_placeholders(self, reqs: list[GenerationInput]) -> torch.Tensor:
        """(B, V) True where token v is a placeholder that request b's state cannot fill."""
        vocab = len(self.tokenizer)
        banned = torch.zeros((len(reqs), vocab), dtype=torch.bool)
        unk = self.tokenizer.unk_token_id
        ids = {tok[1:-1]: int(self.tokenizer.convert_tokens_to_ids(tok)) for tok in PLACEHOLDER_TOKENS}  # type: ignore[arg-type]  # one token in, one id out
        ids = {name: tid for name, tid in ids.items() if tid != unk}
        for b, req in enumerate(reqs):
            values = req.fill_values()
            for slot, tid in ids.items():
                if slot not in values and 0 <= tid < vocab:
                    banned[b, tid] = True
        return banned[:, : self.model.config.vocab_size]

    @torch.inference_mode()
    def _decode(
        self, reqs: list[GenerationInput], num_beams: int, n_best: int, want_attention: bool = True,
        on_done: RowsDone | None = None,
    ) -> tuple[list[list[Hypothesis]], list[AttentionMap | None]]:
        """n-best and attention per request; ``on_done(rows, hyps, attention)`` is told of rows
        as they are complete (a greedy search: each time rows write EOS; a beam search: at the
        end)."""
        cfg = self.model.config
        enc = self.tokenizer(
            [build_source(r) for r in reqs], padding=True, truncation=True,
            max_length=cfg.max_source_length, return_tensors="pt",
        )
        src_ids, src_mask = enc["input_ids"], enc["attention_mask"]  # (B, S), (B, S)
        banned = self._banned_placeholders(reqs)  # (B, V)
        if num_beams == 1 and n_best == 1:
            hyps: list[list[Hypothesis]] = [[] for _ in reqs]
            maps: list[AttentionMap | None] = [None] * len(reqs)

            def rows_done(rows: list[int], targets: torch.Tensor, tok_logp: torch.Tensor,
                          alphas: torch.Tensor | None) -> None:
                h, a = self._hypotheses([reqs[r] for r in rows], src_ids[rows], src_mask[rows],
                                        targets, tok_logp, 1, alphas)
                for r, hr, ar in zip(rows, h, a):
                    hyps[r], maps[r] = hr, ar
                if on_done is not None:
                    on_done(rows, h, a)

            self.greedy(src_ids, src_mask, banned, want_attention, on_rows=rows_done)
            return hyps, maps
        gen_cfg = GenerationConfig(
            max_new_tokens=cfg.max_target_length, num_beams=num_beams, num_return_sequences=n_best,
            do_sample=False, early_stopping=num_beams > 1, length_penalty=1.0,
            pad_token_id=cfg.pad_token_id, eos_token_id=cfg.eos_token_id,
            bos_token_id=cfg.bos_token_id, decoder_start_token_id=cfg.decoder_start_token_id,
        )
        seqs = self.model.generate(
            input_ids=src_ids, attention_mask=src_mask, generation_config=gen_cfg,
            logits_processor=LogitsProcessorList([PlaceholderMask(banned)]),
        )
        with self._stats_lock:
            self.decode_calls += 1
        # seqs (B*n, 1+T): decoder start token, then the generated tokens (pad after EOS).
        n = n_best
        rep_ids = src_ids.repeat_interleave(n, dim=0)  # (B*n, S)
        rep_mask = src_mask.repeat_interleave(n, dim=0)  # (B*n, S)
        dec_in, targets = seqs[:, :-1], seqs[:, 1:]  # (B*n, T) each
        out = self.model(
            input_ids=rep_ids, attention_mask=rep_mask, decoder_input_ids=dec_in, output_attentions=want_attention
        )
        logp = torch.log_softmax(out.logits.float(), dim=-1)  # (B*n, T, V)
        tok_logp = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # (B*n, T)
        alphas = out.cross_attentions[0] if want_attention and out.cross_attentions else None
        found = self._hypotheses(reqs, src_ids, src_mask, targets, tok_logp, n, alphas)
        if on_done is not None:
            on_done(list(range(len(reqs))), *found)
        return found

    def greedy(
        self, src_ids: torch.Tensor, src_mask: torch.Tensor, banned: torch.Tensor, want_attention: bool = True,
        on_rows: RowsDecoded | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``search.greedy_search`` with this engine's model and drafts (see there)."""
        with self._stats_lock:  # counted before any row is answered (early answers)
            self.decode_calls += 1
        return greedy_search(self.model, src_ids, src_mask, banned, want_attention, on_rows,
                             self.drafts)

    def _hypotheses(
        self, reqs: list[GenerationInput], src_ids: torch.Tensor, src_mask: torch.Tensor,
        targets: torch.Tensor, tok_logp: torch.Tensor, n: int, alphas: torch.Tensor | None,
    ) -> tuple[list[list[Hypothesis]], list[AttentionMap | None]]:
        """targets, tok_logp (B*n, T); alphas (B*n, T, S) or None -> n-best and attention per request."""
        cfg = self.model.config
        is_eos = targets == cfg.eos_token_id  # (B*n, T)
        # Valid = every token up to and including the first EOS.
        valid = (is_eos.long().cumsum(dim=1) - is_eos.long()) == 0  # (B*n, T)
        scores = (tok_logp * valid).sum(dim=1) / valid.sum(dim=1).clamp(min=1)  # (B*n,)

        keep = (valid & ~is_eos).tolist()  # (B*n, T) as lists: one conversion, not per element
        target_rows, score_list = targets.tolist(), scores.tolist()
        hyps: list[list[Hypothesis]] = []
        attention: list[AttentionMap | None] = []
        for b, req in enumerate(reqs):
            cands = []
            for k in range(n):
                row = b * n + k
                ids = [t for t, kept in zip(target_rows[row], keep[row]) if kept]
                text = str(self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False))
                cands.append((Hypothesis(text.strip(), float(score_list[row]), ids), row))
            cands.sort(key=lambda c: c[0].score, reverse=True)  # n-best, best first
            hyps.append([c[0] for c in cands])
            best_row = cands[0][1]
            if req.return_attention and alphas is not None:
                src_len = int(src_mask[b].sum())
                out_len = len(cands[0][0].token_ids)
                # (T, S) -> the rows of real output tokens over the real input tokens
                alpha = alphas[best_row, :out_len, :src_len]
                attention.append(AttentionMap(
                    input_tokens=display_tokens(self.tokenizer, src_ids[b, :src_len].tolist(), self._token_text),
                    output_tokens=display_tokens(self.tokenizer, cands[0][0].token_ids, self._token_text),
                    rows=alpha.float().tolist(),  # (T, S) in one call, not per element
                ))
            else:
                attention.append(None)
        return hyps, attention

    def _finish(self, req: GenerationInput, hyps: list[Hypothesis], attention: AttentionMap | None,
                first_reason: str = "") -> GenerationOutput:
        """Lexicalise and guard; the top hypothesis decides, alternatives only list safe replies."""
        if req.acts:
            return self._finish_acts(req, hyps, attention, first_reason)
        values = req.fill_values()
        credit_decision = req.credit.decision if req.credit is not None else ""
        disclaimers = self.policy.disclaimers(req.intent, credit_decision)

        def check(h: Hypothesis) -> tuple[str, str]:
            lex = lexicalize(h.delex, values)
            if not h.delex:
                return lex.text, "empty_reply"
            if lex.missing:
                return lex.text, "unfillable_placeholder:" + ",".join(sorted(set(lex.missing)))
            if self.policy.unpublished_figures(h.delex):
                return lex.text, "decoder_number"
            broken = self.policy.violations(lex.text)
            if broken:
                return lex.text, "blocked:" + ",".join(broken)
            if h.score < self.policy.min_score:
                return lex.text, "low_score"
            return lex.text, ""

        checked = [(h, *check(h)) for h in hyps]
        alternatives = [Alternative(text, h.score) for h, text, reason in checked if not reason]
        best, best_text, reason = checked[0]
        if reason:
            reply = self.policy.fallback_reply(req.intent)
        else:
            reply = best_text
        return GenerationOutput(
            reply=self.policy.with_disclaimers(reply, disclaimers),
            delexicalized=best.delex,
            alternatives=alternatives,
            attention=attention,
            fallback=bool(reason),
            fallback_reason=reason,
            disclaimers=disclaimers,
            model_version=self.model_version,
            score=best.score,
        )

    def _finish_acts(self, req: GenerationInput, hyps: list[Hypothesis],
                     attention: AttentionMap | None, first_reason: str = "") -> GenerationOutput:
        """Fill from the acts, check faithfulness and compliance; the first faithful hypothesis
        wins (``first_reason``: why the greedy reply was not, when these are a rescue search's),
        else the template realisation of the acts."""
        told_decision = next((a.get("decision") for a in req.acts if a.name == "inform_decision"), "")
        quoted = next((a.get("product") for a in req.acts if a.name == "answer_rate"), "")
        disclaimers = self.policy.disclaimers(req.intent, told_decision, quoted)

        def check(h: Hypothesis) -> tuple[str, str]:
            if not h.delex:
                return "", "empty_reply"
            text, missing = fill_from_acts(h.delex, req.acts)
            if missing:
                return text, "unfillable_placeholder:" + ",".join(sorted(set(missing)))
            broken = self.policy.violations(text)
            if broken:
                return text, "blocked:" + ",".join(broken)
            problems = guard.problems(text, req.acts)
            if problems:
                return text, "unfaithful:" + ",".join(problems)
            if h.score < self.policy.min_score:
                return text, "low_score"
            return text, ""

        checked = [(h, *check(h)) for h in hyps]
        alternatives = [Alternative(text, h.score) for h, text, reason in checked if not reason]
        good = next(((h, text) for h, text, reason in checked if not reason), None)
        best, _text, reason = checked[0]
        if first_reason:
            reason = first_reason
        if good is not None and not first_reason and good[0] is best:
            reply, delex, fallback, why = good[1], best.delex, False, ""
        elif good is not None:
            reply, delex, fallback, why = good[1], good[0].delex, False, f"nbest:{reason}"
        else:
            delex, reply = realise_acts(req.acts)
            fallback, why = True, f"template:{reason}"
        return GenerationOutput(
            reply=self.policy.with_disclaimers(reply, disclaimers),
            delexicalized=delex,
            alternatives=alternatives,
            attention=attention,
            fallback=fallback,
            fallback_reason=why,
            disclaimers=disclaimers,
            model_version=self.model_version,
            score=best.score,
        )
