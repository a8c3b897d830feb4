"""Generator model, tokenizer, features, lexicalisation and policy (tiny configs, CPU, no network)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from finadvisor.services.generator.inputs import (
    NUM,
    CreditInfo,
    GenerationInput,
    build_source,
    examples_from_dialogue,
    validate,
)
from finadvisor.services.generator.lexicalize import (
    PLACEHOLDER_RE,
    PLACEHOLDER_SLOTS,
    align_values,
    lexicalize,
)
from finadvisor.services.generator.modeling import GeneratorConfig, GeneratorModel
from finadvisor.services.generator.policy import CompliancePolicy
from finadvisor.services.generator.tokenization import (
    PLACEHOLDER_TOKENS,
    load_tokenizer,
    train_tokenizer,
)
from finadvisor.shared.errors import ConfigError, InvalidInputError

DIALOGUE = {
    "dialogue_id": "d1",
    "split": "train",
    "turns": [
        {"speaker": "user", "text": "I'd like to borrow 15,000 dollars to buy a car", "intent": "apply_loan",
         "slots": [], "modality": None,
         "state": {"loan_amount": "15000", "currency": "USD", "loan_purpose": "car"}},
        {"speaker": "advisor", "act": "request_loan_term_months",
         "delex": "You asked for [loan_amount] [currency] for a [loan_purpose]. Over how many months would you like to repay?",
         "text": "You asked for 15000 USD for a car. Over how many months would you like to repay?"},
        {"speaker": "user", "text": "36 months, I earn 4000 a month", "intent": "inform", "slots": [],
         "modality": None,
         "state": {"loan_amount": "15000", "currency": "USD", "loan_purpose": "car", "loan_term_months": "36",
                   "monthly_income": "4000"}},
        {"speaker": "advisor", "act": "offer_loan",
         "delex": "You'd pay roughly [monthly_instalment] [currency] a month over [loan_term_months] months.",
         "text": "You'd pay roughly 463 USD a month over 36 months."},
    ],
}


def tiny_model(vocab: int, seed: int = 0) -> GeneratorModel:
    torch.manual_seed(seed)
    cfg = GeneratorConfig(vocab_size=vocab, embedding_dim=16, hidden_size=24, dropout=0.0,
                          max_source_length=64, max_target_length=12)
    return GeneratorModel(cfg).eval()


@pytest.fixture(scope="module")
def tokenizer():
    ex = examples_from_dialogue(DIALOGUE)
    return train_tokenizer([t for e in ex for t in (e.source, e.target)] * 3, vocab_size=300)


def batch(tokenizer, texts: list[str]) -> dict[str, torch.Tensor]:
    return dict(tokenizer(texts, padding=True, return_tensors="pt"))


def test_forward_shapes(tokenizer) -> None:
    model = tiny_model(len(tokenizer))
    enc = batch(tokenizer, ["<user> hello there <state> <intent=greet>", "<user> hi <state>"])
    labels = torch.tensor([[5, 6, 7, 2], [8, 2, -100, -100]])
    out = model(**enc, labels=labels, output_attentions=True)
    b, s = enc["input_ids"].shape
    assert out.logits.shape == (2, 4, len(tokenizer))
    assert out.cache.shape == (1, 2, 24)
    assert out.cross_attentions[0].shape == (2, 4, s)
    assert out.loss is not None and torch.isfinite(out.loss)
    assert b == 2


def test_attention_rows_sum_to_one_and_ignore_padding(tokenizer) -> None:
    model = tiny_model(len(tokenizer))
    enc = batch(tokenizer, ["<user> i want to borrow money for a car please <state>", "<user> hi"])
    dec = torch.tensor([[1, 9, 10], [1, 11, 12]])
    alpha = model(**enc, decoder_input_ids=dec, output_attentions=True).cross_attentions[0]  # (B, T, S)
    assert torch.allclose(alpha.sum(-1), torch.ones(2, 3), atol=1e-5)
    pad = enc["attention_mask"][1] == 0
    assert pad.any()
    assert torch.all(alpha[1][:, pad] == 0)


def test_save_load_round_trip_gives_identical_outputs(tokenizer, tmp_path: Path) -> None:
    model = tiny_model(len(tokenizer))
    enc = batch(tokenizer, ["<user> i need a loan <state> <intent=apply_loan>"])
    before = model.generate(**enc, max_new_tokens=8, num_beams=3, num_return_sequences=2)
    rep = {k: v.repeat_interleave(2, dim=0) for k, v in enc.items()}  # (2, S): one row per hypothesis
    logits_before = model(**rep, decoder_input_ids=before[:, :-1]).logits
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    loaded = GeneratorModel.from_pretrained(tmp_path, local_files_only=True).eval()
    tok2 = load_tokenizer(tmp_path)
    enc2 = batch(tok2, ["<user> i need a loan <state> <intent=apply_loan>"])
    assert torch.equal(enc["input_ids"], enc2["input_ids"])
    after = loaded.generate(**enc2, max_new_tokens=8, num_beams=3, num_return_sequences=2)
    assert torch.equal(before, after)
    assert torch.equal(logits_before, loaded(**rep, decoder_input_ids=after[:, :-1]).logits)
    # The encoder still reads the shared table after loading (tied, not a stale copy).
    assert loaded.encoder.embeddings.weight.data_ptr() == loaded.shared.weight.data_ptr()


def test_beam_search_returns_nbest_sorted_by_score(tokenizer) -> None:
    model = tiny_model(len(tokenizer), seed=3)
    enc = batch(tokenizer, ["<user> how much can i borrow <state> <intent=ask_eligibility>"])
    out = model.generate(**enc, max_new_tokens=8, num_beams=5, num_return_sequences=4,
                         output_scores=True, return_dict_in_generate=True)
    scores = out.sequences_scores.tolist()
    assert len(scores) == 4
    assert scores == sorted(scores, reverse=True)
    assert len({tuple(s.tolist()) for s in out.sequences}) == 4  # distinct hypotheses
    greedy = model.generate(**enc, max_new_tokens=8, num_beams=1)
    assert greedy.shape[0] == 1


def test_tokenizer_keeps_placeholders_whole_and_decodes_losslessly(tokenizer) -> None:
    text = "You asked for [loan_amount] [currency]. Over how many months?"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    toks = tokenizer.convert_ids_to_tokens(ids)
    assert "[loan_amount]" in toks and "[currency]" in toks
    assert tokenizer.decode(ids) == text
    assert all(tokenizer.convert_tokens_to_ids(p) != tokenizer.unk_token_id for p in PLACEHOLDER_TOKENS)
    assert tokenizer("<intent=apply_loan>", add_special_tokens=False)["input_ids"] == [
        tokenizer.convert_tokens_to_ids("<intent=apply_loan>")
    ]


def test_display_tokens_cache_gives_the_same_labels(tokenizer) -> None:
    from finadvisor.services.generator.tokenization import display_tokens

    ids = tokenizer("You asked for [loan_amount] [currency]. Over how many months?")["input_ids"]
    cache: dict[int, str] = {}
    first = display_tokens(tokenizer, ids, cache)
    assert first == display_tokens(tokenizer, ids)  # no cache
    assert set(cache) == set(ids) and display_tokens(tokenizer, ids, cache) == first
    assert "[loan_amount]" in first


def test_source_masks_digits_and_keeps_state_at_the_end() -> None:
    inp = GenerationInput(
        context=[("user", "old turn"), ("advisor", "How much?"), ("user", "I need 15,000 for a car")],
        intent="apply_loan", slots={"loan_amount": "15000", "loan_purpose": "car"},
        image_type="payslip", credit=CreditInfo(decision="refer"),
    )
    src = build_source(inp)
    assert "15" not in src and NUM in src
    assert src.endswith("<image=payslip> <credit=refer>")
    assert "<has=loan_amount>" in src and "<loan_purpose=car>" in src
    assert "old turn" not in src  # only the recent turns


@pytest.mark.parametrize(
    "kwargs",
    [
        {"context": [("bot", "hi")]},
        {"context": [], "intent": "buy_stocks"},
        {"context": [], "num_beams": 9},
        {"context": [], "num_beams": 2, "n_best": 3},
        {"context": [("user", "x" * 10_000)]},
        {"context": [], "slots": {f"s{i}": "1" for i in range(40)}},
    ],
)
def test_validate_rejects_bad_requests(kwargs) -> None:
    with pytest.raises(InvalidInputError):
        validate(GenerationInput(**kwargs))


def test_examples_from_dialogue_reads_contract_format() -> None:
    ex = examples_from_dialogue(DIALOGUE)
    assert [e.target for e in ex] == [t["delex"] for t in DIALOGUE["turns"] if t["speaker"] == "advisor"]
    assert ex[1].inp.intent == "inform"
    assert set(ex[1].inp.changed_slots) == {"loan_term_months", "monthly_income"}
    # The affordability figure is read back from the reference for evaluation.
    assert ex[1].values["monthly_instalment"] == "463"


placeholder = st.sampled_from(PLACEHOLDER_SLOTS).map(lambda s: f"[{s}]")
word = st.sampled_from(["You", "asked", "for", "a", "month", "over", "months.", "Is", "that", "right?"])


@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(st.one_of(placeholder, word), min_size=1, max_size=12),
    values=st.dictionaries(st.sampled_from(PLACEHOLDER_SLOTS), st.integers(0, 10**7).map(str), max_size=8),
)
def test_lexicalize_never_leaves_a_placeholder_and_numbers_come_from_the_state(pieces, values) -> None:
    delex = " ".join(pieces)
    lex = lexicalize(delex, values)
    assert not PLACEHOLDER_RE.search(lex.text)
    assert set(lex.missing) == {p[1:-1] for p in pieces if p.startswith("[") and p[1:-1] not in values}
    for number in re.findall(r"\d+", lex.text):
        assert number in values.values()
    for slot, shown in lex.filled.items():
        assert shown == values[slot]


def test_lexicalize_formats_categories_and_aligns_back() -> None:
    lex = lexicalize("A loan for [loan_purpose] of [loan_amount] [currency].",
                     {"loan_purpose": "debt_consolidation", "loan_amount": "12000", "currency": "EUR"})
    assert lex.text == "A loan for debt consolidation of 12000 EUR."
    assert lex.complete
    assert align_values("You pay [monthly_instalment] [currency] a month.", "You pay 463 USD a month.") == {
        "monthly_instalment": "463", "currency": "USD"}


def test_policy_blocks_promises_but_not_honest_caveats() -> None:
    policy = CompliancePolicy.load()
    assert policy.violations("Good news, you are approved for 15000 USD!") == ["promised_approval"]
    assert "promised_returns" in policy.violations("This fund will double your money, it is risk-free.")
    assert "guaranteed_outcome" in policy.violations("Returns are guaranteed.")
    assert policy.violations("Investment returns are not guaranteed and vary with the markets.") == []
    assert policy.violations("How much would you like to borrow?") == []


def test_policy_disclaimers_and_published_figures() -> None:
    policy = CompliancePolicy.load()
    assert policy.disclaimers("ask_investment_advice")
    assert policy.disclaimers("greet") == []
    assert len(policy.disclaimers("apply_loan", "approve")) == 1
    assert policy.unpublished_figures("Personal loans start at 6.9% APR.") == []
    assert policy.unpublished_figures("You can borrow 25000 [currency].") == ["25000"]
    assert policy.unpublished_figures("You can borrow [loan_amount] [currency].") == []


def test_policy_file_errors_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "policy.json"
    bad.write_text('{"blocked": [{"rule": "x", "pattern": "("}], "fallback": {"default": "ok"}}')
    with pytest.raises(ConfigError):
        CompliancePolicy.load(bad)
    unsafe = tmp_path / "unsafe.json"
    unsafe.write_text('{"blocked": [{"rule": "p", "pattern": "approved"}], '
                      '"fallback": {"default": "You are approved."}}')
    with pytest.raises(ConfigError):
        CompliancePolicy.load(unsafe)


def test_policy_takes_its_disclaimers_off_a_reply_fed_back_as_context() -> None:
    policy = CompliancePolicy.load()
    reply = "Let me check: a loan of 15000 EUR over 36 months. Is everything correct?"
    disclaimers = policy.disclaimers("ask_rate", "approve")
    assert disclaimers  # the shipped policy has some for rates and credit decisions
    shown = policy.with_disclaimers(reply, disclaimers)
    assert shown != reply and policy.without_disclaimers(shown) == reply
    assert policy.without_disclaimers(reply) == reply
    assert policy.without_disclaimers(disclaimers[0]) == disclaimers[0]  # never to nothing


def test_a_savings_rate_carries_no_credit_assessment_disclaimer() -> None:
    policy = CompliancePolicy.load()
    savings = policy.disclaimers("ask_rate", "", "savings_account")
    assert savings and not any("credit" in d for d in savings)
    assert any("credit assessment" in d for d in policy.disclaimers("ask_rate", "", "personal_loan"))
    shown = policy.with_disclaimers("Our savings rate is 3.1%.", savings)
    assert policy.without_disclaimers(shown) == "Our savings rate is 3.1%."
