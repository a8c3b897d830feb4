"""Understanding one user turn: intent with calibrated probabilities, and slot mentions.

- Intent: TF-IDF word (1-2) and character (2-5, typo tolerant) n-grams into a multinomial
  logistic regression, one scikit-learn Pipeline; its probabilities are the intent confidence.
- Slots: closed-set phrases and currencies are read by rules (``normalize.find_phrases``); every
  number found by ``normalize.find_numbers`` is then assigned a slot (or none) by a learned
  classifier over its context (neighbouring words, unit, magnitude, the words of the utterance),
  and normalised to its canonical value. The classifier also tells a yearly income from a monthly
  one, so "60000 a year" becomes monthly_income 5000.

Models persist with skops under an explicit list of trusted types, behind a sha256 manifest:
nothing is unpickled, and a tampered file is refused before it is read.

Inference does not go through the scikit-learn pipelines when they have the shapes built by
``make_intent_pipeline`` / ``make_slot_pipeline``: their fitted arrays are compiled once into a
plain numpy path (``_CompiledIntent`` / ``_CompiledSlots``) that repeats scikit-learn's arithmetic
in the same order, so the probabilities are the same, without scikit-learn's per-call checks
(about 85 % of a turn's cost). Any other pipeline shape is answered by scikit-learn as before.
"""

from __future__ import annotations

import json
import math
import zipfile
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from finadvisor.corpus.ontology import NUMERIC_SLOTS
from finadvisor.services.state.normalize import (
    NumberSpan,
    find_numbers,
    find_phrases,
    fold,
    normalize_number_for_slot,
    one_edit,
)
from finadvisor.shared.artifacts import verify_manifest, write_manifest
from finadvisor.shared.errors import InvalidInputError, ModelNotReadyError

NLU_VERSION: str = "nlu-1.0"
MAX_TEXT_CHARS: int = 2000
#: Label of a number that fills no slot, and of a yearly income (divided by 12).
NONE_LABEL: str = "none"
YEARLY_INCOME_LABEL: str = "monthly_income_yearly"
#: Below this probability a number's best slot is not trusted (it is dropped).
MIN_SLOT_CONFIDENCE: float = 0.3
DURATION_SLOTS: frozenset[str] = frozenset({"loan_term_months", "employment_years", "investment_horizon_years"})

INTENT_FILE = "intent.skops"
SLOT_FILE = "slots.skops"
CONFIG_FILE = "config.json"

#: Every type the two skops files may contain; anything else is refused at load time.
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "numpy.int32",
    "numpy.str_",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._csr.csr_array",
    "sklearn.feature_extraction._dict_vectorizer.DictVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
)

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*|[^\sa-z\d]")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[a-z]+")

