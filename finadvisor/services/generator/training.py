"""Train and evaluate the reply generator (the `generator` component of `finadvisor train/eval`).

Why this shape: ``train`` is seeded end to end (tokenizer, initialisation, batch order), stops
early on validation loss, and writes one self-describing folder ``models_dir/generator``: weights
(safetensors), config, tokenizer, ``MODEL_CARD.md`` and a sha256 ``MANIFEST.json`` that the engine
checks before loading. The folder is built aside and swapped in whole, so a crash mid-training
never leaves a half-written model where the services look. ``evaluate`` decodes the held-out test
split and reports BLEU against the delexicalised references, slot accuracy, perplexity and
decoding speed (docs/CONTRACTS.md).

What it learns: (acts, recent context) -> delexicalised reply. The corpus' advisor turns carry
the dialogue manager's acts and a template paraphrase of them (the simulator's advisor side);
acts the simulated dialogues rarely produce (an unreadable upload, an impossible value, every
explanation) are added from ``augment_examples`` so each act has its paraphrases in training.
The ``dialogue_*`` eval sections are on the measuring side (finadvisor.evaluation.sections).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerFast

from finadvisor.services.generator.inputs import Example, examples_from_dialogue
from finadvisor.services.generator.lexicalize import (
    align_values,
    format_value,
    lexicalize,
    placeholders,
)
from finadvisor.services.generator.modeling import GeneratorConfig, GeneratorModel
from finadvisor.services.generator.policy import CompliancePolicy
from finadvisor.services.generator.tokenization import train_tokenizer
from finadvisor.shared.artifacts import write_manifest
from finadvisor.shared.errors import ModelNotReadyError

COMPONENT = "generator"
MODEL_FAMILY = "seq2seq-gru-luong"
FORMAT_VERSION = 1
MAX_CORPUS_LINE = 1 << 20  # bytes; a dialogue is a few kB


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters; the defaults train in a few minutes on 2 CPU cores and stay < 15 MB."""

    vocab_size: int = 1500
    embedding_dim: int = 96
    hidden_size: int = 192
    dropout: float = 0.1
    max_source_length: int = 160
    # A summary with the credit outcome is the longest reply (~100 tokens): room for it.
    max_target_length: int = 128
    batch_size: int = 32
    learning_rate: float = 3e-3
    # A fixed epoch count (not a clock) keeps the result reproducible on any machine; early
    # stopping on validation loss may end it sooner. The clock budget is an optional safety net.
    max_epochs: int = 11
    patience: int = 1
    max_train_seconds: float | None = None
    max_train_examples: int | None = 7000
    num_threads: int = 1  # 2 threads thrash badly when other jobs share the 2 cores
    augment_examples: int = 1200  # rare act patterns added after sampling (acts corpora)


