"""Understanding one user turn: intent with calibrated probabilities, and slot mentions.

- Intent: TF-IDF word (1-2) and character (2-5, typo tolerant) n-grams into a multinomial
  logistic regression, one scikit-learn Pipeline; its probabilities are the intent confidence.
- Slots: closed-set phrases and currencies are read by rules (``normalize.find_phrases``); every
  number found by ``normalize.find_numbers`` gets a probability per slot (or none) from a learned
  classifier over its context (``nlu_features``). The classifier also tells a yearly income from
  a monthly one, so "60000 a year" becomes monthly_income 5000.
- Meaning and context: ``interpret`` turns those readings into what the customer meant, with the
  advisor's last acts and the current state (``TurnContext``): implied values, existing debts,
  the catalogue's product, numbers ranked by the slots the dialogue expects, and uncertain values
  returned as candidates instead of being written.

Models persist with skops under an explicit list of trusted types, behind a sha256 manifest:
nothing is unpickled, and a tampered file is refused before it is read. Inference runs on a
compiled numpy path that gives scikit-learn's own probabilities (``nlu_compiled``).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from finadvisor.services.state.context import TurnContext
from finadvisor.services.state.interpret import (
    WRITE_THRESHOLD,
    Mention,
    interpret,
)
from finadvisor.services.state.nlu_compiled import (  # noqa: F401 - re-exported
    _CompiledIntent,
    _CompiledLogistic,
    _CompiledSlots,
    _CompiledTfidf,
    _Unsupported,
)
from finadvisor.services.state.nlu_features import (  # noqa: F401 - re-exported
    CUES,
    DOMAIN_CUES,
    NONE_LABEL,
    YEARLY_INCOME_LABEL,
    candidates,
    cue_classes,
    intent_text,
    number_features,
    number_label,
    slot_training_data,
)
from finadvisor.shared.artifacts import verify_manifest, write_manifest
from finadvisor.shared.errors import InvalidInputError, ModelNotReadyError

NLU_VERSION: str = "nlu-2.0"
MAX_TEXT_CHARS: int = 2000
#: Below this probability a number's best slot is not trusted (it is dropped).
MIN_SLOT_CONFIDENCE: float = 0.3

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


@dataclass(frozen=True)
class NLUResult:
    intent: str
    intent_confidence: float
    intent_probabilities: dict[str, float]
    mentions: list[Mention] = field(default_factory=list)
    #: Values understood but not written: their slot is uncertain or they contradict the state.
    candidates: list[Mention] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


# --------------------------------------------------------------------------- the model
class Understanding:
    """Intent and slot understanding of one text turn; load it with ``Understanding.load``."""

    def __init__(self, intent_model: Pipeline, slot_model: Pipeline, version: str = NLU_VERSION,
                 min_slot_confidence: float = MIN_SLOT_CONFIDENCE, compiled: bool = True,
                 write_threshold: float = WRITE_THRESHOLD) -> None:
        """``compiled=False`` keeps inference on the scikit-learn pipelines (a reference to
        compare the compiled path with); the compiled path is derived state, never saved."""
        self.intent_model = intent_model
        self.slot_model = slot_model
        self.version = version
        self.min_slot_confidence = min_slot_confidence
        #: Below this confidence (in context) a value is a candidate, not written.
        self.write_threshold = write_threshold
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
    def understand(self, text: str, source: str = "text", context: TurnContext | None = None) -> NLUResult:
        """Intent and slot mentions of ``text`` in ``context`` (the advisor's last acts and the
        state; None: a first turn). InvalidInputError when the text is too long."""
        return self.understand_batch([text], [source], [context])[0]

    def understand_batch(self, texts: Sequence[str], sources: Sequence[str] | None = None,
                         contexts: Sequence[TurnContext | None] | None = None) -> list[NLUResult]:
        """``understand`` for many texts at once (one model call per model: much faster)."""
        for text in texts:
            if not isinstance(text, str):
                raise InvalidInputError("text must be a string")
            if len(text) > MAX_TEXT_CHARS:
                raise InvalidInputError(f"text longer than {MAX_TEXT_CHARS} characters")
        if not texts:
            return []
        sources = list(sources) if sources is not None else ["text"] * len(texts)
        contexts = list(contexts) if contexts is not None else [None] * len(texts)
        intent_probs = self.predict_intent_proba([intent_text(t) for t in texts])  # (n_texts, n_intents)
        parsed = [candidates(t) for t in texts]
        all_feats = [f for _low, _rules, _numbers, feats in parsed for f in feats]
        slot_probs = self.predict_slot_proba(all_feats) if all_feats else None  # (n_numbers, n_labels)
        results: list[NLUResult] = []
        row = 0
        for text, probs, (_low, rules, numbers, _feats), source, context in zip(
                texts, intent_probs, parsed, sources, contexts, strict=True):
            rows = slot_probs[row:row + len(numbers)] if numbers else None  # (n_numbers, n_labels)
            row += len(numbers)
            distribution = {c: float(q) for c, q in zip(self.intents_, probs, strict=True)}
            meant = interpret(text, distribution, rules, numbers, rows, self.slot_labels_, context, source,
                              self.min_slot_confidence, self.write_threshold)
            results.append(NLUResult(meant.intent, meant.intent_confidence, distribution, meant.mentions,
                                     meant.candidates))
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
            "write_threshold": self.write_threshold,
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
                   float(config.get("min_slot_confidence", MIN_SLOT_CONFIDENCE)),
                   write_threshold=float(config.get("write_threshold", WRITE_THRESHOLD)))


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
