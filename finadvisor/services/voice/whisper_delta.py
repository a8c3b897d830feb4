"""The recogniser's adaptation to this service's audio: a small set of Whisper weights that
replace the bundled model's ones, applied by writing a patched CTranslate2 model folder.

CTranslate2 keeps a model in one ``model.bin``: a header (format version, spec name, revision),
then each variable as (name, rank, dims, dtype id, byte count, bytes), then aliases. The
adaptation (``training.adapt_recogniser``) retrains the encoder's top layers and some of the
decoder's variables; only those are committed (``DELTA_FILE``, float16, about 11 MB). At load
time the bundled model's file is copied with those variables' bytes replaced into a cache
folder named by the hash of both, so the service never writes next to the installed wheel and a
changed delta makes a new folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
from pathlib import Path

import numpy as np

from finadvisor.shared.errors import ConfigError

DELTA_FILE = "asr/whisper_delta.safetensors"
#: files of a CTranslate2 Whisper folder besides model.bin, copied as they are
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json")
_DTYPES: dict[int, type[np.generic]] = {
    0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def _read_string(f: io.BufferedIOBase) -> str:
    n = struct.unpack("<H", f.read(2))[0]
    return f.read(n)[:-1].decode("utf-8")


def variable_table(model_bin: Path) -> dict[str, tuple[int, tuple[int, ...], int, int]]:
    """name -> (byte offset, shape, dtype id, byte count) of every variable in ``model_bin``."""
    table: dict[str, tuple[int, tuple[int, ...], int, int]] = {}
    with Path(model_bin).open("rb") as f:
        f.read(4)  # binary version
        _read_string(f)  # spec name
        f.read(4)  # revision
        (count,) = struct.unpack("<I", f.read(4))
        for _ in range(count):
            name = _read_string(f)
            (rank,) = struct.unpack("<B", f.read(1))
            shape = struct.unpack(f"<{rank}I", f.read(4 * rank)) if rank else ()
            (dtype,) = struct.unpack("<B", f.read(1))
            (nbytes,) = struct.unpack("<I", f.read(4))
            table[name] = (f.tell(), tuple(shape), dtype, nbytes)
            f.seek(nbytes, io.SEEK_CUR)
    return table


def read_variables(model_bin: Path, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """The variables of ``model_bin`` (all, or ``names``) as numpy arrays."""
    table = variable_table(model_bin)
    out = {}
    with Path(model_bin).open("rb") as f:
        for name in names if names is not None else list(table):
            offset, shape, dtype, nbytes = table[name]
            if dtype not in _DTYPES:
                raise ConfigError(f"{name}: unsupported CTranslate2 dtype id {dtype}")
            f.seek(offset)
            out[name] = np.frombuffer(f.read(nbytes), dtype=_DTYPES[dtype]).reshape(shape).copy()
    return out


def patch_model(base_dir: Path, delta: dict[str, np.ndarray], out_dir: Path) -> Path:
    """Write ``base_dir`` with ``delta``'s variables replaced into ``out_dir`` (same names,
    shapes and dtypes as the base; anything else is refused). Returns ``out_dir``."""
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    table = variable_table(base_dir / "model.bin")
    data = bytearray((base_dir / "model.bin").read_bytes())
    for name, value in delta.items():
        if name not in table:
            raise ConfigError(f"recogniser delta names {name!r}, which the base model lacks")
        offset, shape, dtype, nbytes = table[name]
        arr = np.ascontiguousarray(value, dtype=_DTYPES[dtype])
        if tuple(arr.shape) != shape:
            raise ConfigError(f"recogniser delta {name!r} has shape {arr.shape}, base {shape}")
        data[offset:offset + nbytes] = arr.tobytes()
    # written beside and renamed, so a process starting at the same time never reads half a file
    tmp = out_dir.with_name(f"{out_dir.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for side in SIDE_FILES:
        if (base_dir / side).is_file():
            shutil.copy(base_dir / side, tmp / side)
    (tmp / "model.bin").write_bytes(bytes(data))
    shutil.rmtree(out_dir, ignore_errors=True)
    try:
        tmp.rename(out_dir)
    except OSError:  # another process renamed its identical copy first
        shutil.rmtree(tmp, ignore_errors=True)
        if not (out_dir / "model.bin").is_file():
            raise
    return out_dir


def load_delta(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return dict(load_file(str(path)))


def save_delta(delta: dict[str, np.ndarray], path: Path) -> None:
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(v, dtype=np.float16) for k, v in sorted(delta.items())},
              str(path))


def adapted_model_dir(base_dir: Path, delta_path: Path, cache_root: Path) -> Path:
    """The patched model folder for ``base_dir`` + the delta at ``delta_path``, written under
    ``cache_root`` on first use and reused after (its name is the hash of both inputs)."""
    h = hashlib.sha256()
    h.update(hashlib.sha256((Path(base_dir) / "model.bin").read_bytes()).digest())
    h.update(Path(delta_path).read_bytes())
    out = Path(cache_root) / f"whisper-adapted-{h.hexdigest()[:16]}"
    if not (out / "model.bin").is_file():
        patch_model(base_dir, load_delta(delta_path), out)
    return out
