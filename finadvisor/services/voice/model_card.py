"""The voice model's card (MODEL_CARD.md beside the weights): what the model is, its data, its
training figures and limits, and the section on the speech recogniser's adaptation, which
``training.adapt_recogniser`` replaces on its own when it is retrained."""

from __future__ import annotations

from typing import Any

from finadvisor.services.voice.encoder import VoiceEncoderConfig
from finadvisor.services.voice.whisper_delta import DELTA_FILE

ADAPTATION_HEADING = "## Speech recogniser adaptation"


def with_adaptation_section(card: str, section: str) -> str:
    """``card`` with its recogniser adaptation section replaced by ``section`` (the sections
    after it kept), or ``section`` appended when the card has none."""
    start = card.find(ADAPTATION_HEADING)
    if start < 0:
        return card.rstrip("\n") + "\n\n" + section
    end = card.find("\n## ", start + len(ADAPTATION_HEADING))
    rest = card[end + 1 :] if end >= 0 else ""
    return card[:start] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else "")


def adaptation_card(report: dict[str, Any] | None) -> str:
    """The model card's section on the Whisper delta (empty without one)."""
    if not report or "clips" not in report:
        return ""
    return f"""{ADAPTATION_HEADING}
`{DELTA_FILE}`: {report['weights']:,} weights of the bundled Whisper tiny.en (the encoder's top
{report.get('encoder_layers_adapted', 0)} layers and final layer norm; in the decoder
{report.get('adapted', 'cross-attention queries, outputs and layer norms')}; float16) retrained
on {report['clips']} training-split sentences read by the adaptation voices (every English accent
espeak-ng ships, none of them an evaluation voice; speed/pitch perturbed; clean, white noise
13-27 dB SNR, or a phone line), {report['epochs']} epochs, loss by epoch
{report['loss_by_epoch']}. Serving writes the patched CTranslate2 folder into a local cache.
"""


def model_card(config: VoiceEncoderConfig, meta: dict[str, Any]) -> str:
    m = meta["metrics"]
    return f"""# finadvisor voice model ({meta['version']})

## What it is
- An utterance encoder: log-mel (80 bins, 10 ms hop, Whisper-style, from transformers'
  WhisperFeatureExtractor) -> {config.subsample}-frame stacking -> bidirectional GRU
  (hidden {config.hidden_size}, {config.num_layers} layer) -> mean+max pooling -> a
  {config.embedding_dim}-d L2-normalised embedding, plus an intent head over the
  {len(config.intents)} ontology intents. Per-utterance mean{' and variance' if config.normalise_variance else ''}
  normalisation of the log-mel bins comes first, inside the model.
- The speech recogniser's language model (`asr/lm.arpa.txt`, absolute-discount trigram) and
  pronunciation dictionary (`asr/words.dict.txt`, a subset of CMUdict) built from the dialogue
  corpus's customer turns. The acoustic model is PocketSphinx's en-us model from its wheel,
  searched with `asr.DECODER_OPTIONS` (chosen on validation voices that are neither training
  nor held-out voices, see asr.py).

## Data
Synthesised speech only: espeak-ng reading the spoken form of corpus customer turns, training
voices {', '.join(meta['train_variants'])}, each reading at a randomly perturbed speed
(x0.8-1.25) and pitch (+-20) for the encoder. Evaluation uses other voices:
{', '.join(meta['heldout_variants'])}. No recorded human speech was used.

{adaptation_card(m.get('recogniser_adaptation'))}
## Training figures
Training clips {m['train_clips']}, validation clips {m['validation_clips']} (unseen sentences),
validation intent accuracy {m['val_intent_accuracy']:.3f}. LM: {m['lm_sentences']} sentences,
vocabulary {m['vocab']}, {m['lm_sentences_dropped_oov']} sentences left out for words missing
from the pronunciation dictionary. Seed {meta['seed']}. `finadvisor eval --json` gives held-out
WER, intent accuracy and real-time factor.

## Limits
- Synthetic voices are cleaner and more regular than customers on a phone; expect a higher WER
  and a weaker intent head on real recordings. A bank should retrain on its own transcribed
  notes (same corpus format) and measure before relying on either.
- The recogniser only knows the corpus vocabulary: out-of-domain words come out as the nearest
  domain words. Use the Whisper backend with a local model for open vocabulary.
- The acoustic intent is a backup for an unsure transcript, not a replacement for text intent.
- Prosody and the embedding describe how something was said; they must not be used to score
  credit.
"""
