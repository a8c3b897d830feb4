"""Drafted greedy decoding (drafts.py, ``GeneratorModel.check_draft``): the same replies, fewer
steps one at a time (bundled model, CPU)."""

from __future__ import annotations

import pytest
import torch

from finadvisor.dialogue.acts import act
from finadvisor.services.generator.drafts import KEY, DraftTable
from finadvisor.services.generator.engine import GeneratorEngine
from finadvisor.services.generator.inputs import CreditInfo, GenerationInput
from finadvisor.shared.paths import BUNDLED_MODELS_DIR
from tests.unit.decoder_inputs import decoder_inputs

SLOTS = {"loan_amount": "12000", "currency": "EUR", "loan_purpose": "renovation",
         "loan_term_months": "36", "monthly_income": "4200", "monthly_debt": "300"}


def _requests() -> list[GenerationInput]:
    """Short questions and the long summaries with a decision, as a dialogue asks them."""
    summary = act("confirm", slots="loan_amount,loan_term_months,monthly_income,monthly_debt",
                  **{k: SLOTS[k] for k in ("loan_amount", "loan_term_months", "monthly_income",
                                           "monthly_debt")}, currency="EUR")
    refer = act("inform_decision", decision="refer", reason="Repayment term of 36 months is long",
                needs="current account status,savings,credit history", instalment="386.64",
                currency="EUR")
    out = []
    for i, amount in enumerate(("12000", "15000", "9000")):
        slots = {**SLOTS, "loan_amount": amount}
        out += [
            GenerationInput(context=[("user", "I'd like to borrow some money to renovate")],
                            intent="apply_loan", slots=slots,
                            acts=(act("request", slot="loan_term_months"),)),
            GenerationInput(context=[("user", f"my income is 4200 and I pay {300 + i} on debts")],
                            intent="inform", slots=slots, credit=CreditInfo(decision="refer"),
                            acts=(summary, refer)),
            GenerationInput(context=[("user", "what interest rate would I get?")],
                            intent="ask_rate", slots=slots, credit=CreditInfo(decision="refer"),
                            acts=(act("answer_rate", product="personal_loan", rate="6.9"), refer)),
            GenerationInput(context=[("user", "thank you")], intent="thank", slots=slots,
                            acts=(act("welcome"),)),
        ]
    return out


@pytest.fixture(scope="module")
def engines() -> tuple[GeneratorEngine, GeneratorEngine]:
    drafted = GeneratorEngine.load(BUNDLED_MODELS_DIR / "generator")
    plain = GeneratorEngine.load(BUNDLED_MODELS_DIR / "generator", draft_tokens=0)
    yield drafted, plain
    drafted.close()
    plain.close()


def test_a_draft_is_what_followed_the_same_tokens_last_time() -> None:
    table = DraftTable(draft_tokens=4, max_keys=6)
    table.learn([1, 10, 11, 12, 13, 14, 15, 2])
    assert table.lookup([1, 10, 11]) == (12, 13, 14, 15)  # at most draft_tokens
    assert table.lookup([7, 1, 10, 11]) == (12, 13, 14, 15)  # the last KEY tokens select it
    assert table.lookup([13, 14, 15]) == (2,)  # up to the reply's end
    assert table.lookup([1, 10]) == (11, 12, 13, 14)  # after a reply's first token
    assert table.lookup([1]) == ()  # nothing written yet: no draft
    assert table.lookup([9, 9, 9]) == ()
    table.learn([1, 10, 11, 20, 2])
    assert table.lookup([1, 10, 11]) == (20, 2)  # the newest reply wins
    assert len(table) == 6  # bounded: the run written longest ago is forgotten first
    assert table.lookup([10, 11, 12]) == ()
    assert table.lookup([12, 13, 14]) == (15, 2)
    assert table.lookup([10, 11, 20]) == (2,)
    assert table.lookup([1, 10]) == (11, 20, 2)
    assert KEY == 3


def test_checking_a_draft_takes_the_steps_one_by_one_would_take(
        engines: tuple[GeneratorEngine, GeneratorEngine]) -> None:
    """Rows fed a draft that is right up to some place: the best token after each input is the
    greedy token as long as the draft was right, then the greedy token at the first wrong
    place; logits and states equal the step-by-step ones to float rounding."""
    eng = engines[1]
    reqs = _requests()[1:3]
    m, cfg = eng.model, eng.model.config
    states, keys, bias, hidden, weights, ban, start = decoder_inputs(eng, reqs)
    with torch.inference_mode():
        toks, logits, _alphas, _h = m.decode_segment(start, hidden, states, keys, bias, ban,
                                                      weights, 12)
        assert len(toks) == 12  # both replies are longer than that
        truth = torch.stack(toks, dim=1)  # (2, 12)
        draft = truth[:, :10].clone()
        draft[1, 6] = (draft[1, 6] + 1) % cfg.vocab_size  # row 1's draft is wrong at place 6
        best, checked_logits, _alpha, hs = m.check_draft(start, draft, hidden, states, keys,
                                                         bias, ban, weights)
    assert best.shape == (2, 11) and checked_logits.shape == (2, 11, cfg.vocab_size)
    assert torch.equal(best[0], truth[0, :11])
    assert torch.equal(best[1, :7], truth[1, :7])  # right up to the wrong place, and at it
    for i in range(11):
        assert torch.allclose(checked_logits[0, i], logits[i][0], atol=1e-4)
    # the state after the draft's last right token continues as the plain loop does
    with torch.inference_mode():
        nxt = m.decode_segment(best[:1, 10], hs[:1, 10].unsqueeze(0), states[:1], keys[:1],
                               bias[:1], ban[:1], weights, 1)[0][0]
    assert int(nxt[0]) == int(truth[0, 11])


