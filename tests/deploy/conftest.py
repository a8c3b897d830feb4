"""Fixtures of the deploy checks: the rendered overlays and the compose file."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import (
    COMPOSE_FILE,
    K8S,
    OVERLAYS,
    SECRET_FILES,
    Rendered,
    fill_prod_secrets,
    kustomize,
)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns(*SECRET_FILES))
    fill_prod_secrets(copy / "overlays" / "prod" / "secrets")
    return {name: Rendered(name, kustomize(copy / "overlays" / name)) for name in OVERLAYS}


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())