#: Cue words: general English knowledge of what a word signals (a gazetteer), so a phrasing
#: never seen in training ("yep", "plot", "my debts cost me") still lands on the right intent or
#: slot. Matching tolerates one typo in words of five letters or more.
CUES: dict[str, tuple[str, ...]] = {
    "affirm": ("yes", "yeah", "yep", "yup", "sure", "absolutely", "correct", "exactly", "okay", "ok",
               "definitely", "certainly", "indeed", "agreed"),
    "deny": ("no", "nope", "nah", "not", "wrong", "incorrect", "never", "negative", "mistake"),
    "greet": ("hi", "hello", "hey", "morning", "afternoon", "evening", "greetings", "hiya", "howdy", "day"),
    "bye": ("bye", "goodbye", "farewell", "later", "cya", "done"),
    "thank": ("thanks", "thank", "thx", "cheers", "appreciated", "appreciate", "grateful", "helpful"),
    "chart": ("chart", "graph", "plot", "diagram", "figure", "trend", "axis", "curve", "picture"),
    "rate": ("rate", "rates", "interest", "apr", "aer", "percent", "expensive"),
    "human": ("human", "person", "agent", "operator", "staff", "someone", "representative", "real",
              "colleague", "call"),
    "document": ("payslip", "statement", "passport", "licence", "license", "id", "document", "attached",
                 "attaching", "uploading", "upload", "scan", "photo", "copy", "slip", "stub", "proof",
                 "sending", "identification", "identity"),
    "eligibility": ("eligible", "eligibility", "qualify", "approved", "accepted", "approve", "chances"),
    "savings": ("save", "saving", "savings", "emergency", "aside", "buffer"),
    "advice": ("advice", "advise", "suggest", "recommend", "tips", "best", "should", "how", "what", "help"),
    "income": ("earn", "earning", "earns", "income", "salary", "wage", "wages", "paid", "make", "makes",
               "making", "net", "take", "bring", "payslip", "gross"),
    "debt": ("debt", "debts", "repay", "repayments", "repayment", "owe", "loans", "credit", "paying", "cost",
             "instalments"),
    "loan": ("borrow", "borrowing", "loan", "lend", "financing", "finance"),
    "invest": ("invest", "investing", "investment", "investments", "invested", "portfolio", "horizon",
               "shares", "stocks", "funds"),
    "term": ("over", "term", "back", "repaid", "spread", "within", "duration"),
    "employment": ("job", "company", "employer", "work", "worked", "working", "role", "firm", "employed",
                   "career", "position"),
    "age": ("old", "age", "aged", "turned", "born", "birthday"),
    "dependents": ("kids", "children", "child", "dependents", "dependants", "family", "sons", "daughters"),
    "yearly": ("yearly", "annual", "annually", "annum", "year", "p.a"),
    "monthly": ("month", "monthly", "months"),
    "correction": ("actually", "instead", "sorry", "meant", "correction", "change", "oops", "wait", "rather"),
}
#: Cue classes that show a text is about finadvisor's business at all.
DOMAIN_CUES: frozenset[str] = frozenset(
    {"rate", "document", "chart", "eligibility", "savings", "income", "debt", "loan", "invest", "term",
     "employment", "age", "dependents", "human"}
)
_CUE_INDEX: dict[str, list[str]] = {}
for _cls, _words in CUES.items():
    for _w in _words:
        _CUE_INDEX.setdefault(_w, []).append(_cls)


@lru_cache(maxsize=65536)
def cue_classes(word: str) -> tuple[str, ...]:
    """Cue classes of one lower-case word (exact, or one typo away for words of 5+ letters)."""
    if word in _CUE_INDEX:
        return tuple(_CUE_INDEX[word])
    if len(word) < 5:
        return ()
    found: list[str] = []
    for w, classes in _CUE_INDEX.items():
        if len(w) >= 5 and one_edit(word, w):
            found.extend(classes)
    return tuple(sorted(set(found)))


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Mention:
    """One slot value read from the text: canonical value, confidence and character span."""

    slot: str
    value: str
    confidence: float
    start: int
    end: int
    source: str = "text"


@dataclass(frozen=True)
class NLUResult:
    intent: str
    intent_confidence: float
    intent_probabilities: dict[str, float]
    mentions: list[Mention] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- features
def _has_slot_words(text: str) -> bool:
    """True when the text names a slot value (a product, a currency, an amount...)."""
    return bool(find_phrases(text)[0]) or bool(find_numbers(text))


def intent_text(text: str) -> str:
    """What the intent model reads: folded case, every digit as 0 (amounts do not matter), and
    one ``cue_<class>`` token per cue word so unseen synonyms share a feature with seen ones."""
    low = fold(text)
    cues = [f"cue_{c}" for w in _WORD.findall(low) for c in cue_classes(w)]
    if not any(c[4:] in DOMAIN_CUES for c in cues) and not _has_slot_words(text):
        cues.append("cue_offdomain")
    words = _WORD.findall(low)
    if words:
        # The first word tells a fragment answer ("a term of...") from a request ("I'd like...").
        cues.insert(0, f"first_{words[0]}")
    return _DIGIT.sub("0", low) + (" || " + " ".join(cues) if cues else "")


def _tokens(low: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(low)]


def _shape(tok: str) -> str:
    return "<num>" if tok[0].isdigit() else tok