# --------------------------------------------------------------------------- data
def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Corpus dialogues of one split (JSON only: nothing here can run code)."""
    out = []
    with Path(path).open("r", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if len(line) > MAX_CORPUS_LINE:
                raise ValueError(f"{path}:{n}: line longer than {MAX_CORPUS_LINE} bytes")
            if line.strip():
                out.append(json.loads(line))
    return out


def corpus_dir(data_dir: Path, seed: int = 0) -> Path:
    """The corpus folder, built once by finadvisor.corpus when it is missing."""
    folder = Path(data_dir) / "corpus"
    if not (folder / "train.jsonl").is_file() or _simulated_without_acts(folder):
        from finadvisor.corpus import build_corpus, ensure_corpus  # the dialogue simulator

        if (folder / "train.jsonl").is_file():
            build_corpus(Path(data_dir), seed=seed)  # made before advisor turns had acts
        else:
            ensure_corpus(Path(data_dir), seed=seed)
    return folder


def _simulated_without_acts(folder: Path) -> bool:
    """A simulator-built corpus (it has meta.json) whose advisor turns predate the acts."""
    if not (folder / "meta.json").is_file():
        return False
    with (folder / "train.jsonl").open(encoding="utf-8") as f:
        first = f.readline()
    try:
        turns = json.loads(first).get("turns", []) if first.strip() else []
    except json.JSONDecodeError:
        return False
    return any(t.get("speaker") == "advisor" and "acts" not in t for t in turns)


def augment_examples(n: int, seed: int = 0) -> list[Example]:
    """Act lists the simulated dialogues rarely make, each worded by a template paraphrase
    (seeded): every act and argument pattern gets several examples."""
    from finadvisor.dialogue.acts import act
    from finadvisor.dialogue.realise import EXPLAIN, REQUEST, realise
    from finadvisor.services.generator.inputs import GenerationInput, build_source

    rng = random.Random(f"generator-augment/{seed}")
    slots = list(REQUEST)

    def money() -> str:
        return str(rng.randrange(100, 90_000, 50))

    def one() -> list[Any]:
        kind = rng.randrange(11)
        cur = rng.choice(["USD", "EUR", "GBP"])
        if kind == 9:  # a short answer, then the task resumes
            first = rng.choice([act("welcome"), act("greet"), act("out_of_scope"), act("ack"),
                                act("answer_rate", product=rng.choice(["personal_loan", "mortgage",
                                    "auto_loan", "credit_card", "savings_account"]),
                                    rate=rng.choice(["6.9", "4.5", "5.9", "19.9", "3.1"]))])
            return [first, act("request", slot=rng.choice(slots))]
        if kind == 10:  # a rate asked once the outcome is known
            return [act("answer_rate", product="personal_loan", rate="6.9"),
                    act("inform_decision", decision=rng.choice(["approve", "refer", "decline"]),
                        reason="the repayments would be high", instalment=money(), currency=cur)]
        follow = [act("request", slot=rng.choice(slots))] if rng.random() < 0.5 else []
        if kind == 0:
            return [act("ack_unreadable", kind=rng.choice(["payslip", "chart", "other"])), *follow]
        if kind == 1:
            return [act("check_value", slot=rng.choice(slots), value=str(rng.randint(100, 900)))]
        if kind == 2:
            return [act("clarify", slot=rng.choice(slots), value=money())]
        if kind == 3:
            return [act("ack", document=rng.choice(["bank_statement", "id_document", "other"])),
                    *follow]
        if kind == 4:
            return [act("explain", topic=rng.choice(list(EXPLAIN))), *follow]
        if kind == 5:
            return [act("describe_chart", trend=rng.choice(["rising", "falling", "flat", "volatile"]),
                        change_percent=str(rng.randint(-60, 80)) if rng.random() < 0.6 else ""),
                    *follow]
        if kind == 6:
            decision = rng.choice(["approve", "refer", "decline"])
            return [act("inform_decision", decision=decision,
                        reason=f"repayments would take {rng.randint(36, 90)}% of your income"
                        if decision != "approve" and rng.random() < 0.7 else "",
                        needs=rng.sample(["age", "monthly_income", "employment_status",
                                          "proof_of_income", "credit_history"], rng.randint(1, 2))
                        if decision == "refer" and rng.random() < 0.5 else "",
                        instalment=money() if rng.random() < 0.7 else "", currency=cur)]
        if kind == 7:
            return [act("offer", product=rng.choice(["savings_account", "credit_card",
                                                     "personal_loan"]))]
        return [act("confirm_heard", transcript=rng.choice(
            ["i earn three thousand a month", "about twelve thousand", "i am self employed",
             "over five years", "no debts"]))]

    out: list[Example] = []
    for _ in range(n):
        acts = tuple(one())
        delex, text = realise(acts, rng)
        inp = GenerationInput(context=(), acts=acts)
        out.append(Example(inp, build_source(inp), delex, text, inp.fill_values(), "augment"))
    return out


def load_examples(data_dir: Path, split: str, seed: int = 0) -> list[Example]:
    dialogues = read_jsonl(corpus_dir(data_dir, seed) / f"{split}.jsonl")
    return [ex for d in dialogues for ex in examples_from_dialogue(d)]


def encode_examples(
    tokenizer: PreTrainedTokenizerFast, examples: Sequence[Example], max_source: int, max_target: int
) -> list[tuple[list[int], list[int]]]:
    """(source ids, target ids) with EOS; sources keep their end (the state), targets their start."""
    src = tokenizer([e.source for e in examples], truncation=True, max_length=max_source)["input_ids"]
    tgt = tokenizer([e.target for e in examples], add_special_tokens=True)["input_ids"]
    eos = tokenizer.eos_token_id
    tgt = [t if len(t) <= max_target else t[: max_target - 1] + [eos] for t in tgt]
    return list(zip(src, tgt))


def batches(
    pairs: Sequence[tuple[list[int], list[int]]], batch_size: int, pad_id: int, rng: random.Random | None
) -> Iterator[dict[str, torch.Tensor]]:
    """Length-bucketed padded batches (shuffled when rng is given): less padding, faster epochs."""
    # Same target length within a batch (the decoder's cost), then similar source lengths.
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i][1]), len(pairs[i][0])))
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(chunks)
    for chunk in chunks:
        s_len = max(len(pairs[i][0]) for i in chunk)
        t_len = max(len(pairs[i][1]) for i in chunk)
        src = torch.full((len(chunk), s_len), pad_id, dtype=torch.long)  # (B, S)
        mask = torch.zeros((len(chunk), s_len), dtype=torch.long)  # (B, S)
        labels = torch.full((len(chunk), t_len), -100, dtype=torch.long)  # (B, T)
        for row, i in enumerate(chunk):
            s, t = pairs[i]
            src[row, : len(s)] = torch.tensor(s)
            mask[row, : len(s)] = 1
            labels[row, : len(t)] = torch.tensor(t)
        yield {"input_ids": src, "attention_mask": mask, "labels": labels}


@torch.inference_mode()
def mean_loss(model: GeneratorModel, pairs: Sequence[tuple[list[int], list[int]]], batch_size: int) -> float:
    """Token-level mean cross-entropy (nats) over the pairs, teacher-forced."""
    model.eval()
    total, count = 0.0, 0
    for batch in batches(pairs, batch_size, int(model.config.pad_token_id or 0), None):
        n = int((batch["labels"] != -100).sum())
        total += float(model(**batch).loss) * n
        count += n
    return total / max(count, 1)


# --------------------------------------------------------------------------- training
def _seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy ships with torch here
        pass


def fit(
    train_ex: Sequence[Example],
    val_ex: Sequence[Example],
    settings: TrainSettings = TrainSettings(),
    seed: int = 0,
    progress: bool = True,
    extra_ex: Sequence[Example] = (),
) -> tuple[GeneratorModel, PreTrainedTokenizerFast, dict[str, Any]]:
    """Train tokenizer and model on examples (a seeded sample of ``train_ex`` plus every
    ``extra_ex``); early stopping keeps the best validation weights."""
    _seed_everything(seed)
    rng = random.Random(seed)
    train_ex = list(train_ex)
    if settings.max_train_examples is not None and len(train_ex) > settings.max_train_examples:
        train_ex = rng.sample(train_ex, settings.max_train_examples)
    train_ex += list(extra_ex)
    if not train_ex or not val_ex:
        raise ValueError("training needs train and validation examples")
    tokenizer = train_tokenizer(
        (t for e in train_ex for t in (e.source, e.target)), vocab_size=settings.vocab_size
    )
    config = GeneratorConfig(
        vocab_size=len(tokenizer),
        embedding_dim=settings.embedding_dim,
        hidden_size=settings.hidden_size,
        dropout=settings.dropout,
        max_source_length=settings.max_source_length,
        max_target_length=settings.max_target_length,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.bos_token_id,
    )
    model = GeneratorModel(config)
    train_pairs = encode_examples(tokenizer, train_ex, settings.max_source_length, settings.max_target_length)
    val_pairs = encode_examples(tokenizer, val_ex, settings.max_source_length, settings.max_target_length)
    optim = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(optim, factor=0.5, patience=0)

    initial_loss = mean_loss(model, val_pairs, 128)  # the untrained baseline, for the card
    best_loss, best_state, best_epoch, bad_epochs = math.inf, None, 0, 0
    history: list[dict[str, float]] = []
    start = time.monotonic()
    n_batches = math.ceil(len(train_pairs) / settings.batch_size)
    stopped = "max_epochs"
    for epoch in range(1, settings.max_epochs + 1):
        model.train()
        running, seen = 0.0, 0
        bar = tqdm(batches(train_pairs, settings.batch_size, int(config.pad_token_id or 0), rng), total=n_batches,
                   desc=f"generator epoch {epoch}", disable=not progress, leave=False)
        for batch in bar:
            optim.zero_grad(set_to_none=True)
            loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            running += float(loss.detach())
            seen += 1
            bar.set_postfix(loss=f"{running / seen:.3f}")
        val_loss = mean_loss(model, val_pairs, 128)
        sched.step(val_loss)
        history.append({"epoch": epoch, "train_loss": running / max(seen, 1), "val_loss": val_loss})
        if progress:
            tqdm.write(f"generator epoch {epoch}: train {running / max(seen, 1):.3f} val {val_loss:.3f}")
        if val_loss < best_loss - 1e-4:
            best_loss, best_epoch, bad_epochs = val_loss, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad_epochs += 1
            if bad_epochs > settings.patience:
                stopped = "early_stopping"
                break
        if settings.max_train_seconds is not None and time.monotonic() - start > settings.max_train_seconds:
            stopped = "time_budget"
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    metrics = {
        "initial_val_loss": initial_loss,
        "val_loss": best_loss,
        "val_perplexity": math.exp(best_loss),
        "best_epoch": best_epoch,
        "epochs_run": len(history),
        "stopped": stopped,
        "train_seconds": round(time.monotonic() - start, 1),
        "train_examples": len(train_ex),
        "validation_examples": len(val_ex),
        "parameters": sum(p.numel() for p in model.parameters()),
        "history": history,
    }
    return model, tokenizer, metrics


def save_model(
    folder: Path, model: GeneratorModel, tokenizer: PreTrainedTokenizerFast, card: str, version: str,
    meta: dict[str, Any],
) -> Path:
    """Write weights, tokenizer, card and manifest aside, then swap the folder in whole."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tokenizer.save_pretrained(str(tmp))
    (tmp / "MODEL_CARD.md").write_text(card)
    write_manifest(tmp, component=COMPONENT, version=version, format_version=FORMAT_VERSION, **meta)
    old = folder.with_name(folder.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    if old.exists():
        shutil.rmtree(old)
    return folder


def _weights_digest(model: GeneratorModel) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def model_card(version: str, settings: TrainSettings, metrics: dict[str, Any], data: dict[str, Any]) -> str:
    """The model card: what it was trained on, how well it does, and what it must not be used for."""
    m = {k: v for k, v in metrics.items() if k != "history"}
    lines = [
        f"# finadvisor reply generator {version}",
        "",
        "Attention Seq2Seq (bidirectional GRU encoder, GRU decoder with Luong general attention) that",
        "words the dialogue manager's acts (finadvisor.dialogue) as the advisor's reply, in",
        "delexicalised form (`[name]` placeholders); the service fills the placeholders from the acts'",
        "arguments, so every figure the customer reads is an argument the dialogue manager decided.",
        "A faithfulness guard checks each reply against its acts (each act said, no question or figure",
        "that is not an act's) and a compliance policy guards the wording; an unfaithful reply is",
        "replaced by a faithful beam alternative, else by the acts' template realisation.",
        "",
        "## Data",
        f"- Corpus: {data.get('corpus', '')} (dialogue simulator, seed {data.get('seed')}).",
        f"- Dialogues train/validation/test: {data.get('dialogues')}; advisor turns: {data.get('examples')}.",
        "- Source: the acts of each advisor turn (the dialogue manager's decision on the simulated",
        "  dialogue) and the last two turns of context; target: a template paraphrase of the acts",
        f"  ({data.get('augmented', 0)} extra examples of rare act patterns).",
        "- Test templates are held out from training (generalisation to unseen user phrasings).",
        "",
        "## Training",
        "```json",
        json.dumps(asdict(settings), indent=2, sort_keys=True),
        "```",
        "",
        "## Metrics",
        "```json",
        json.dumps(m, indent=2, sort_keys=True, default=str),
        "```",
        "",
        "## Intended use and limits",
        "- Replies for finadvisor's advisory dialogues in English; not a source of figures.",
        "- Low-score, unfillable or non-compliant replies are replaced by the policy's safe templates.",
        "- Trained on simulated dialogues only: retrain on a bank's own transcripts before real use.",
        "",
    ]
    return "\n".join(lines)


def train(models_dir: Path, data_dir: Path, seed: int = 0, progress: bool = True,
          settings: TrainSettings | None = None) -> dict[str, Any]:
    """Train on the corpus, write ``models_dir/generator``, return its metrics (incl. test eval)."""
    settings = settings or TrainSettings()
    if not progress:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(max(1, min(settings.num_threads, os.cpu_count() or 1)))
    try:
        splits = {s: read_jsonl(corpus_dir(data_dir, seed) / f"{s}.jsonl") for s in ("train", "validation", "test")}
        examples = {s: [e for d in ds for e in examples_from_dialogue(d)] for s, ds in splits.items()}
        extra = (augment_examples(settings.augment_examples, seed)
                 if settings.augment_examples and any(e.inp.acts for e in examples["train"]) else [])
        model, tokenizer, metrics = fit(examples["train"], examples["validation"], settings, seed,
                                        progress, extra_ex=extra)
        version = f"{FORMAT_VERSION}.0.{seed}+{_weights_digest(model)[:10]}"
        meta_path = corpus_dir(data_dir, seed) / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        data = {
            "corpus": f"finadvisor.corpus v{meta.get('version', '?')} templates {meta.get('templates', '?')}",
            "seed": seed,
            "dialogues": {s: len(d) for s, d in splits.items()},
            "examples": {s: len(e) for s, e in examples.items()},
            "augmented": len(extra),
        }
        folder = Path(models_dir) / COMPONENT
        card = model_card(version, settings, metrics, data)
        save_model(folder, model, tokenizer, card, version, {"data": data})
        test_metrics = evaluate(models_dir, data_dir)
        metrics = {**{k: v for k, v in metrics.items() if k != "history"}, **test_metrics, "version": version}
        # Rewrite the card with the held-out figures (then the manifest, which hashes the card).
        card = model_card(version, settings, metrics, data)
        (folder / "MODEL_CARD.md").write_text(card)
        write_manifest(folder, component=COMPONENT, version=version, format_version=FORMAT_VERSION, data=data)
        return metrics
    finally:
        torch.set_num_threads(prev_threads)


# --------------------------------------------------------------------------- evaluation
def _norm(value: str) -> str:
    return " ".join(value.replace("_", " ").lower().split())


def slot_correct(hyp_delex: str, example: Example, policy: CompliancePolicy) -> bool:
    """A reply is slot-correct when every placeholder is filled, each filled value is the state's
    (checked against the value the reference shows for the same slot), and the decoder wrote no
    figure of its own (beyond the bank's published rates)."""
    if example.inp.acts:  # worded from acts: filled from their arguments, no figure of its own
        from finadvisor.dialogue.guard import NUMBER_RE as ARG_NUMBERS
        from finadvisor.dialogue.realise import fill

        text, missing = fill(hyp_delex, example.inp.acts)
        allowed = {n for a in example.inp.acts for v in a.args.values()
                   for n in ARG_NUMBERS.findall(str(v))}
        return not missing and set(ARG_NUMBERS.findall(text)) <= allowed
    lex = lexicalize(hyp_delex, example.values)
    if lex.missing or policy.unpublished_figures(hyp_delex):
        return False
    ref_values = align_values(example.target, example.reference_text) or {}
    for slot, shown in lex.filled.items():
        if slot in ref_values and _norm(ref_values[slot]) != _norm(shown):
            return False
        if slot not in ref_values and _norm(shown) != _norm(format_value(slot, example.values[slot])):
            return False
    return True


def evaluate_examples(engine: Any, examples: Sequence[Example], batch_size: int = 64) -> dict[str, Any]:
    """BLEU / slot accuracy / perplexity / speed of a loaded engine on examples."""
    import sacrebleu

    policy: CompliancePolicy = engine.policy
    hyps: list[str] = []
    fallbacks = 0
    tokens = 0
    start = time.perf_counter()
    for i in range(0, len(examples), batch_size):
        chunk = examples[i : i + batch_size]
        decoded = engine.decode_delex([e.inp for e in chunk])
        hyps.extend(h.delex for h in decoded)
        tokens += sum(len(h.token_ids) + 1 for h in decoded)  # + EOS
        fallbacks += sum(engine._finish(e.inp, [h], None).fallback for e, h in zip(chunk, decoded))
    elapsed = time.perf_counter() - start
    refs = [e.target for e in examples]
    metric = sacrebleu.metrics.BLEU()
    bleu = metric.corpus_score(hyps, [refs])
    slot_ok = [slot_correct(h, e, policy) for h, e in zip(hyps, examples)]
    same_slots = [sorted(placeholders(h)) == sorted(placeholders(e.target)) for h, e in zip(hyps, examples)]
    tok = engine.tokenizer
    cfg = engine.model.config
    pairs = encode_examples(tok, examples, cfg.max_source_length, cfg.max_target_length)
    with engine._lock:
        loss = mean_loss(engine.model, pairs, 128)
    n = max(len(examples), 1)
    return {
        "bleu": round(bleu.score, 2),
        "slot_accuracy": round(sum(slot_ok) / n, 4),
        "perplexity": round(math.exp(loss), 3),
        "tokens_per_second": round(tokens / max(elapsed, 1e-9), 1),
        "exact_match": round(sum(h == r for h, r in zip(hyps, refs)) / n, 4),
        "placeholder_match": round(sum(same_slots) / n, 4),
        "fallback_rate": round(fallbacks / n, 4),
        "test_examples": len(examples),
        "bleu_signature": str(metric.get_signature()),
    }


def evaluate(models_dir: Path, data_dir: Path, max_examples: int | None = 2000) -> dict[str, Any]:
    """The `generator` section of `finadvisor eval --json` on the held-out test split.

    ``max_examples`` takes an evenly spaced, deterministic subset of the test advisor turns so the
    whole evaluation stays within a minute on 2 cores (None = all of them).
    """
    from finadvisor.services.generator.engine import GeneratorEngine

    folder = Path(models_dir) / COMPONENT
    if not folder.is_dir():
        raise ModelNotReadyError(f"no generator model in {folder}; run `finadvisor train`")
    examples = load_examples(data_dir, "test")
    if max_examples is not None and len(examples) > max_examples:
        step = len(examples) / max_examples
        examples = [examples[int(i * step)] for i in range(max_examples)]
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    engine = GeneratorEngine.load(folder)
    try:
        return evaluate_examples(engine, examples)
    finally:
        engine.close()
        torch.set_num_threads(prev_threads)
