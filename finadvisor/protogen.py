"""Generate the Python stubs of the proto contract: the one way stubs are made.

The stubs (``*_pb2.py``, ``*_pb2.pyi``, ``*_pb2_grpc.py``) are committed next to the package
(``finadvisor/<service>/v1/``) so that an install needs no code generation. ``--check``
regenerates into a temporary folder and fails when the committed copy has drifted from
``protos/``.

    python -m finadvisor.protogen          # regenerate
    python -m finadvisor.protogen --check  # exit 1 on drift
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "protos"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def generate(out_dir: Path) -> list[Path]:
    """Run protoc over every .proto into ``out_dir``; return the generated files (relative)."""
    import grpc_tools
    from grpc_tools import protoc  # build-time dependency only

    include = Path(grpc_tools.__file__).parent / "_proto"
    files = [str(p.relative_to(PROTO_ROOT)) for p in proto_files()]
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *files,
    ]
    code = protoc.main(args)
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code}")
    generated = sorted(
        p.relative_to(out_dir) for p in out_dir.rglob("*") if p.name.endswith(GENERATED_SUFFIXES)
    )
    # Every folder of the proto package path becomes a Python package.
    for rel in generated:
        for parent in rel.parents:
            if str(parent) in (".", "finadvisor"):
                continue
            init = out_dir / parent / "__init__.py"
            if not init.exists():
                init.write_text("")
    return generated


def committed_files() -> list[Path]:
    pkg_dirs = {p.relative_to(PROTO_ROOT).parent for p in proto_files()}
    found: list[Path] = []
    for d in pkg_dirs:
        folder = REPO_ROOT / d
        if folder.is_dir():
            found += [
                (d / f.name) for f in folder.iterdir() if f.name.endswith(GENERATED_SUFFIXES)
            ]
    return sorted(found)


def check() -> list[str]:
    """Return human-readable drift problems (empty when the stubs match the .proto files)."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        fresh = generate(out)
        committed = committed_files()
        for rel in sorted(set(fresh) | set(committed)):
            if rel not in committed:
                problems.append(f"missing stub: {rel}")
            elif rel not in fresh:
                problems.append(f"stale stub (no .proto makes it): {rel}")
            elif not filecmp.cmp(out / rel, REPO_ROOT / rel, shallow=False):
                problems.append(f"stub differs from its .proto: {rel}")
    return problems


def write() -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generated = generate(out)
        for rel in committed_files():
            if rel not in generated:
                (REPO_ROOT / rel).unlink()
        for src in out.rglob("*"):
            if src.is_file():
                dest = REPO_ROOT / src.relative_to(out)
                dest.parent.mkdir(parents=True, exist_ok=True)
                if not dest.exists() or not filecmp.cmp(src, dest, shallow=False):
                    shutil.copyfile(src, dest)
    return generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when stubs drift")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print("run: python -m finadvisor.protogen", file=sys.stderr)
            return 1
        print("stubs match the .proto files")
        return 0
    generated = write()
    print(f"generated {len(generated)} stub files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