def number_features(low: str, number: NumberSpan, numbers: Sequence[NumberSpan], index: int,
                    currency_spans: Sequence[tuple[int, int]]) -> dict[str, float]:
    """Context features of one number: what the slot classifier reads.

    Words near the number (by position and as a bag), 4-letter prefixes (robust to typos), the
    unit, the magnitude, whether a currency is attached, and the words of the whole utterance.
    """
    toks = _tokens(low)
    left = [_shape(t) for t, _s, e in toks if e <= number.start]
    right = [_shape(t) for t, s, _e in toks if s >= number.unit_end]
    value = float(number.value)
    f: dict[str, float] = {"bias": 1.0, f"unit={number.unit or 'none'}": 1.0}
    f["mag=" + (str(int(math.log10(value))) if value >= 1 else "lt1")] = 1.0
    if value == int(value):
        f["int"] = 1.0
        if value <= 10:
            f[f"small={int(value)}"] = 1.0
        elif 16 <= value <= 99:
            f["age_range"] = 1.0
    if number.words:
        f["words"] = 1.0
    if number.shorthand:
        f["shorthand"] = 1.0
    for i, t in enumerate(reversed(left[-4:])):
        f[f"L{i + 1}={t}"] = 1.0
    for i, t in enumerate(right[:4]):
        f[f"R{i + 1}={t}"] = 1.0
    if len(left) >= 2:
        f[f"L21={left[-2]} {left[-1]}"] = 1.0
    if len(right) >= 2:
        f[f"R12={right[0]} {right[1]}"] = 1.0
    for t in left[-6:]:
        f[f"lw={t}"] = 1.0
        f[f"lwp={t[:4]}"] = 1.0
    for t in right[:6]:
        f[f"rw={t}"] = 1.0
        f[f"rwp={t[:4]}"] = 1.0
    for t, _s, _e in toks:
        f[f"bow={_shape(t)}"] = 0.5
        for c in cue_classes(t):
            f[f"cue={c}"] = 1.0
    for t in left[-6:]:
        for c in cue_classes(t):
            f[f"lcue={c}"] = 1.0
    for t in left[-3:]:
        for c in cue_classes(t):
            f[f"lcue3={c}"] = 1.0
    for t in right[:4]:
        for c in cue_classes(t):
            f[f"rcue={c}"] = 1.0
    if any(abs(e - number.start) <= 1 or abs(s - number.unit_end) <= 1 for s, e in currency_spans):
        f["currency_adjacent"] = 1.0
    f[f"n_numbers={min(len(numbers), 3)}"] = 1.0
    f["position=" + ("first" if index == 0 else "last" if index == len(numbers) - 1 else "middle")] = 1.0
    return f


def candidates(text: str) -> tuple[str, list[Any], list[NumberSpan], list[dict[str, float]]]:
    """(folded text, rule mentions, candidate numbers, their features) for one utterance."""
    low = fold(text)
    rules, consumed = find_phrases(text)
    numbers = [n for n in find_numbers(text) if not any(s < n.end and n.start < e for s, e in consumed)]
    currency_spans = [(m.start, m.end) for m in rules if m.slot == "currency"]
    feats = [number_features(low, n, numbers, i, currency_spans) for i, n in enumerate(numbers)]
    return low, rules, numbers, feats


def number_label(number: NumberSpan, annotations: Iterable[dict[str, Any]]) -> str:
    """Training label of a candidate number from a turn's slot annotations."""
    for a in annotations:
        if a["start"] < number.unit_end and number.start < a["end"]:
            slot = a["slot"]
            if slot not in NUMERIC_SLOTS:
                return NONE_LABEL
            if slot == "monthly_income" and normalize_number_for_slot(slot, number) != a["value"] and \
                    normalize_number_for_slot(slot, number, yearly=True) == a["value"]:
                return YEARLY_INCOME_LABEL
            return slot
    return NONE_LABEL


