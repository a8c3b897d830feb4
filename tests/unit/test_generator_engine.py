"""Generator engine, dynamic batching, compliance guard and the training contract (tiny, CPU)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from finadvisor.services.generator.engine import GeneratorEngine, Hypothesis
from finadvisor.services.generator.inputs import (
    CreditInfo,
    GenerationInput,
    examples_from_dialogue,
)
from finadvisor.services.generator.modeling import GeneratorConfig, GeneratorModel
from finadvisor.services.generator.tokenization import train_tokenizer
from finadvisor.services.generator.training import TrainSettings, evaluate, save_model, train
from finadvisor.shared.batching import DynamicBatcher
from finadvisor.shared.errors import InvalidInputError, ModelNotReadyError


def _dialogue(i: int, amount: str, months: str, income: str, instalment: str, split: str) -> dict:
    state1 = {"loan_amount": amount, "currency": "USD", "loan_purpose": "car"}
    state2 = {**state1, "loan_term_months": months, "monthly_income": income}
    return {
        "dialogue_id": f"{split}-{i}",
        "split": split,
        "turns": [
            {"speaker": "user", "text": "hello", "intent": "greet", "slots": [], "modality": None, "state": {}},
            {"speaker": "advisor", "act": "greet", "delex": "Hello! How can I help you today?",
             "text": "Hello! How can I help you today?"},
            {"speaker": "user", "text": f"I'd like to borrow {amount} dollars to buy a car", "intent": "apply_loan",
             "slots": [], "modality": None, "state": state1},
            {"speaker": "advisor", "act": "request_loan_term_months",
             "delex": "You asked for [loan_amount] [currency]. Over how many months would you like to repay?",
             "text": f"You asked for {amount} USD. Over how many months would you like to repay?"},
            {"speaker": "user", "text": f"{months} months, and I earn {income} a month", "intent": "inform",
             "slots": [], "modality": None, "state": state2},
            {"speaker": "advisor", "act": "offer_loan",
             "delex": "You would pay about [monthly_instalment] [currency] a month over [loan_term_months] months.",
             "text": f"You would pay about {instalment} USD a month over {months} months."},
        ],
    }


DIALOGUES = {
    "train": [_dialogue(i, str(5000 + 1000 * i), str(12 * (1 + i % 4)), str(3000 + 100 * i), str(100 + i), "train")
              for i in range(6)],
    "validation": [_dialogue(9, "9000", "24", "3900", "410", "validation")],
    "test": [_dialogue(10, "20000", "48", "5000", "470", "test")],
}
TINY = TrainSettings(vocab_size=300, embedding_dim=16, hidden_size=24, dropout=0.0, max_source_length=64,
                     max_target_length=24, batch_size=4, learning_rate=1e-2, max_epochs=3, patience=5,
                     max_train_examples=None)


def write_corpus(data_dir: Path) -> None:
    folder = data_dir / "corpus"
    folder.mkdir(parents=True)
    for split, dialogues in DIALOGUES.items():
        (folder / f"{split}.jsonl").write_text("".join(json.dumps(d) + "\n" for d in dialogues))


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained tiny model saved the way training saves (manifest included)."""
    examples = [e for d in DIALOGUES["train"] for e in examples_from_dialogue(d)]
    tok = train_tokenizer([t for e in examples for t in (e.source, e.target)], vocab_size=300)
    torch.manual_seed(0)
    cfg = GeneratorConfig(vocab_size=len(tok), embedding_dim=16, hidden_size=24, dropout=0.0,
                          max_source_length=64, max_target_length=10, pad_token_id=tok.pad_token_id,
                          bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                          decoder_start_token_id=tok.bos_token_id)
    folder = tmp_path_factory.mktemp("models") / "generator"
    return save_model(folder, GeneratorModel(cfg), tok, "# tiny\n", "0.0.0+test", {})


@pytest.fixture()
def engine(model_folder: Path):
    eng = GeneratorEngine.load(model_folder, max_batch_size=4, max_wait_ms=60_000)
    yield eng
    eng.close()


@pytest.fixture()
def quick_engine(model_folder: Path):
    """Decodes a lone request after 1 ms (the batching test uses the patient one above)."""
    eng = GeneratorEngine.load(model_folder, max_batch_size=4, max_wait_ms=1)
    yield eng
    eng.close()


def request(text: str = "I want to borrow 12000 for a car", **kw) -> GenerationInput:
    base = {"context": [("user", text)], "intent": "apply_loan",
            "slots": {"loan_amount": "12000", "currency": "EUR", "loan_purpose": "car"}}
    return GenerationInput(**{**base, **kw})