def test_drafted_replies_are_the_greedy_replies(
        engines: tuple[GeneratorEngine, GeneratorEngine]) -> None:
    """The same requests decoded with drafts and without, one at a time and in batches, twice
    (the second time every long reply has been written before): the same tokens, scores equal
    to float rounding; drafts were used and most of their tokens kept."""
    drafted, plain = engines
    reqs = _requests()
    for size in (1, 3, len(reqs)):
        for _ in range(2):
            got, want = [], []
            for i in range(0, len(reqs), size):
                got += drafted.decode_delex(reqs[i : i + size])
                want += plain.decode_delex(reqs[i : i + size])
            assert [h.token_ids for h in got] == [h.token_ids for h in want]
            assert [h.delex for h in got] == [h.delex for h in want]
            assert all(abs(a.score - b.score) < 1e-4 for a, b in zip(got, want))
    assert max(len(h.token_ids) for h in want) > 60  # the summaries are long
    stats = drafted.batcher_stats
    assert stats["drafts_checked"] > 0
    assert stats["draft_tokens_accepted"] > 0.5 * stats["draft_tokens"]
    assert "drafts_checked" not in plain.batcher_stats


def test_drafted_engine_replies_with_the_same_words_and_attention(
        engines: tuple[GeneratorEngine, GeneratorEngine]) -> None:
    """Through ``generate_batch`` (guard, lexicalisation, attention map): the same reply and
    an attention map of the same shape whose rows still sum to one."""
    drafted, plain = engines
    reqs = [GenerationInput(**{**r.__dict__, "return_attention": True}) for r in _requests()[:4]]
    for _ in range(2):
        got, want = drafted.generate_batch(reqs), plain.generate_batch(reqs)
        for a, b in zip(got, want):
            assert (a.reply, a.fallback, a.fallback_reason) == (b.reply, b.fallback, b.fallback_reason)
            assert a.attention is not None and b.attention is not None
            assert a.attention.output_tokens == b.attention.output_tokens
            assert len(a.attention.rows) == len(b.attention.rows)
            for row, ref in zip(a.attention.rows, b.attention.rows):
                assert sum(row) == pytest.approx(1.0, abs=1e-4)
                assert max(abs(x - y) for x, y in zip(row, ref)) < 1e-4


def test_each_row_keeps_what_its_own_draft_got_right() -> None:
    """``kept``: a right draft gives its tokens and the model's next one, a wrong one its
    tokens up to the first wrong place (the model's token there included), a row without a
    draft the model's one token; EOS ends a row. Rows are not cut to the shortest."""
    table = DraftTable(draft_tokens=4)
    eos = 2
    draft = [[5, 6, 7, 8], [5, 6, 7, 8], [9, 9, 9, 9], [5, 2, 9, 9]]
    best = [[5, 6, 7, 8, 4], [5, 0, 7, 8, 4], [3, 1, 1, 1, 1], [5, 2, 1, 1, 1]]
    assert table.kept(best, draft, [4, 4, 0, 2], eos) == [5, 2, 1, 2]
    assert table.drafted == 10 and table.accepted == 4 + 1 + 0 + 2


def test_rows_without_a_draft_are_filled_and_checked_beside_those_with_one() -> None:
    table = DraftTable(draft_tokens=4)
    table.learn([1, 10, 11, 12, 13, 2])
    assert table.batch_draft([[1, 10, 11], [1, 30, 31]], room=8) == (
        [[12, 13, 2], [31, 31, 31]], [3, 0])  # the second row has none: its own last token
    assert table.batch_draft([[1, 10, 11]], room=2) == ([[12, 13]], [2])  # never past the room
    assert table.batch_draft([[1, 30, 31], [1, 40, 41]], room=8) is None


def test_a_row_without_a_draft_does_not_hold_back_a_row_with_one(
        engines: tuple[GeneratorEngine, GeneratorEngine]) -> None:
    """A summary the table has drafts for, decoded beside a question it has none for, takes
    as many passes as alone; both rows write what the plain search writes."""
    from finadvisor.services.generator.inputs import build_source
    from finadvisor.services.generator.search import GreedyRows

    plain = engines[1]
    summary, question = _requests()[1], _requests()[0]
    table = DraftTable()
    enc = plain.tokenizer([build_source(r) for r in (summary, question)], padding=True,
                          return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    banned = plain._banned_placeholders([summary, question])

    def passes_until_the_summary_is_done(rows: GreedyRows) -> tuple[int, dict[int, list[int]]]:
        passes, written = 0, {}
        while 0 not in written:
            passes += 1
            for done, targets, _, _ in rows.step():
                written.update({r: t.tolist() for r, t in zip(done, targets)})
        while rows.active:
            for done, targets, _, _ in rows.step():
                written.update({r: t.tolist() for r, t in zip(done, targets)})
        return passes, written

    passes_until_the_summary_is_done(GreedyRows(plain.model, ids[:1], mask[:1], banned[:1],
                                                drafts=table))  # the summary is learnt
    alone, _ = passes_until_the_summary_is_done(GreedyRows(
        plain.model, ids[:1], mask[:1], banned[:1], drafts=table))
    together, written = passes_until_the_summary_is_done(GreedyRows(
        plain.model, ids, mask, banned, drafts=table))
    assert alone < 15 and together == alone  # ~100 tokens in a handful of checks, either way
    want = [h.token_ids for h in plain.decode_delex([summary, question])]
    eos = plain.model.config.eos_token_id
    assert [written[r][: written[r].index(eos)] for r in (0, 1)] == want
