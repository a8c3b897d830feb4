"""The compiled inference path of the understanding models.

Inference does not go through the scikit-learn pipelines when they have the shapes built by
``make_intent_pipeline`` / ``make_slot_pipeline``: their fitted arrays are compiled once into a
plain numpy path (``CompiledIntent`` / ``CompiledSlots``) that repeats scikit-learn's arithmetic
in the same order, so the probabilities are the same, without scikit-learn's per-call checks
(about 85 % of a turn's cost). Any other pipeline shape is answered by scikit-learn as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline


class _Unsupported(Exception):  # noqa: N818 - a control-flow signal, not an error shown to anyone
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
                    j = vocabulary.get("%s%s%s" % (f, sep, vv))  # noqa: UP031 - the exact feature-name format of scikit-learn's DictVectorizer
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
