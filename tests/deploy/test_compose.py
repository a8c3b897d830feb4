"""docker-compose.yml: the compose-spec schema, health checks that really ask gRPC health,
start-up order on health, env names the services read, and volumes where they are read.

No Docker engine runs here: the health-check and PKI commands the containers would run are run
here instead, against a real gRPC health server and a temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from finadvisor.shared.config import load_settings
from tests.deploy.manifests import COMPOSE_FILE, GRPC_SERVICES, SETTINGS, allowed_env

APP_SERVICES = tuple(SETTINGS)


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """container path -> (volume name, read-only)."""
    out = {}
    for spec in service.get("volumes", []):
        parts = spec.split(":")
        out[parts[1]] = (parts[0], len(parts) > 2 and "ro" in parts[2].split(","))
    return out


def _python_c(test: list[str]) -> str:
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def test_compose_file_passes_the_compose_spec_schema() -> None:
    try:
        import check_jsonschema  # noqa: F401 - only whether it is installed
    except ImportError:
        pytest.fail("check-jsonschema is not installed: pip install 'check-jsonschema>=0.29,<1'")
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(COMPOSE_FILE)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_compose_runs_redis_and_every_service_with_a_health_check(compose: dict[str, Any]
                                                                   ) -> None:
    services = compose["services"]
    assert set(services) >= {"redis", *APP_SERVICES}
    for name in ("redis", *APP_SERVICES):
        check = services[name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no health check"
    for name in GRPC_SERVICES:
        code = _python_c(services[name]["healthcheck"]["test"])
        assert "grpc_health" in code and "_HEALTH_PORT" in code, name


def test_services_start_in_order_of_health(compose: dict[str, Any]) -> None:
    services = compose["services"]

    def healthy_deps(name: str) -> set[str]:
        deps = services[name].get("depends_on", {})
        assert isinstance(deps, dict), f"{name}: depends_on without conditions"
        return {d for d, c in deps.items() if c.get("condition") == "service_healthy"}

    assert healthy_deps("gateway") >= {"redis", "state", "generator", "vision", "voice"}
    assert healthy_deps("state") >= {"redis"}
    assert healthy_deps("console") >= {"gateway"}
    for name in APP_SERVICES:
        for dep in services[name].get("depends_on", {}):
            assert dep in services, (name, dep)


def test_env_names_are_settings_the_services_read(compose: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        env = _env(compose["services"][name])
        unknown = sorted(set(env) - allowed_env(name))
        assert not unknown, f"compose {name} sets variables it never reads: {unknown}"
    train = compose["services"]["train"]
    assert set(_env(train)) <= {"FINADVISOR_MODELS_DIR", "FINADVISOR_DATA_DIR"}


def test_every_service_accepts_its_settings_and_finds_its_files(compose: dict[str, Any]
                                                               ) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        service = services[name]
        settings = load_settings(SETTINGS[name], _env(service))
        settings.check_transport()
        assert settings.host == "0.0.0.0", f"{name} would listen on loopback only"
        assert service["command"] == ["serve", name]
        mounts = _mounts(service)
        assert settings.tls_dir is not None and str(settings.tls_dir) in mounts, name
        assert mounts[str(settings.tls_dir)] == ("tls", True), name
        if name in GRPC_SERVICES:
            assert settings.health_port > 0, name
            assert mounts[str(settings.models_dir)] == ("models", True), name
    gateway = load_settings(SETTINGS["gateway"], _env(services["gateway"]))
    assert _mounts(services["gateway"])[str(gateway.credentials_file.parent)][0] == "credentials"
    console = load_settings(SETTINGS["console"], _env(services["console"]))
    assert _mounts(services["console"])[str(console.api_key_file.parent)][0] == "credentials"
    for target, addr in (("state", gateway.state_addr), ("generator", gateway.generator_addr),
                         ("vision", gateway.vision_addr), ("voice", gateway.voice_addr),
                         ("gateway", console.gateway_addr)):
        host, _, port = addr.rpartition(":")
        assert host == target and host in services, addr
        assert int(port) == load_settings(SETTINGS[target],
                                          _env(services[target])).bind_port(), addr
    for name in ("state", "gateway"):
        url = _env(services[name])["REDIS_URL"]
        assert url.startswith("redis://redis:6379/"), url


def test_volumes_keep_models_and_redis_data(compose: dict[str, Any]) -> None:
    assert {"models", "redis-data"} <= set(compose["volumes"])
    assert _mounts(compose["services"]["redis"])["/data"][0] == "redis-data"
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"  # survives a restart
    train = compose["services"]["train"]
    assert _mounts(train)["/opt/finadvisor/models"] == ("models", False)


def test_app_containers_are_locked_down(compose: dict[str, Any]) -> None:
    for name in ("redis", *APP_SERVICES):
        service = compose["services"][name]
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


@pytest.fixture()
def health_server() -> Any:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, port
    finally:
        server.stop(0)


def _run_check(code: str, port: int) -> int:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_HEALTH_PORT")}
    env["FINADVISOR_STATE_HEALTH_PORT"] = str(port)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          timeout=60, check=False).returncode


def test_grpc_health_check_passes_only_while_serving(compose: dict[str, Any],
                                                     health_server: Any) -> None:
    code = _python_c(compose["services"]["state"]["healthcheck"]["test"])
    servicer, port = health_server
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    assert _run_check(code, port) != 0
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    assert _run_check(code, port) == 0


def test_grpc_health_check_fails_when_nothing_listens(compose: dict[str, Any],
                                                      health_server: Any) -> None:
    code = _python_c(compose["services"]["state"]["healthcheck"]["test"])
    _, port = health_server
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert free != port
    assert _run_check(code, free) != 0


def test_pki_service_writes_every_file_the_services_read(compose: dict[str, Any],
                                                         tmp_path: Path) -> None:
    from finadvisor.shared.security import CredentialStore, TlsFiles

    pki = compose["services"]["pki"]
    assert pki["entrypoint"] == ["python", "-c"]
    code = pki["command"][0].replace("/etc/finadvisor", str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    for name in GRPC_SERVICES:
        files = TlsFiles.load(tmp_path / "tls", name)
        assert files.cert.startswith(b"-----BEGIN CERTIFICATE")
    assert (tmp_path / "tls" / "ca.pem").is_file()
    console = load_settings(SETTINGS["console"], _env(compose["services"]["console"]))
    gateway = load_settings(SETTINGS["gateway"], _env(compose["services"]["gateway"]))
    store = CredentialStore.load(tmp_path / "credentials" / gateway.credentials_file.name)
    key = (tmp_path / "credentials" / console.api_key_file.name).read_text().strip()
    assert "analyst" in store.authenticate(f"Bearer {key}").roles
    def waits_for_pki(name: str) -> bool:
        deps = compose["services"][name].get("depends_on", {})
        return "pki" in deps and deps["pki"]["condition"] == "service_completed_successfully" \
            or any(waits_for_pki(d) for d in deps)

    for name in APP_SERVICES:  # every service starts after the files exist
        assert waits_for_pki(name), name
