"""deploy/Dockerfile and .dockerignore, read statically (no Docker engine runs here).

The image must install the package with CPU torch at the version pyproject pins, run as the
non-root user the manifests expect, keep compilers out of the final stage, and bake the default
models in where FINADVISOR_MODELS_DIR says. The commands it runs are run here too.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from finadvisor.training import available_components
from tests.deploy.manifests import DOCKERFILE, ROOT

COMPILERS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cmake|[a-z0-9.+-]+-dev)\b")


@dataclass
class Stage:
    name: str
    parent: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [a for k, a in self.instructions if k == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """(global ARG defaults, stages in order); continuation lines joined, comments dropped."""
    lines: list[str] = []
    buf = ""
    for raw in text.splitlines():
        if raw.lstrip().startswith("#") and not buf:
            continue
        if raw.lstrip().startswith("#"):
            continue
        buf += raw.rstrip()
        if buf.endswith("\\"):
            buf = buf[:-1] + " "
            continue
        if buf.strip():
            lines.append(buf.strip())
        buf = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name=name, parent=words[0]))
        elif not stages:
            if keyword == "ARG":
                key, _, value = rest.partition("=")
                args[key] = value
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


@pytest.fixture(scope="module")
def dockerfile() -> tuple[dict[str, str], list[Stage]]:
    return parse_dockerfile(DOCKERFILE.read_text())


def _chain(stages: list[Stage], stage: Stage) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first."""
    by_name = {s.name: s for s in stages}
    out = [stage]
    while out[-1].parent in by_name:
        out.append(by_name[out[-1].parent])
    return out


def test_final_stage_runs_as_the_non_root_user_of_the_manifests(dockerfile) -> None:
    _, stages = dockerfile
    final = stages[-1]
    users = final.args("USER")
    assert users, "the final stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid == "10001" and gid == "10001"  # runAsUser/runAsGroup in deploy/k8s/base
    assert final.args("ENTRYPOINT") == ['["finadvisor"]']


def test_no_compiler_reaches_the_final_stage(dockerfile) -> None:
    _, stages = dockerfile
    assert len(stages) >= 3, "not a multi-stage build"
    final_chain = _chain(stages, stages[-1])
    for stage in final_chain:
        for run in stage.args("RUN"):
            assert not COMPILERS.search(run), f"stage {stage.name} installs a compiler: {run}"
    builders = [s for s in stages if s not in final_chain]
    assert any(COMPILERS.search(r) for s in builders for r in s.args("RUN")), \
        "the compilers should live in a build stage"
    # What the final stage copies from the build stages is the venv and the models, no sources.
    copies = [a for a in stages[-1].args("COPY") if a.startswith("--from=")]
    assert {c.split()[-1] for c in copies} == {"/opt/venv", "/opt/finadvisor/models"}


def test_torch_is_the_cpu_build_at_the_pinned_version(dockerfile) -> None:
    _, stages = dockerfile
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["dependencies"] if d.replace(" ", "").startswith(
        "torch==")]
    assert len(pins) == 1
    runs = [r for s in stages for r in s.args("RUN") if "torch" in r]
    assert len(runs) == 1, runs
    words = shlex.split(runs[0])
    assert pins[0].replace(" ", "") in words
    assert words[words.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    installs = [r for s in stages for r in s.args("RUN") if re.search(r"pip install \.", r)]
    torch_stage = next(s for s in stages for r in s.args("RUN") if "torch" in r)
    package_stage = next(s for s in stages for r in s.args("RUN") if r in installs)
    assert torch_stage is package_stage
    order = [r for r in torch_stage.args("RUN")]
    assert order.index(runs[0]) < order.index(installs[0]), "torch must come first"


def test_default_models_are_baked_in_where_the_services_look(dockerfile) -> None:
    _, stages = dockerfile
    env = " ".join(stages[-1].args("ENV"))
    assert "FINADVISOR_MODELS_DIR=/opt/finadvisor/models" in env
    models = next(s for s in stages if s.name == "models")
    assert "finadvisor/models /opt/finadvisor/models" in " ".join(models.args("COPY"))


@pytest.mark.slow
def test_the_model_stage_finds_what_to_train(dockerfile, tmp_path: Path) -> None:
    """Its first command, run here on an empty models folder, names every built component."""
    _, stages = dockerfile
    models = next(s for s in stages if s.name == "models")
    run = models.args("RUN")[0]
    first = shlex.split(run.split("&&")[0].split(">")[0])
    assert first[:2] == ["python", "-c"]
    code = first[2].replace("/opt/finadvisor/models", str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == available_components()
    assert "finadvisor train --component" in run


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        for candidate in (pattern, pattern.removeprefix("**/")):
            if fnmatch.fnmatch(path, candidate) or fnmatch.fnmatch(path.split("/")[-1], candidate) \
                    and candidate.startswith("*"):
                ignored = not negate
                break
            if path.startswith(candidate + "/"):
                ignored = not negate
                break
    return ignored


def test_dockerignore_keeps_secrets_out_and_the_sources_in(dockerfile) -> None:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    _, stages = dockerfile
    for stage in stages:
        for copy in stage.args("COPY"):
            if copy.startswith("--from="):
                continue
            for source in copy.split()[:-1]:
                if source.startswith("--"):
                    continue
                assert not _ignored(source.rstrip("/"), patterns), f"COPY {source} is ignored"
    for private in (".git", "deploy/k8s/overlays/prod/secrets/tls/ca-key.pem",
                    "tls/ca-key.pem", "credentials/clients.json", "backend.key", "tests",
                    ".venv"):
        assert _ignored(private, patterns), private
