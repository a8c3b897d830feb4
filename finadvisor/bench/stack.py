"""A local stack for benchmarks: `finadvisor up` as a child process on free ports, or a target
given on the command line."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from finadvisor.services import GRPC_SERVICES
from finadvisor.shared.redis_local import free_port, port_is_free


@dataclass
class StackHandle:
    gateway: str
    ca: Path | None = None
    api_key: str | None = None
    redis_url: str = ""
    home: Path | None = None
    proc: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    #: the home was made for this stack (a temporary folder): ``stop`` removes it, with the
    #: credentials, keys, logs and Redis files in it
    own_home: bool = False

    def channel(self) -> grpc.aio.Channel:
        from finadvisor.shared.client import make_channel

        creds = grpc.ssl_channel_credentials(self.ca.read_bytes()) if self.ca else None
        return make_channel(self.gateway, default_timeout_s=60, credentials=creds,
                            api_key=self.api_key)

    def service_pids(self) -> dict[str, int]:
        """Pids of the stack's service processes (found by their FINADVISOR_HOME)."""
        if self.home is None:
            return {}
        marker = f"FINADVISOR_HOME={self.home}".encode()
        found: dict[str, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if marker not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            for part in cmd:
                if part.startswith(b"finadvisor.services."):
                    found[part.decode().rsplit(".", 1)[-1]] = int(entry.name)
        return found

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.own_home and self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)


def _listen_ports(count: int) -> list[int]:
    """``count`` distinct free ports below the kernel's ephemeral range: a port taken by
    binding port 0 can meanwhile become the local port of some outgoing connection (the
    benchmark opens many), and a service then fails to start on it."""
    low = 32768
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    if low <= 12000:  # an unusual range: the kernel's own choice, made distinct
        found: set[int] = set()
        while len(found) < count:
            found.add(free_port())
        return list(found)
    rng = random.Random()
    found = set()
    while len(found) < count:
        port = rng.randrange(10000, low)
        if port not in found and port_is_free(port):
            found.add(port)
    return list(found)


#: The gateway's limits under the benchmark, for the split stack and the one-process gateway
#: (``components.monolith``) alike: per-client rate limits as by default (one backend key must
#: get through the load), the per-session turn limit off (the benchmark sends a customer's
#: turns far faster than a person types).
GATEWAY_LIMITS = {
    "FINADVISOR_GATEWAY_SESSION_TURNS_PER_MIN": "0",
    "FINADVISOR_GATEWAY_MAX_TURNS_PER_SESSION": "64",
}


def start_stack(timeout_s: float = 300, extra_env: dict[str, str] | None = None) -> StackHandle:
    """`finadvisor up` on free ports with its own home; TLS and API keys as by default, the
    gateway's limits ``GATEWAY_LIMITS``."""
    home = Path(tempfile.mkdtemp(prefix="finadvisor-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["FINADVISOR_HOME"] = str(home)
    env.update(GATEWAY_LIMITS)
    env["FINADVISOR_LOG_LEVEL"] = "WARNING"
    ports, metrics_ports = {}, {}
    picked = _listen_ports(2 * (len(GRPC_SERVICES) + 1))
    for name in [*GRPC_SERVICES, "console"]:
        ports[name], metrics_ports[name] = picked.pop(), picked.pop()
        env[f"FINADVISOR_{name.upper()}_PORT"] = str(ports[name])
        env[f"FINADVISOR_{name.upper()}_METRICS_PORT"] = str(metrics_ports[name])
    env.update(extra_env or {})
    proc = subprocess.Popen([sys.executable, "-m", "finadvisor.cli", "up", "--no-train"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    handle = StackHandle(gateway=f"127.0.0.1:{ports['gateway']}", home=home, proc=proc, own_home=True,
                         ca=home / "tls" / "ca.pem", ports=ports,
                         metrics_ports=metrics_ports)
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            handle.output.append(line.rstrip())
            if line.startswith("  redis     "):
                handle.redis_url = line.split()[1]
            if "Press Ctrl-C to stop." in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(timeout_s):
        handle.stop()
        raise RuntimeError("stack did not start:\n" + "\n".join(handle.output[-30:]))
    handle.api_key = (home / "credentials" / "backend.key").read_text().strip()
    password = home / "credentials" / "redis-password"
    if password.is_file() and handle.redis_url.startswith("redis://") and \
            "@" not in handle.redis_url:  # up's own Redis: its ACL user, as the services
        handle.redis_url = handle.redis_url.replace(
            "redis://", f"redis://finadvisor:{password.read_text().strip()}@", 1)
    return handle
