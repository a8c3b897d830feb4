"""Safe model artifacts: a sha256 manifest written at save time and checked at load time.

A model folder holds its files plus ``MANIFEST.json`` ({"files": {name: sha256}, ...}). Loading
verifies every listed file before anything is deserialised, so a tampered or truncated file is
refused instead of being unpickled. Prefer formats that cannot run code (safetensors, JSON,
skops with an explicit trusted-type list); the manifest is the second line of defence.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from finadvisor.shared.errors import ModelNotReadyError

MANIFEST = "MANIFEST.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(folder: Path, **meta: Any) -> Path:
    """Hash every file in ``folder`` (recursively, except the manifest) into MANIFEST.json."""
    folder = Path(folder)
    files = {
        str(p.relative_to(folder)): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    path = folder / MANIFEST
    path.write_text(json.dumps({"files": files, **meta}, indent=2, sort_keys=True) + "\n")
    return path


def verify_manifest(folder: Path) -> dict[str, Any]:
    """Check every file listed in the manifest; return the manifest. Raises ModelNotReadyError."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise ModelNotReadyError(f"no {MANIFEST} in {folder}; run `finadvisor train`")
    manifest: dict[str, Any] = json.loads(path.read_text())
    for name, digest in manifest.get("files", {}).items():
        f = folder / name
        if not f.is_file():
            raise ModelNotReadyError(f"model file missing: {f}")
        if sha256_file(f) != digest:
            raise ModelNotReadyError(f"model file {f} does not match its manifest checksum")
    return manifest
