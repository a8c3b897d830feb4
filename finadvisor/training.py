"""Training and evaluation of every model, in dependency order (see docs/CONTRACTS.md)."""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from finadvisor.shared.artifacts import MANIFEST

#: component -> module with train()/evaluate(); order matters (the corpus comes with nlu).
COMPONENTS: dict[str, str] = {
    "nlu": "finadvisor.services.state.training",
    "risk": "finadvisor.services.gateway.risk.training",
    "vision": "finadvisor.services.vision.training",
    "generator": "finadvisor.services.generator.training",
    "voice": "finadvisor.services.voice.training",
}


#: Components with sections measured on external data (functions of finadvisor.evaluation.sections).
EXTERNAL_SECTIONS = frozenset({"nlu", "vision", "generator", "voice"})


def component_module(name: str) -> ModuleType | None:
    """The component's training module, or None while that component is not built."""
    try:
        return importlib.import_module(COMPONENTS[name])
    except ModuleNotFoundError as exc:
        if exc.name and COMPONENTS[name].startswith(exc.name):
            return None
        raise


def available_components() -> list[str]:
    return [c for c in COMPONENTS if component_module(c) is not None]


def missing_components(models_dir: Path) -> list[str]:
    """Built components whose model folder has no manifest yet."""
    return [c for c in available_components() if not (models_dir / c / MANIFEST).is_file()]


def train_components(names: list[str], models_dir: Path, data_dir: Path, seed: int = 0,
                     progress: bool = True) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in [c for c in COMPONENTS if c in names]:
        module = component_module(name)
        if module is None:
            results[name] = {"skipped": "not built yet"}
            continue
        start = time.perf_counter()
        print(f"[train] {name} …", flush=True)
        metrics = module.train(models_dir, data_dir, seed=seed, progress=progress)
        results[name] = {**(metrics or {}), "seconds": round(time.perf_counter() - start, 1)}
        print(f"[train] {name} done in {results[name]['seconds']} s", flush=True)
    return results


def evaluate_components(names: list[str], models_dir: Path, data_dir: Path) -> dict[str, Any]:
    """One eval section per component, keyed as ``finadvisor eval --json`` prints them."""
    section_names = {"nlu": "nlu", "risk": "risk", "vision": "vision",
                     "generator": "generator", "voice": "voice"}
    out: dict[str, Any] = {}
    for name in [c for c in COMPONENTS if c in names]:
        module = component_module(name)
        if module is None:
            continue
        out[section_names[name]] = module.evaluate(models_dir, data_dir)
        # Sections measured on data made by other means than the training data (hand-written
        # turns, another renderer, other voices) are reported beside the held-out figures; they
        # live on the measuring side (finadvisor.evaluation.sections), not in training modules.
        if name in EXTERNAL_SECTIONS:
            from finadvisor.evaluation import sections

            out.update(getattr(sections, name)(models_dir, data_dir))
    return out
