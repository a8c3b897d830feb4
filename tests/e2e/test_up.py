"""`finadvisor up` as a subprocess: every service SERVING, reflection, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from finadvisor.services import GRPC_SERVICES
from finadvisor.shared.redis_local import free_port

pytestmark = pytest.mark.e2e


def _processes_with_env(marker: str) -> list[int]:
    """Pids of processes whose environment holds ``marker`` (FINADVISOR_HOME=<tmp>)."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().split(")")[-1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _stack_env(tmp_path: Path) -> tuple[dict[str, str], dict[str, int]]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["FINADVISOR_HOME"] = str(tmp_path / "home")
    ports: dict[str, int] = {}
    for name in [*GRPC_SERVICES, "console"]:
        ports[name] = free_port()
        env[f"FINADVISOR_{name.upper()}_PORT"] = str(ports[name])
        env[f"FINADVISOR_{name.upper()}_METRICS_PORT"] = str(free_port())
    return env, ports


def _wait_line(proc: subprocess.Popen[str], text: str, timeout: float) -> list[str]:
    """Collect stdout lines (in a thread, so the wait is bounded) until ``text`` appears."""
    lines: list[str] = []
    seen = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if text in line:
                seen.set()

    threading.Thread(target=pump, daemon=True).start()
    if not seen.wait(timeout):
        proc.kill()
        raise AssertionError(f"{text!r} not printed; output:\n" + "\n".join(lines) +
                             f"\nstderr: {proc.stderr.read() if proc.stderr else ''}")
    return lines


def test_up_serves_everything_and_stops_clean(tmp_path: Path) -> None:
    env, ports = _stack_env(tmp_path)
    marker = f"FINADVISOR_HOME={env['FINADVISOR_HOME']}"
    proc = subprocess.Popen([sys.executable, "-m", "finadvisor.cli", "up", "--no-train"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out = _wait_line(proc, "Press Ctrl-C to stop.", timeout=240)
        assert any(f"127.0.0.1:{ports['gateway']}" in line for line in out)
        assert any(f"http://127.0.0.1:{ports['console']}/" in line for line in out)
        tls = Path(env["FINADVISOR_HOME"]) / "tls"
        assert any(str(tls / "ca.pem") in line for line in out)
        creds = grpc.ssl_channel_credentials(
            root_certificates=(tls / "ca.pem").read_bytes(),
            private_key=(tls / "supervisor-key.pem").read_bytes(),
            certificate_chain=(tls / "supervisor.pem").read_bytes())
        for name, (_, full_name) in GRPC_SERVICES.items():
            with grpc.secure_channel(f"127.0.0.1:{ports[name]}", creds) as ch:
                status = health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service=full_name), timeout=5).status
                assert status == health_pb2.HealthCheckResponse.SERVING, name
                listed = reflection_pb2_grpc.ServerReflectionStub(ch).ServerReflectionInfo(
                    iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
                names = [s.name for r in listed for s in r.list_services_response.service]
                assert full_name in names, (name, names)
        _check_gateway_credentials(Path(env["FINADVISOR_HOME"]), ports["gateway"])
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['console']}/healthz",
                                    timeout=5) as resp:
            assert resp.status == 200
        assert len(_processes_with_env(marker)) >= 7  # 6 services + redis-server
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while _processes_with_env(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with_env(marker) == []


def _check_gateway_credentials(home: Path, port: int) -> None:
    """The printed dev credentials work; none, or the wrong role, are refused."""
    from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc

    creds = grpc.ssl_channel_credentials((home / "tls" / "ca.pem").read_bytes())
    key = {r: (home / "credentials" / f"{r}.key").read_text().strip()
           for r in ("backend", "analyst", "admin")}
    with grpc.secure_channel(f"127.0.0.1:{port}", creds) as ch:
        stub = gateway_pb2_grpc.AdvisoryGatewayStub(ch)
        with pytest.raises(grpc.RpcError) as err:
            stub.StartSession(gateway_pb2.StartSessionRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        auth = lambda role: [("authorization", f"Bearer {key[role]}")]
        started = stub.StartSession(gateway_pb2.StartSessionRequest(), timeout=10,
                                    metadata=auth("backend"))
        assert started.session_id
        with pytest.raises(grpc.RpcError) as err:
            stub.ListSessions(gateway_pb2.ListSessionsRequest(), timeout=10,
                              metadata=auth("backend"))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        listed = stub.ListSessions(gateway_pb2.ListSessionsRequest(), timeout=10,
                                   metadata=auth("analyst"))
        assert started.session_id in [s.session_id for s in listed.sessions]


def test_up_reports_a_taken_port(tmp_path: Path) -> None:
    import socket

    env, ports = _stack_env(tmp_path)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", ports["gateway"]))
        blocker.listen()
        proc = subprocess.run([sys.executable, "-m", "finadvisor.cli", "up", "--no-train"],
                              env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"gateway port {ports['gateway']} is taken" in proc.stderr
    assert "FINADVISOR_GATEWAY_PORT" in proc.stderr and "Traceback" not in proc.stderr


def test_up_rejects_a_bad_setting(tmp_path: Path) -> None:
    env, _ = _stack_env(tmp_path)
    env["FINADVISOR_STATE_PORT"] = "fifty"
    proc = subprocess.run([sys.executable, "-m", "finadvisor.cli", "up", "--no-train"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "fifty" in proc.stderr