# --------------------------------------------------------------------------- estimators
def make_intent_pipeline(seed: int = 0, c: float = 10.0, char_features: int = 30000) -> Pipeline:
    """TF-IDF word and character n-grams -> multinomial logistic regression (probabilities)."""
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                                 token_pattern=r"(?u)\b\w+\b")),
                        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                                 sublinear_tf=True, max_features=char_features)),
                    ]
                ),
            ),
            ("clf", LogisticRegression(C=c, max_iter=2000, random_state=seed)),
        ]
    )


def make_slot_pipeline(seed: int = 0, c: float = 5.0) -> Pipeline:
    """Context features of a number -> its slot (or none), a logistic regression."""
    return Pipeline(
        [
            ("vec", DictVectorizer()),
            ("clf", LogisticRegression(C=c, max_iter=3000, random_state=seed)),
        ]
    )


# --------------------------------------------------------------------------- compiled inference
class _Unsupported(Exception):
    """An input the compiled path does not reproduce exactly: scikit-learn answers it instead."""


@dataclass(frozen=True)
class _CompiledLogistic:
    """``LogisticRegression.predict_proba`` on sparse rows, as scikit-learn computes it.

    scikit-learn multiplies a CSR matrix by ``coef_.T``: for each row it adds ``value * coef_T[col]``
    column by column in increasing column order, then adds ``intercept_``; more than two classes
    go through ``softmax``, two through ``expit`` of the single score. Summing the gathered rows
    along axis 0 adds them in that same order, so the results are the same floats.
    """

    coef_t: np.ndarray  # (n_features, n_outputs) float64, C-contiguous; n_outputs 1 when binary
    intercept: np.ndarray  # (n_outputs,) float64
    binary: bool

    @classmethod
    def compile(cls, clf: Any, n_features: int) -> _CompiledLogistic | None:
        """The compiled form of a fitted LogisticRegression, or None when it is anything else."""
        if type(clf) is not LogisticRegression:
            return None
        coef = getattr(clf, "coef_", None)
        intercept = getattr(clf, "intercept_", None)
        classes = getattr(clf, "classes_", None)
        if not (isinstance(coef, np.ndarray) and isinstance(intercept, np.ndarray) and isinstance(classes, np.ndarray)):
            return None
        binary = len(classes) <= 2
        n_outputs = 1 if binary else len(classes)
        if coef.dtype != np.float64 or intercept.dtype != np.float64 or len(classes) < 2:
            return None
        if coef.shape != (n_outputs, n_features) or intercept.shape != (n_outputs,):
            return None
        return cls(np.ascontiguousarray(coef.T), intercept.copy(), binary)

    def predict_proba(self, rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Probabilities (n_rows, n_classes) of sparse rows given as (sorted columns, values)."""
        scores = np.empty((len(rows), self.coef_t.shape[1]), dtype=np.float64)  # (n_rows, n_outputs)
        for i, (cols, data) in enumerate(rows):
            # (nnz, 1) * (nnz, n_outputs) summed over nnz -> (n_outputs,), added in column order.
            scores[i] = (data[:, None] * self.coef_t[cols]).sum(axis=0)
        scores += self.intercept
        if self.binary:
            prob = scores.reshape(-1)  # (n_rows,): the score of classes_[1]
            expit(prob, out=prob)
            return np.stack([1 - prob, prob], axis=1)  # (n_rows, 2)
        scores -= scores.max(axis=1).reshape(-1, 1)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1).reshape(-1, 1)
        return scores


@dataclass(frozen=True)
class _CompiledTfidf:
    """One fitted TfidfVectorizer, reduced to what its ``transform`` reads."""

    analyze: Callable[[str], Any]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_terms,) float64
    sublinear: bool

    @classmethod
    def compile(cls, vectorizer: Any) -> _CompiledTfidf | None:
        """The compiled vectorizer, or None when it is not a fitted, plain l2 tf-idf."""
        if type(vectorizer) is not TfidfVectorizer:
            return None
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        try:
            idf = vectorizer.idf_
        except AttributeError:  # not fitted, or use_idf=False
            return None
        if not (
            isinstance(vocabulary, dict)
            and isinstance(idf, np.ndarray)
            and idf.dtype == np.float64
            and idf.shape == (len(vocabulary),)
            and vectorizer.input == "content"
            and vectorizer.analyzer in ("word", "char", "char_wb")
            and vectorizer.binary is False
            and vectorizer.dtype is np.float64
            and vectorizer.norm == "l2"
            and vectorizer.use_idf is True
            and isinstance(vectorizer.sublinear_tf, bool)
        ):
            return None
        return cls(vectorizer.build_analyzer(), vocabulary, idf, vectorizer.sublinear_tf)


@dataclass(frozen=True)
class _CompiledIntent:
    """``Pipeline([FeatureUnion([TfidfVectorizer, ...]), LogisticRegression])`` compiled.

    Each vectorizer's block is what its ``transform`` gives: counts of the analyzer's
    in-vocabulary terms, ``1 + log(count)`` when sublinear, times ``idf_``, divided by the block's
    own l2 norm (squares summed one after the other in column order, as scikit-learn's
    ``inplace_csr_row_normalize_l2`` does); FeatureUnion puts the blocks side by side.
    """

    blocks: tuple[_CompiledTfidf, ...]
    offsets: tuple[int, ...]  # first column of each block in the union
    clf: _CompiledLogistic

    @classmethod
    def compile(cls, model: Any) -> _CompiledIntent | None:
        """The compiled intent model, or None when it is not of the shape compiled here."""
        if type(model) is not Pipeline or len(model.steps) != 2:
            return None
        union, clf = model.steps[0][1], model.steps[1][1]
        if type(union) is not FeatureUnion or union.transformer_weights is not None or not union.transformer_list:
            return None
        blocks: list[_CompiledTfidf] = []
        offsets: list[int] = []
        offset = 0
        for _name, vectorizer in union.transformer_list:
            compiled = _CompiledTfidf.compile(vectorizer)
            if compiled is None:
                return None
            blocks.append(compiled)
            offsets.append(offset)
            offset += len(compiled.vocabulary)
        linear = _CompiledLogistic.compile(clf, offset)
        if linear is None:
            return None
        return cls(tuple(blocks), tuple(offsets), linear)

    def row(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """(sorted columns, values) of ``doc``'s row of the FeatureUnion's output."""
        col_parts: list[np.ndarray] = []
        data_parts: list[np.ndarray] = []
        for block, offset in zip(self.blocks, self.offsets, strict=True):
            terms = block.analyze(doc)
            # Column of every term (-1 when out of vocabulary), looked up in C by map().
            idx = np.fromiter(map(block.vocabulary.get, terms, repeat(-1, len(terms))), dtype=np.intp,
                              count=len(terms))  # (n_terms,)
            cols, counts = np.unique(idx[idx >= 0], return_counts=True)  # sorted columns, (nnz_block,)
            data = counts.astype(np.float64)  # (nnz_block,)
            if data.size:
                if block.sublinear:
                    np.log(data, out=data)
                    data += 1.0
                data *= block.idf[cols]
                # Squares summed one after the other, as inplace_csr_row_normalize_l2 does.
                norm2 = float(np.add.accumulate(data * data)[-1])
                if norm2 != 0.0:
                    data /= math.sqrt(norm2)
            col_parts.append(cols + offset)
            data_parts.append(data)
        return np.concatenate(col_parts), np.concatenate(data_parts)  # (nnz,), (nnz,)

    def predict_proba(self, docs: Sequence[str]) -> np.ndarray:
        """Same as the pipeline's ``predict_proba(docs)``: (n_docs, n_intents)."""
        return self.clf.predict_proba([self.row(doc) for doc in docs])


@dataclass(frozen=True)
class _CompiledSlots:
    """``Pipeline([DictVectorizer(sparse=True), LogisticRegression])`` compiled.

    Feature dicts are read as ``DictVectorizer.transform`` reads them: a string value is the
    feature ``name<sep>value`` with 1.0, a number is the feature ``name`` with its value, a list,
    tuple or set of strings is one ``name<sep>item`` feature per item; unknown features are
    ignored. Any other value, or two values landing on one column, raises ``_Unsupported`` and
    scikit-learn answers that batch.
    """

    vocabulary: dict[Any, int]
    separator: str
    clf: _CompiledLogistic

    @classmethod
    def compile(cls, model: Any) -> _CompiledSlots | None:
        """The compiled slot model, or None when it is not of the shape compiled here."""
        if type(model) is not Pipeline or len(model.steps) != 2:
            return None
        vec, clf = model.steps[0][1], model.steps[1][1]
        if type(vec) is not DictVectorizer:
            return None
        vocabulary = getattr(vec, "vocabulary_", None)
        if not (isinstance(vocabulary, dict) and isinstance(vec.separator, str) and vec.sparse is True
                and vec.dtype is np.float64):
            return None
        linear = _CompiledLogistic.compile(clf, len(vocabulary))
        if linear is None:
            return None
        return cls(vocabulary, vec.separator, linear)

    def row(self, x: Mapping[Any, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(sorted columns, values) of one feature dict."""
        vocabulary, sep = self.vocabulary, self.separator
        found: list[tuple[int, float]] = []
        for f, v in x.items():
            if isinstance(v, str):
                j = vocabulary.get("%s%s%s" % (f, sep, v))  # noqa: UP031 - DictVectorizer's own format
                if j is not None:
                    found.append((j, 1.0))
            elif isinstance(v, (int, float)):  # bool is an int; np.float64 is a float
                j = vocabulary.get(f)
                if j is not None:
                    found.append((j, float(v)))
            elif isinstance(v, (list, tuple, set, frozenset)):
                for vv in v:
                    if not isinstance(vv, str):
                        raise _Unsupported("non-string item in an iterable value")
                    j = vocabulary.get("%s%s%s" % (f, sep, vv))  # noqa: UP031
                    if j is not None:
                        found.append((j, 1.0))
            else:
                raise _Unsupported(f"value of type {type(v).__name__}")
        found.sort()
        cols = [j for j, _v in found]
        if len(set(cols)) != len(cols):
            # scipy's sort_indices does not keep the order of equal columns: not reproducible.
            raise _Unsupported("two values on one column")
        return np.array(cols, dtype=np.intp), np.array([v for _j, v in found], dtype=np.float64)

    def predict_proba(self, feats: Sequence[Mapping[Any, Any]]) -> np.ndarray:
        """Same as the pipeline's ``predict_proba(feats)``: (n_feats, n_labels)."""
        return self.clf.predict_proba([self.row(x) for x in feats])


# --------------------------------------------------------------------------- the model
class Understanding:
    """Intent and slot understanding of one text turn; load it with ``Understanding.load``."""

    def __init__(self, intent_model: Pipeline, slot_model: Pipeline, version: str = NLU_VERSION,
                 min_slot_confidence: float = MIN_SLOT_CONFIDENCE, compiled: bool = True) -> None:
        """``compiled=False`` keeps inference on the scikit-learn pipelines (a reference to
        compare the compiled path with); the compiled path is derived state, never saved."""
        self.intent_model = intent_model
        self.slot_model = slot_model
        self.version = version
        self.min_slot_confidence = min_slot_confidence
        self.intents_: list[str] = [str(c) for c in intent_model.classes_]
        self.slot_labels_: list[str] = [str(c) for c in slot_model.classes_]
        self.compiled = compiled
        # (pipeline compiled from, its compiled form or None when its shape is not compiled).
        self._intent_fast: tuple[Any, _CompiledIntent | None] = (None, None)
        self._slot_fast: tuple[Any, _CompiledSlots | None] = (None, None)
        self._compiled_intent()
        self._compiled_slots()

    @property
    def fast_path(self) -> dict[str, bool]:
        """Which models are answered by the compiled path (the others by scikit-learn)."""
        return {"intent": self._compiled_intent() is not None, "slot": self._compiled_slots() is not None}

    def _compiled_intent(self) -> _CompiledIntent | None:
        # Compiled again when the pipeline object is replaced (an in-place refit is not noticed).
        if not self.compiled:
            return None
        source, fast = self._intent_fast
        if source is not self.intent_model:
            fast = _CompiledIntent.compile(self.intent_model)
            self._intent_fast = (self.intent_model, fast)
        return fast

    def _compiled_slots(self) -> _CompiledSlots | None:
        if not self.compiled:
            return None
        source, fast = self._slot_fast
        if source is not self.slot_model:
            fast = _CompiledSlots.compile(self.slot_model)
            self._slot_fast = (self.slot_model, fast)
        return fast

    def predict_intent_proba(self, docs: Sequence[str]) -> np.ndarray:
        """Intent probabilities (n_docs, n_intents) of model inputs (``intent_text`` outputs),
        exactly ``intent_model.predict_proba(docs)``, by the compiled path when there is one."""
        fast = self._compiled_intent()
        return fast.predict_proba(docs) if fast is not None else self.intent_model.predict_proba(docs)

    def predict_slot_proba(self, feats: Sequence[dict[str, Any]]) -> np.ndarray:
        """Slot label probabilities (n_feats, n_labels) of number features (``candidates``),
        exactly ``slot_model.predict_proba(feats)``, by the compiled path when it applies."""
        fast = self._compiled_slots()
        if fast is not None:
            try:
                return fast.predict_proba(feats)
            except _Unsupported:
                pass
        return self.slot_model.predict_proba(feats)

    # -- training
    @classmethod
    def fit(cls, turns: Sequence[dict[str, Any]], seed: int = 0, version: str = NLU_VERSION,
            intent_c: float = 10.0, slot_c: float = 5.0, char_features: int = 30000) -> Understanding:
        """Train on annotated user turns (``text``, ``intent``, ``slots``)."""
        pairs = sorted({(intent_text(t["text"]), t["intent"]) for t in turns})
        if len({i for _t, i in pairs}) < 2:
            raise InvalidInputError("training data needs at least two intents")
        intent_model = make_intent_pipeline(seed, intent_c, char_features)
        intent_model.fit([t for t, _i in pairs], [i for _t, i in pairs])
        for _name, vectorizer in intent_model.named_steps["features"].transformer_list:
            # The n-grams cut by min_df/max_features: only kept for introspection, and large.
            if hasattr(vectorizer, "stop_words_"):
                del vectorizer.stop_words_
        feats, labels = slot_training_data(turns)
        if len(set(labels)) < 2:
            raise InvalidInputError("training data needs numbers of at least two slots")
        slot_model = make_slot_pipeline(seed, slot_c)
        slot_model.fit(feats, labels)
        return cls(intent_model, slot_model, version)

    # -- inference
    def understand(self, text: str, source: str = "text") -> NLUResult:
        """Intent and slot mentions of ``text`` (InvalidInputError when it is too long)."""
        return self.understand_batch([text], [source])[0]

    def understand_batch(self, texts: Sequence[str], sources: Sequence[str] | None = None) -> list[NLUResult]:
        """``understand`` for many texts at once (one model call per model: much faster)."""
        for text in texts:
            if not isinstance(text, str):
                raise InvalidInputError("text must be a string")
            if len(text) > MAX_TEXT_CHARS:
                raise InvalidInputError(f"text longer than {MAX_TEXT_CHARS} characters")
        if not texts:
            return []
        sources = list(sources) if sources is not None else ["text"] * len(texts)
        intent_probs = self.predict_intent_proba([intent_text(t) for t in texts])  # (n_texts, n_intents)
        parsed = [candidates(t) for t in texts]
        all_feats = [f for _low, _rules, _numbers, feats in parsed for f in feats]
        slot_probs = self.predict_slot_proba(all_feats) if all_feats else None  # (n_numbers, n_labels)
        results: list[NLUResult] = []
        row = 0
        for probs, (_low, rules, numbers, _feats), source in zip(intent_probs, parsed, sources, strict=True):
            mentions = [Mention(r.slot, r.value, r.confidence, r.start, r.end, source) for r in rules]
            for number in numbers:
                p = slot_probs[row]  # type: ignore[index]
                row += 1
                k = int(p.argmax())
                label = self.slot_labels_[k]
                if label == NONE_LABEL or p[k] < self.min_slot_confidence:
                    continue
                yearly = label == YEARLY_INCOME_LABEL
                slot = "monthly_income" if yearly else label
                value = normalize_number_for_slot(slot, number, yearly=yearly)
                end = number.unit_end if slot in DURATION_SLOTS else number.end
                mentions.append(Mention(slot, value, round(float(p[k]), 4), number.start, end, source))
            mentions.sort(key=lambda m: m.start)
            best = int(probs.argmax())
            results.append(
                NLUResult(
                    self.intents_[best],
                    float(probs[best]),
                    {c: float(q) for c, q in zip(self.intents_, probs, strict=True)},
                    mentions,
                )
            )
        return results

    # -- persistence
    def save(self, folder: Path, metrics: dict[str, Any] | None = None, card: str | None = None) -> Path:
        """Write the skops files, config, model card and sha256 manifest into ``folder``."""
        import skops.io as sio

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, model in ((INTENT_FILE, self.intent_model), (SLOT_FILE, self.slot_model)):
            sio.dump(model, folder / name, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
            untrusted = skops_types(folder / name) - set(TRUSTED_TYPES)
            if untrusted:
                raise ModelNotReadyError(f"{name} holds types outside the trusted list: {sorted(untrusted)}")
        config = {
            "version": self.version,
            "intents": self.intents_,
            "slot_labels": self.slot_labels_,
            "min_slot_confidence": self.min_slot_confidence,
            "metrics": metrics or {},
        }
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        if card is not None:
            (folder / "MODEL_CARD.md").write_text(card)
        write_manifest(folder, component="nlu", version=self.version)
        return folder

    @classmethod
    def load(cls, folder: Path) -> Understanding:
        """Verify the manifest, check every type in the files against ``TRUSTED_TYPES``, then
        load them (ModelNotReadyError when anything is missing, altered or not trusted)."""
        import skops.io as sio

        folder = Path(folder)
        verify_manifest(folder)
        try:
            config = json.loads((folder / CONFIG_FILE).read_text())
            models = []
            for name in (INTENT_FILE, SLOT_FILE):
                untrusted = skops_types(folder / name) - set(TRUSTED_TYPES)
                if untrusted:
                    raise ModelNotReadyError(f"{name} holds types outside the trusted list: {sorted(untrusted)}")
                models.append(sio.load(folder / name, trusted=list(TRUSTED_TYPES)))
        except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile) as exc:
            raise ModelNotReadyError(f"cannot load the NLU model in {folder}: {exc}") from exc
        intent_model, slot_model = models
        if not (isinstance(intent_model, Pipeline) and isinstance(slot_model, Pipeline)):
            raise ModelNotReadyError(f"the NLU files in {folder} are not scikit-learn pipelines")
        return cls(intent_model, slot_model, str(config.get("version", NLU_VERSION)),
                   float(config.get("min_slot_confidence", MIN_SLOT_CONFIDENCE)))


MAX_SCHEMA_BYTES: int = 256 << 20


def skops_types(path: Path) -> set[str]:
    """Every ``module.Class`` named in a skops file's schema (read as JSON, nothing executed).

    skops trusts many scikit-learn types by default; walking the schema ourselves enforces our
    own, shorter list.
    """
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("schema.json")
        if info.file_size > MAX_SCHEMA_BYTES:
            raise ModelNotReadyError(f"{path.name}: schema larger than {MAX_SCHEMA_BYTES} bytes")
        schema = json.loads(z.read(info))
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def slot_training_data(turns: Iterable[dict[str, Any]]) -> tuple[list[dict[str, float]], list[str]]:
    """Features and labels of every candidate number in the user turns."""
    feats: list[dict[str, float]] = []
    labels: list[str] = []
    for t in turns:
        _low, _rules, numbers, fs = candidates(t["text"])
        for n, f in zip(numbers, fs, strict=True):
            feats.append(f)
            labels.append(number_label(n, t.get("slots", [])))
    return feats, labels