def test_load_checks_the_manifest(model_folder: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "generator"
    shutil.copytree(model_folder, copy)
    with (copy / "model.safetensors").open("r+b") as f:
        f.seek(-4, 2)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelNotReadyError):
        GeneratorEngine.load(copy)
    with pytest.raises(ModelNotReadyError):
        GeneratorEngine.load(tmp_path / "missing")


async def test_concurrent_requests_are_decoded_as_one_batch(engine: GeneratorEngine) -> None:
    reqs = [request(f"I want to borrow {n} for a car", return_attention=True) for n in (1000, 2000, 3000, 4000)]
    outs = await asyncio.gather(*(engine.generate(r) for r in reqs))
    stats = engine.batcher_stats
    assert stats["batches"] == 1 and stats["largest_batch"] == 4 and stats["decode_calls"] == 1
    # Batching changes nothing: each reply equals the one decoded alone.
    for r, out in zip(reqs, outs):
        alone = engine.generate_batch([r])[0]
        assert out.delexicalized == alone.delexicalized
        assert out.score == pytest.approx(alone.score, abs=1e-4)


async def test_attention_is_returned_per_output_token(quick_engine: GeneratorEngine) -> None:
    engine = quick_engine
    out = await engine.generate(request(return_attention=True))
    att = out.attention
    assert att is not None and att.input_tokens and att.output_tokens
    assert len(att.rows) == len(att.output_tokens)
    for row in att.rows:
        assert len(row) == len(att.input_tokens)
        assert sum(row) == pytest.approx(1.0, abs=1e-4)
    assert att.input_tokens[-1] == "</s>"
    no_att = engine.generate_batch([request(return_attention=False)])[0]
    assert no_att.attention is None


def test_nbest_alternatives_are_sorted(engine: GeneratorEngine) -> None:
    hyps, _ = engine._decode([request()], num_beams=4, n_best=3)
    scores = [h.score for h in hyps[0]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    out = engine.generate_batch([request(num_beams=4, n_best=3)])[0]
    alt_scores = [a.score for a in out.alternatives]
    assert alt_scores == sorted(alt_scores, reverse=True)


def test_guard_replaces_a_promise_by_the_safe_template(engine: GeneratorEngine) -> None:
    req = request()
    out = engine._finish(req, [Hypothesis("Great news: you are approved for [loan_amount] [currency]!", -0.1, [])], None)
    assert out.fallback and out.fallback_reason == "blocked:promised_approval"
    assert "approved" not in out.reply
    assert out.reply.startswith(engine.policy.fallback_reply("apply_loan"))
    assert out.delexicalized.startswith("Great news")


def test_guard_adds_the_disclaimer_to_advice(engine: GeneratorEngine) -> None:
    req = request("where should I invest", intent="ask_investment_advice",
                  slots={"investment_amount": "5000", "currency": "GBP"})
    out = engine._finish(req, [Hypothesis("A diversified fund suits your [investment_amount] [currency].", -0.1, [])],
                         None)
    assert not out.fallback
    disclaimer = engine.policy.disclaimers("ask_investment_advice")[0]
    assert out.disclaimers == [disclaimer]
    assert out.reply == f"A diversified fund suits your 5000 GBP. {disclaimer}"


def test_guard_falls_back_when_the_state_cannot_fill_or_the_model_is_unsure(engine: GeneratorEngine) -> None:
    req = request()
    missing = engine._finish(req, [Hypothesis("You earn [monthly_income] [currency].", -0.1, [])], None)
    assert missing.fallback and missing.fallback_reason == "unfillable_placeholder:monthly_income"
    assert "[" not in missing.reply
    invented = engine._finish(req, [Hypothesis("You could borrow 99000 [currency].", -0.1, [])], None)
    assert invented.fallback and invented.fallback_reason == "decoder_number"
    unsure = engine._finish(req, [Hypothesis("You asked for [loan_amount] [currency].", -9.0, [])], None)
    assert unsure.fallback and unsure.fallback_reason == "low_score"
    ok = engine._finish(req, [Hypothesis("You asked for [loan_amount] [currency].", -0.1, [])], None)
    assert not ok.fallback and ok.reply == "You asked for 12000 EUR."
    credit = request(credit=CreditInfo(decision="refer", monthly_instalment="321"))
    filled = engine._finish(credit, [Hypothesis("About [monthly_instalment] [currency] a month.", -0.1, [])], None)
    assert filled.reply.startswith("About 321 EUR a month.") and filled.disclaimers


async def test_invalid_request_is_rejected_before_batching(engine: GeneratorEngine) -> None:
    with pytest.raises(InvalidInputError):
        await engine.generate(request(num_beams=20))
    assert engine.batcher_stats["batches"] == 0


async def test_batcher_without_wait_batches_what_queued_during_the_previous_batch() -> None:
    """Wait 0: a lone request goes at once; requests that arrive while a batch runs form the
    next batch together."""
    import threading

    seen: list[list[int]] = []
    started, release = threading.Event(), threading.Event()

    def process(items: list[int]) -> list[int]:
        seen.append(items)
        started.set()
        release.wait(30)
        return [i + 1 for i in items]

    batcher: DynamicBatcher[int, int] = DynamicBatcher(process, max_batch_size=8, max_wait_ms=0)
    try:
        first = asyncio.ensure_future(batcher.submit(0))
        assert await asyncio.to_thread(started.wait, 30)  # the lone request went alone
        rest = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 2, 3)]
        await asyncio.sleep(0)  # let them reach the queue while batch one is still running
        release.set()
        assert await first == 1 and await asyncio.gather(*rest) == [2, 3, 4]
        assert seen == [[0], [1, 2, 3]]
    finally:
        release.set()
        batcher.close()


