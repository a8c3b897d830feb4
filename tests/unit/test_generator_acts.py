"""The generator wording the dialogue manager's acts: filled from the acts' arguments, guarded
for faithfulness, rescued from the n-best, else the acts' template (tiny models, CPU)."""

from __future__ import annotations

import re

import pytest

from finadvisor.dialogue.acts import Act, act
from finadvisor.dialogue.guard import faithful
from finadvisor.generator.v1 import generator_pb2
from finadvisor.services.generator.engine import GeneratorEngine, Hypothesis
from finadvisor.services.generator.inputs import GenerationInput, build_source, validate
from finadvisor.services.generator.servicer import acts_of, outcome
from finadvisor.shared.errors import InvalidInputError
from tests.unit.test_generator_engine import engine, model_folder  # noqa: F401 - fixtures

RATE = (act("answer_rate", product="mortgage", rate="4.5"), act("request", slot="loan_amount"))


def with_acts(acts, **kw) -> GenerationInput:
    return GenerationInput(context=[("user", "what rate do you charge for a mortgage")],
                           intent="ask_rate", acts=tuple(acts), **kw)


def test_the_source_is_the_context_then_the_acts_as_tokens() -> None:
    src = build_source(with_acts(RATE))
    assert src.endswith("<state> <act=answer_rate> <product=mortgage> <has=rate> "
                        "<act=request> <slot=loan_amount>")
    assert "4.5" not in src  # argument values are filled in after decoding, never read


def test_a_faithful_reply_is_filled_from_the_acts_arguments(engine: GeneratorEngine) -> None:  # noqa: F811 - the fixture imported above
    out = engine._finish(with_acts(RATE), [Hypothesis(
        "Our [product] rate starts at [rate]% a year. How much would you like to borrow?", -0.1, [])],
        None)
    assert not out.fallback and out.fallback_reason == ""
    assert out.reply.startswith("Our mortgage rate starts at 4.5% a year. How much would you like")
    assert out.disclaimers == engine.policy.disclaimers("ask_rate")


def test_an_unfaithful_reply_is_replaced_by_the_best_faithful_alternative(engine: GeneratorEngine) -> None:  # noqa: F811 - the fixture imported above
    hyps = [Hypothesis("Our [product] rate starts at [rate]% a year. How old are you?", -0.1, []),
            Hypothesis("Our [product] rate is [rate]% a year. How much do you need to borrow?", -0.2, [])]
    out = engine._finish(with_acts(RATE), hyps, None)
    assert not out.fallback and out.fallback_reason == "nbest:unfaithful:unrealised:request,unasked_question"
    assert "How much do you need to borrow?" in out.reply
    assert outcome(out) == "nbest"


def test_without_a_faithful_alternative_the_acts_template_is_the_reply(engine: GeneratorEngine) -> None:  # noqa: F811 - the fixture imported above
    acts = [act("inform_decision", decision="decline", reason="the repayments would take 61% of "
                "your income", instalment="366", currency="EUR")]
    out = engine._finish(with_acts(acts), [Hypothesis("We can approve it, about 999 [currency].",
                                                      -0.1, [])], None)
    assert out.fallback and out.fallback_reason.startswith("template:")
    assert outcome(out) == "template"
    body = engine.policy.without_disclaimers(out.reply)
    assert faithful(body, acts) and "61%" in body and "366 EUR" in body
    assert out.disclaimers == engine.policy.disclaimers("ask_rate", "decline")


def test_a_real_decode_of_an_untrained_model_still_says_what_the_acts_say(engine: GeneratorEngine) -> None:  # noqa: F811 - the fixture imported above
    out = engine.generate_batch([with_acts(RATE, return_attention=True)])[0]
    body = engine.policy.without_disclaimers(out.reply)
    assert faithful(body, list(RATE)), out.reply
    assert out.attention is not None and "<act=answer_rate>" in out.attention.input_tokens


def test_placeholders_the_acts_cannot_fill_are_masked(engine: GeneratorEngine) -> None:  # noqa: F811 - the fixture imported above
    banned = engine._banned_placeholders([with_acts(RATE)])[0]
    tok = engine.tokenizer
    assert bool(banned[tok.convert_tokens_to_ids("[monthly_income]")])  # no act carries it
    assert bool(banned[tok.convert_tokens_to_ids("[loan_amount]")])  # in no act's arguments
    assert not bool(banned[tok.convert_tokens_to_ids("[rate]")])
    assert not bool(banned[tok.convert_tokens_to_ids("[product]")])


def test_too_many_or_too_long_acts_are_rejected() -> None:
    with pytest.raises(InvalidInputError):
        validate(with_acts([act("greet")] * 9))
    with pytest.raises(InvalidInputError):
        validate(with_acts([Act("confirm_heard", {"transcript": "x" * 401})]))


def test_a_request_without_acts_gets_the_dialogue_managers_acts() -> None:
    req = generator_pb2.GenerateRequest()
    req.state.active_intent = "ask_rate"
    req.state.slots["product"].value = "auto_loan"
    acts = acts_of(req)
    assert acts[0] == act("answer_rate", product="auto_loan", rate="5.9")
    given = generator_pb2.GenerateRequest()
    given.acts.add(name="handoff")
    given.acts.add(name="not_an_act")  # a newer writer's act is skipped, not an error
    assert [a.name for a in acts_of(given)] == ["handoff"]
    assert re.fullmatch(r"[a-z_]+", acts[1].name)


def test_act_tokens_do_not_depend_on_the_order_arguments_arrived_in() -> None:
    a = act("inform_decision", decision="refer", reason="r", needs="age", instalment="9",
            currency="EUR")
    shuffled = Act("inform_decision", dict(reversed(list(a.args.items()))))
    assert build_source(with_acts([shuffled])) == build_source(with_acts([a]))
    assert build_source(with_acts([a])).endswith(
        "<act=inform_decision> <decision=refer> <has=reason> <has=needs> <has=instalment> "
        "<has=currency>")
