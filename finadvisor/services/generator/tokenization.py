"""The generator's tokenizer: byte-level BPE trained here with `tokenizers`, wrapped for transformers.

Why byte-level BPE: decoding is lossless (spaces and punctuation come back exactly as written), so
the reply the customer reads and the delexicalised reference BLEU compares against have the same
spelling, and no input character is ever unknown. Placeholders (``[loan_amount]``) and the
conditioning tokens of inputs.py (``<intent=apply_loan>``) are added tokens: each is one token,
so the decoder emits a placeholder in one step and the attention heatmap shows it whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from finadvisor.services.generator.inputs import ACT_PLACEHOLDERS, FEATURE_TOKENS
from finadvisor.services.generator.lexicalize import PLACEHOLDER_SLOTS

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIAL_TOKENS = [PAD, BOS, EOS, UNK]  # ids 0..3, in this order (the model config relies on it)
# The state's slots (requests without acts) and the acts' arguments (``[rate]``, ``[reason]``).
PLACEHOLDER_TOKENS = [f"[{name}]" for name in
                      dict.fromkeys([*PLACEHOLDER_SLOTS, *ACT_PLACEHOLDERS])]


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2000, min_frequency: int = 2) -> PreTrainedTokenizerFast:
    """Train byte-level BPE on source and target texts; placeholders/features stay single tokens."""
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    # Added after training so BPE never learns merges inside them; matched before pre-tokenising.
    tok.add_tokens(PLACEHOLDER_TOKENS + FEATURE_TOKENS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", special_tokens=[(EOS, tok.token_to_id(EOS))]
    )
    return wrap(tok)


def wrap(tok: Tokenizer) -> PreTrainedTokenizerFast:
    """The transformers wrapper: padding, truncation and save/load come from the library."""
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token=PAD,
        bos_token=BOS,
        eos_token=EOS,
        unk_token=UNK,
        # Conditioning sits at the end of the source (inputs.py): cut the oldest context first.
        truncation_side="left",
        padding_side="right",
        clean_up_tokenization_spaces=False,
    )
    return fast


def load_tokenizer(folder: Path) -> PreTrainedTokenizerFast:
    """Load the tokenizer saved with a model folder (a local path only, never a hub id)."""
    folder = Path(folder)
    if not (folder / "tokenizer.json").is_file():
        from finadvisor.shared.errors import ModelNotReadyError

        raise ModelNotReadyError(f"no tokenizer.json in {folder}")
    tok = PreTrainedTokenizerFast.from_pretrained(str(folder), local_files_only=True)
    tok.truncation_side = "left"
    tok.padding_side = "right"
    return tok


def display_tokens(tokenizer: PreTrainedTokenizerFast, ids: list[int],
                   cache: dict[int, str] | None = None) -> list[str]:
    """Readable form of each token for the attention heatmap (byte-level marks decoded).

    ``cache`` (token id -> text) spares a decode per token per reply: a vocabulary is small."""
    out = []
    for i in ids:
        if cache is not None and i in cache:
            out.append(cache[i])
            continue
        text = str(tokenizer.decode([i], skip_special_tokens=False, clean_up_tokenization_spaces=False))
        shown = text.strip() or text
        if cache is not None:
            cache[i] = shown
        out.append(shown)
    return out