async def test_batcher_groups_and_propagates_errors() -> None:
    seen: list[list[int]] = []

    def process(items: list[int]) -> list[int]:
        seen.append(items)
        if 13 in items:
            raise ValueError("unlucky")
        return [i * 2 for i in items]

    batcher: DynamicBatcher[int, int] = DynamicBatcher(process, max_batch_size=3, max_wait_ms=60_000)
    try:
        assert await asyncio.gather(*(batcher.submit(i) for i in (1, 2, 3))) == [2, 4, 6]
        results = await asyncio.gather(*(batcher.submit(i) for i in (4, 13, 5)), return_exceptions=True)
        assert all(isinstance(r, ValueError) for r in results)
        assert [len(b) for b in seen] == [3, 3] and batcher.stats.batches == 2
    finally:
        batcher.close()


def test_train_writes_a_versioned_folder_and_is_reproducible(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_corpus(data)
    m1 = train(tmp_path / "m1", data, seed=0, progress=False, settings=TINY)
    m2 = train(tmp_path / "m2", data, seed=0, progress=False, settings=TINY)
    folder = tmp_path / "m1" / "generator"
    assert {"model.safetensors", "config.json", "tokenizer.json", "MODEL_CARD.md", "MANIFEST.json"} <= {
        p.name for p in folder.iterdir()}
    assert m1["version"] == m2["version"]  # same seed, same weights
    assert m1["version"] in (folder / "MODEL_CARD.md").read_text()
    assert json.loads((folder / "MANIFEST.json").read_text())["version"] == m1["version"]
    assert m1["val_loss"] < m1["initial_val_loss"]  # it learned something
    report = evaluate(tmp_path / "m1", data)
    assert {"bleu", "slot_accuracy", "perplexity", "tokens_per_second"} <= set(report)
    assert 0.0 <= report["slot_accuracy"] <= 1.0 and report["perplexity"] > 1.0
    assert not list(tmp_path.glob("m1/generator.*"))  # no leftover temp folders


def test_decoder_cannot_emit_a_placeholder_the_state_cannot_fill(quick_engine: GeneratorEngine) -> None:
    engine = quick_engine
    tid = engine.tokenizer.convert_tokens_to_ids("[monthly_income]")
    with torch.no_grad():
        engine.model.lm_head.bias[tid] = 50.0  # make [monthly_income] the model's favourite token
    with_income = request(slots={"monthly_income": "4000", "currency": "USD"})
    without = request(slots={"loan_amount": "12000", "currency": "USD"})
    outs = engine.generate_batch([with_income, without])
    assert "[monthly_income]" in outs[0].delexicalized  # allowed where the state has it
    assert "4000" in outs[0].reply
    assert "[monthly_income]" not in outs[1].delexicalized  # masked where it does not
    beams = engine.generate_batch([GenerationInput(**{**without.__dict__, "num_beams": 3, "n_best": 3})])[0]
    assert "[monthly_income]" not in beams.delexicalized


def test_bundled_default_model_words_the_acts_it_is_given() -> None:
    """The committed model loads through its manifest, says what its acts say (the guard finds
    it faithful without falling back) and every figure in it is an act's argument; its attention
    runs over the act tokens. (The first model was conditioned on the state; this one words the
    dialogue manager's acts, so the test gives acts.)"""
    import re

    from finadvisor.dialogue.acts import act
    from finadvisor.dialogue.guard import faithful
    from finadvisor.shared.paths import BUNDLED_MODELS_DIR

    eng = GeneratorEngine.load(BUNDLED_MODELS_DIR / "generator")
    try:
        cases = [
            ("what rate do you charge on a mortgage", [
                act("answer_rate", product="mortgage", rate="4.5"),
                act("request", slot="loan_amount", task="loan")]),
            ("here is my payslip", [
                act("ack_payslip", monthly_income="3200", currency="GBP"),
                act("request", slot="monthly_debt", task="loan")]),
            ("I rent", [
                act("confirm", slots="loan_amount,currency,loan_term_months,monthly_income,monthly_debt",
                    task="loan", loan_amount="15000", currency="USD", loan_term_months="36",
                    monthly_income="4200", monthly_debt="300"),
                act("inform_decision", decision="decline", reason="your repayments would take 52% "
                    "of your income", instalment="462", currency="USD")]),
        ]
        reqs = [GenerationInput(context=[("user", text)], intent="inform", acts=tuple(acts),
                                return_attention=True, num_beams=1 if i < 2 else 4,
                                n_best=1 if i < 2 else 2)
                for i, (text, acts) in enumerate(cases)]
        outs = eng.generate_batch(reqs)
        for (_text, acts), out in zip(cases, outs):
            body = eng.policy.without_disclaimers(out.reply)
            assert not out.fallback, out.fallback_reason
            assert faithful(body, acts), body
            allowed = {n for a in acts for v in a.args.values() for n in re.findall(r"\d+(?:\.\d+)?", v)}
            assert set(re.findall(r"\d+(?:\.\d+)?", body)) <= allowed
            assert "[" not in out.reply
        att = outs[0].attention
        assert att is not None and len(att.rows) == len(att.output_tokens)
        assert "<act=answer_rate>" in att.input_tokens
        assert "4.5%" in outs[0].reply and "3200 GBP" in outs[1].reply and "462" in outs[2].reply
    finally:
        eng.close()


def test_greedy_loop_matches_generate_and_the_teacher_forced_scores() -> None:
    """The engine's own greedy loop gives the tokens transformers' ``generate`` gives, and the
    scores and attention rows a teacher-forced pass over those tokens gives (bundled model,
    requests with and without the placeholders their states can fill)."""
    from transformers import GenerationConfig, LogitsProcessorList

    from finadvisor.services.generator.engine import PlaceholderMask
    from finadvisor.services.generator.inputs import build_source
    from finadvisor.shared.paths import BUNDLED_MODELS_DIR

    eng = GeneratorEngine.load(BUNDLED_MODELS_DIR / "generator")
    try:
        texts = ["I'd like to borrow 15,000 dollars to buy a car", "over 3 years please", "hello",
                 "my income is 4200 a month", "what would the monthly payment be?", "I rent"]
        reqs = [request(t, slots={"loan_amount": "15000", "currency": "USD"} if i % 2 else
                        {"loan_amount": "9000", "currency": "EUR", "loan_term_months": "36",
                         "monthly_income": "4200"}) for i, t in enumerate(texts)]
        cfg = eng.model.config
        enc = eng.tokenizer([build_source(r) for r in reqs], padding=True, return_tensors="pt")
        ids, mask = enc["input_ids"], enc["attention_mask"]  # (B, S)
        banned = eng._banned_placeholders(reqs)
        targets, tok_logp, alphas = eng.greedy(ids, mask, banned)
        with torch.inference_mode():
            seqs = eng.model.generate(
                input_ids=ids, attention_mask=mask, logits_processor=LogitsProcessorList([PlaceholderMask(banned)]),
                generation_config=GenerationConfig(
                    max_new_tokens=cfg.max_target_length, num_beams=1, do_sample=False,
                    pad_token_id=cfg.pad_token_id, eos_token_id=cfg.eos_token_id,
                    decoder_start_token_id=cfg.decoder_start_token_id))
            assert torch.equal(seqs[:, 1:], targets)
            out = eng.model(input_ids=ids, attention_mask=mask, decoder_input_ids=seqs[:, :-1],
                            output_attentions=True)
        ref_logp = torch.log_softmax(out.logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        live = torch.cumsum((targets == cfg.eos_token_id).long(), dim=1) - (targets == cfg.eos_token_id).long() == 0
        assert torch.allclose(tok_logp[live], ref_logp[live], atol=1e-4)
        assert alphas is not None
        assert torch.allclose(alphas[live], out.cross_attentions[0][live], atol=1e-5)
        assert len({tuple(t) for t in targets.tolist()}) > 1  # the batch really decoded different replies
    finally:
        eng.close()


def test_compiled_greedy_steps_are_the_step_by_step_loop() -> None:
    """``decode_segment`` (the TorchScript loop) takes the steps ``decode_step`` takes one by
    one in Python, with the same tokens, logits and attention to the bit, and stops at the
    first EOS of any row (bundled model, a batch of different replies)."""
    from finadvisor.services.generator import modeling
    from finadvisor.shared.paths import BUNDLED_MODELS_DIR
    from tests.unit.decoder_inputs import decoder_inputs

    assert modeling._greedy_steps_fn() is not modeling._greedy_steps  # compiled here
    eng = GeneratorEngine.load(BUNDLED_MODELS_DIR / "generator")
    try:
        reqs = [request("hello"), request("over 3 years please", slots={"loan_amount": "9000"}),
                request("I'd like to borrow 15,000 dollars to buy a car",
                        slots={"loan_amount": "15000", "currency": "USD"})]
        m, cfg = eng.model, eng.model.config
        states, keys, bias, hidden, weights, ban, start = decoder_inputs(eng, reqs)
        with torch.inference_mode():
            toks, logits, alphas, h_end = m.decode_segment(start, hidden, states, keys, bias, ban,
                                                           weights, cfg.max_target_length)
            token, h = start, hidden
            for i in range(len(toks)):
                ref_logits, h, ref_alpha = m.decode_step(token, h, states, keys, bias, weights)
                token = (ref_logits + ban).argmax(dim=-1)
                assert torch.equal(toks[i], token) and torch.equal(logits[i], ref_logits)
                assert torch.equal(alphas[i], ref_alpha)
        assert torch.equal(h_end, h)
        eos = cfg.eos_token_id
        assert bool((toks[-1] == eos).any()) and not any(bool((t == eos).any()) for t in toks[:-1])
        assert 1 < len(toks) < cfg.max_target_length
    finally:
        eng.close()


def test_greedy_rows_leave_the_batch_once_they_have_written_eos() -> None:
    """A batch of a short and a long reply: once the short one has written EOS, the steps run
    on the long one alone, and each row's reply is what it is decoded alone."""
    from finadvisor.services.generator.inputs import build_source
    from finadvisor.shared.paths import BUNDLED_MODELS_DIR

    eng = GeneratorEngine.load(BUNDLED_MODELS_DIR / "generator", draft_tokens=0)  # step by step
    try:
        reqs = [request("hello"), request("I'd like to borrow 15,000 dollars to buy a car",
                                           slots={"loan_amount": "15000", "currency": "USD"})]
        enc = eng.tokenizer([build_source(r) for r in reqs], padding=True, return_tensors="pt")
        banned = eng._banned_placeholders(reqs)
        widths: list[int] = []
        segment = eng.model.decode_segment

        def counted(token: torch.Tensor, *args: Any) -> tuple[Any, ...]:
            found = segment(token, *args)
            widths.extend([int(token.shape[0])] * len(found[0]))  # one width per step taken
            return found

        eng.model.decode_segment = counted  # type: ignore[method-assign]  # counts, then decodes
        targets, _, _ = eng.greedy(enc["input_ids"], enc["attention_mask"], banned)
        del eng.model.decode_segment
        eos = eng.model.config.eos_token_id
        lengths = [row.index(eos) + 1 if eos in row else len(row) for row in targets.tolist()]
        assert lengths[0] != lengths[1]
        assert widths[: min(lengths)] == [2] * min(lengths)
        assert widths[min(lengths):] == [1] * (max(lengths) - min(lengths))
        for i, r in enumerate(reqs):  # alone, each row writes the same tokens
            one = eng.tokenizer([build_source(r)], return_tensors="pt")
            alone, _, _ = eng.greedy(one["input_ids"], one["attention_mask"], banned[i:i + 1])
            assert alone[0].tolist() == targets[i, : alone.shape[1]].tolist()
    finally:
        eng.close()


async def test_batcher_with_early_answers_resolves_an_item_before_its_batch_is_done() -> None:
    """``early_answers``: the item the batch answers first is resolved while the rest of the
    batch still runs; the others get their results when the batch returns."""
    import threading

    release = threading.Event()

    def process(items: list[int], answer) -> list[int]:
        answer(0, items[0] * 10)
        assert release.wait(30)
        return [i * 10 for i in items]

    batcher: DynamicBatcher[int, int] = DynamicBatcher(process, max_batch_size=4, max_wait_ms=50,
                                                       early_answers=True)
    try:
        first = asyncio.ensure_future(batcher.submit(1))
        second = asyncio.ensure_future(batcher.submit(2))
        assert await asyncio.wait_for(asyncio.shield(first), 10) == 10
        assert not second.done()  # its batch is still running
        release.set()
        assert await asyncio.wait_for(second, 10) == 20
    finally:
        release.set()
        batcher.close()


def test_a_short_reply_is_answered_while_a_long_one_in_its_batch_still_decodes() -> None:
    """generate_batch's ``answer``: a row is answered once it has written EOS, before the steps
    of a longer row in the same batch are done; every row is answered once, as returned."""
    from finadvisor.shared.paths import BUNDLED_MODELS_DIR

    eng = GeneratorEngine.load(BUNDLED_MODELS_DIR / "generator", draft_tokens=0)  # step by step
    try:
        reqs = [request("hello"), request("I'd like to borrow 15,000 dollars to buy a car",
                                           slots={"loan_amount": "15000", "currency": "USD"})]
        steps = 0
        segment = eng.model.decode_segment

        def counted(token: torch.Tensor, *args: Any) -> tuple[Any, ...]:
            nonlocal steps
            found = segment(token, *args)
            steps += len(found[0])  # the steps this segment took
            return found

        answered: list[tuple[int, int, str]] = []
        eng.model.decode_segment = counted  # type: ignore[method-assign]  # counts, then decodes
        outs = eng.generate_batch(reqs, answer=lambda i, out: answered.append((i, steps, out.reply)))
        del eng.model.decode_segment
        assert sorted(i for i, _, _ in answered) == [0, 1]
        assert [reply for _, _, reply in sorted(answered)] == [o.reply for o in outs]
        (first, at_first, _), (_, at_last, _) = sorted(answered, key=lambda a: a[1])
        assert at_first < at_last == steps  # the first answer came while decoding went on
    finally:
        eng.close()


async def test_batcher_with_two_workers_decodes_two_batches_at_once_and_closes_cleanly() -> None:
    """Two workers: a second batch starts while the first is still running; close() answers
    everything queued before it and stops both threads."""
    import threading

    running = 0
    peak = 0
    guard = threading.Lock()
    both = threading.Barrier(2, timeout=30)

    def process(items: list[int]) -> list[int]:
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
        if items[0] < 2:
            both.wait()  # the first two batches meet here: they really overlap
        with guard:
            running -= 1
        return [i * 10 for i in items]

    batcher: DynamicBatcher[int, int] = DynamicBatcher(process, max_batch_size=1, max_wait_ms=0, workers=2)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(6)))
    assert results == [0, 10, 20, 30, 40, 50] and peak == 2
    await asyncio.to_thread(batcher.close)
    assert all(not t.is_alive() for t in batcher._threads)


def test_a_reply_with_its_disclaimers_in_the_context_reads_as_the_model_wrote_it() -> None:
    """The history keeps replies as the customer read them (disclaimers appended); the model
    gets them back without, so the source is the one it was trained on."""
    from finadvisor.shared.paths import BUNDLED_MODELS_DIR

    eng = GeneratorEngine.load(BUNDLED_MODELS_DIR / "generator")
    try:
        said = "Our savings account pays 2.1 % a year. What is your housing situation?"
        shown = eng.policy.with_disclaimers(said, eng.policy.disclaimers("ask_rate", "approve"))
        assert shown != said
        slots = {"loan_amount": "15000", "currency": "EUR", "loan_term_months": "36"}
        plain, with_disclaimers = eng.generate_batch([
            GenerationInput(context=[("advisor", said), ("user", "I rent")], intent="inform", slots=slots,
                            return_attention=True),
            GenerationInput(context=[("advisor", shown), ("user", "I rent")], intent="inform", slots=slots,
                            return_attention=True),
        ])
        assert plain.attention is not None and with_disclaimers.attention is not None
        assert with_disclaimers.attention.input_tokens == plain.attention.input_tokens
        assert with_disclaimers.delexicalized == plain.delexicalized
    finally:
        eng.close()
