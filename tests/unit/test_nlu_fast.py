"""The compiled inference path of Understanding gives what the scikit-learn pipelines give.

The compiled path replaces ``Pipeline.predict_proba`` for the pipeline shapes that
``make_intent_pipeline`` / ``make_slot_pipeline`` build; every check here compares it with the
scikit-learn pipelines themselves, on the committed model, on tiny models trained here (the
binary logistic case included), and on pipelines of other shapes, which must fall back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from finadvisor.corpus import simulate
from finadvisor.services.state.nlu import (
    MAX_TEXT_CHARS,
    NLUResult,
    Understanding,
    _Unsupported,
    candidates,
    intent_text,
    make_slot_pipeline,
    slot_training_data,
)
from finadvisor.services.state.training import user_turns
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

ATOL = 1e-12

EDGE_TEXTS: list[str] = [
    "",
    "   \n\t ",
    "?!...,;:--",
    "¿¡«»…—",
    "zorblax quindle vreep snarfulous",
    "xq zz kkkk",
    "Ich möchte 5000 € leihen, über 3 Jahre",
    "naïve café façade über straße",
    "我想借一万元买车",
    "💰💰 need money 💸",
    "ＡＢＣ １２３ full width",
    "١٢٣ and ٣٤ are numbers too",
    "I earn 1,234.56 a month",
    "I earn 1.234,56 a month",
    "borrow 5k over 36 months",
    "borrow 5K, maybe 7.5k",
    "£3,850 net and $1,200,000 saved",
    "€12 000 for a car",
    "I'm twenty-nine with 2 kids",
    "1e6 0.5% 3.75 percent -500 +42",
    "12/05/2024 at 10:30",
    "000000 0 00 0.0",
    "99999999999999999999999",
    "a loan of 1.2 million over 25 years at 4.5%",
    "I am 38, earn 60000 a year, pay 300 a month on debts and want 15000",
    ("I earn 4000 a month and I'd like to borrow 20,000 euros over 3 years " * 40)[:MAX_TEXT_CHARS],
    ("é" * MAX_TEXT_CHARS),
    ("12345 " * 400)[:MAX_TEXT_CHARS],
]


def corpus_texts(n_dialogues: int, seed: int, limit: int) -> list[str]:
    """Distinct user texts of simulated dialogues, in order."""
    texts = [t["text"] for t in user_turns(simulate(n_dialogues, seed=seed, split="test"))]
    return list(dict.fromkeys(texts))[:limit]


def reference(model: Understanding) -> Understanding:
    """The same pipelines, answered by scikit-learn only."""
    return Understanding(model.intent_model, model.slot_model, model.version, model.min_slot_confidence,
                         compiled=False)


def assert_same_results(got: list[NLUResult], want: list[NLUResult]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.intent == w.intent
        assert g.mentions == w.mentions
        assert g.intent_confidence == pytest.approx(w.intent_confidence, abs=ATOL)
        assert list(g.intent_probabilities) == list(w.intent_probabilities)
        np.testing.assert_allclose(list(g.intent_probabilities.values()), list(w.intent_probabilities.values()),
                                   rtol=0, atol=ATOL)


def assert_agrees_with_sklearn(model: Understanding, texts: list[str]) -> int:
    """Compiled probabilities == pipeline probabilities, and whole results; number features seen."""
    docs = [intent_text(t) for t in texts]
    got = model.predict_intent_proba(docs)
    want = model.intent_model.predict_proba(docs)
    assert got.shape == want.shape == (len(texts), len(model.intents_))
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
    feats = [f for t in texts for f in candidates(t)[3]]
    if feats:
        got = model.predict_slot_proba(feats)
        want = model.slot_model.predict_proba(feats)
        assert got.shape == want.shape == (len(feats), len(model.slot_labels_))
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
    assert_same_results(model.understand_batch(texts), reference(model).understand_batch(texts))
    return len(feats)


# --------------------------------------------------------------------------- the committed model
@pytest.fixture(scope="module")
def default() -> Understanding:
    return Understanding.load(BUNDLED_MODELS_DIR / "nlu")


def test_committed_model_is_compiled(default: Understanding) -> None:
    # If the pipeline shape ever changes, the speed-up must not silently disappear.
    assert default.fast_path == {"intent": True, "slot": True}
    assert reference(default).fast_path == {"intent": False, "slot": False}


def test_committed_model_agrees_on_corpus_texts(default: Understanding) -> None:
    texts = corpus_texts(60, seed=11, limit=300)
    assert len(texts) >= 200
    n_numbers = assert_agrees_with_sklearn(default, texts)
    assert n_numbers >= 100


def test_committed_model_agrees_on_edge_cases(default: Understanding) -> None:
    assert all(len(t) <= MAX_TEXT_CHARS for t in EDGE_TEXTS)
    assert_agrees_with_sklearn(default, EDGE_TEXTS)
    # One at a time as well: a batch of one is the serving case.
    for text in EDGE_TEXTS:
        assert_same_results([default.understand(text)], reference(default).understand_batch([text]))


def test_committed_model_batch_equals_single(default: Understanding) -> None:
    texts = corpus_texts(10, seed=12, limit=40) + EDGE_TEXTS[:6]
    assert default.understand_batch(texts) == [default.understand(t) for t in texts]


# --------------------------------------------------------------------------- two intents (binary)
@pytest.fixture(scope="module")
def train_turns() -> list[dict[str, Any]]:
    return user_turns(simulate(30, seed=0, split="train"))


@pytest.fixture(scope="module")
def binary(train_turns: list[dict[str, Any]]) -> Understanding:
    turns = [t for t in train_turns if t["intent"] in ("apply_loan", "inform")]
    return Understanding.fit(turns, intent_c=1.0, char_features=1000)


def test_two_intents_use_the_binary_logistic_form(binary: Understanding) -> None:
    assert binary.intents_ == ["apply_loan", "inform"]
    assert binary.intent_model.named_steps["clf"].coef_.shape[0] == 1
    assert binary.fast_path == {"intent": True, "slot": True}
    texts = corpus_texts(20, seed=13, limit=150) + EDGE_TEXTS
    assert_agrees_with_sklearn(binary, texts)
    probs = binary.predict_intent_proba([intent_text(t) for t in texts])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)


def test_binary_slot_model_agrees(train_turns: list[dict[str, Any]], binary: Understanding) -> None:
    feats, labels = slot_training_data(train_turns)
    two = ["loan_amount" if label == "loan_amount" else "none" for label in labels]
    slot_model = make_slot_pipeline().fit(feats, two)
    fitted = {name: dict(vars(step)) for name, step in slot_model.steps}
    model = Understanding(binary.intent_model, slot_model)
    assert model.slot_labels_ == ["loan_amount", "none"] and model.fast_path["slot"]
    texts = corpus_texts(20, seed=14, limit=150) + EDGE_TEXTS
    assert assert_agrees_with_sklearn(model, texts) >= 30
    # The compiled path is derived state: what is saved (the pipeline) is left as fitted.
    for name, step in slot_model.steps:
        assert vars(step).keys() == fitted[name].keys()
        for key, value in vars(step).items():
            assert value is fitted[name][key]
    assert slot_model.named_steps["clf"].coef_.shape == (1, len(slot_model.named_steps["vec"].vocabulary_))


# --------------------------------------------------------------------------- other shapes fall back
@pytest.fixture(scope="module")
def tiny(train_turns: list[dict[str, Any]]) -> Understanding:
    # A weak regularisation-heavy fit: quick, and still a 15-way softmax.
    return Understanding.fit(train_turns, intent_c=1.0, char_features=1000)


def intent_data(turns: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    pairs = sorted({(intent_text(t["text"]), t["intent"]) for t in turns})
    return [d for d, _i in pairs], [i for _d, i in pairs]


def union(**char_params: Any) -> FeatureUnion:
    return FeatureUnion([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                 token_pattern=r"(?u)\b\w+\b")),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=1000,
                                 **char_params)),
    ])


def test_another_classifier_falls_back_to_sklearn(tiny: Understanding, train_turns: list[dict[str, Any]]) -> None:
    docs, intents = intent_data(train_turns)
    other = Pipeline([("features", union(sublinear_tf=True)),
                      ("clf", SGDClassifier(loss="log_loss", random_state=0))]).fit(docs, intents)
    model = Understanding(other, tiny.slot_model)
    assert model.fast_path == {"intent": False, "slot": True}
    texts = corpus_texts(10, seed=15, limit=60) + EDGE_TEXTS[:8]
    results = model.understand_batch(texts)
    want = other.predict_proba([intent_text(t) for t in texts])
    assert [r.intent for r in results] == [str(other.classes_[k]) for k in want.argmax(axis=1)]
    assert_agrees_with_sklearn(model, texts)


def test_other_tfidf_settings(tiny: Understanding, train_turns: list[dict[str, Any]]) -> None:
    docs, intents = intent_data(train_turns)
    texts = corpus_texts(10, seed=16, limit=60) + EDGE_TEXTS
    # Raw term frequencies are compiled too...
    raw_tf = Pipeline([("features", union(sublinear_tf=False)),
                       ("clf", LogisticRegression(C=1.0, max_iter=300))]).fit(docs, intents)
    model = Understanding(raw_tf, tiny.slot_model)
    assert model.fast_path["intent"]
    assert_agrees_with_sklearn(model, texts)
    # ...an l1 norm is not: scikit-learn answers.
    l1 = Pipeline([("features", union(norm="l1")), ("clf", LogisticRegression(C=1.0, max_iter=300))]).fit(docs, intents)
    model = Understanding(l1, tiny.slot_model)
    assert not model.fast_path["intent"]
    assert_agrees_with_sklearn(model, texts)


def test_replaced_pipeline_is_recompiled(tiny: Understanding, binary: Understanding) -> None:
    model = Understanding(tiny.intent_model, tiny.slot_model)
    model.intent_model = binary.intent_model
    model.intents_ = binary.intents_
    docs = [intent_text(t) for t in corpus_texts(5, seed=17, limit=30)]
    np.testing.assert_allclose(model.predict_intent_proba(docs), binary.intent_model.predict_proba(docs),
                               rtol=0, atol=ATOL)
    assert model.fast_path["intent"]


def test_unusual_slot_features(tiny: Understanding) -> None:
    vec: DictVectorizer = tiny.slot_model.named_steps["vec"]
    names = list(vec.vocabulary_)
    plain = next(n for n in names if "=" not in n)
    prefix, value = next(n for n in names if "=" in n).split("=", 1)
    base = candidates("I'd like to borrow 12000 euros over 3 years")[3][0]
    supported: list[dict[str, Any]] = [
        base,
        {**base, plain: True},
        {**base, plain: 3},
        {**base, "not_a_feature": 2.5, "also_not": "x"},
        {prefix: [value, "never-seen"]},
        {prefix: (value,)},
        {},
    ]
    assert tiny.fast_path["slot"]
    fast = tiny._compiled_slots()
    assert fast is not None
    np.testing.assert_allclose(fast.predict_proba(supported), tiny.slot_model.predict_proba(supported),
                               rtol=0, atol=ATOL)
    # Values the compiled path does not take are answered by scikit-learn, whole batch.
    for odd in ({**base, plain: np.int64(2)}, {prefix: [value, value]}, {f"{prefix}={value}": 1.0, prefix: value}):
        batch = [base, odd]
        with pytest.raises(_Unsupported):
            fast.predict_proba(batch)
        np.testing.assert_allclose(tiny.predict_slot_proba(batch), tiny.slot_model.predict_proba(batch),
                                   rtol=0, atol=ATOL)
    with pytest.raises(TypeError):
        tiny.predict_slot_proba([{prefix: {"a": 1}}])
