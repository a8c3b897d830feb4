"""The prod overlay's Redis runs TLS only, and the services reach it over TLS with the password,
the CA and their own certificates, all from Secrets.

Not a reading of the YAML alone: the rendered init script (``configure.sh``) runs here for pod
redis-0 and for redis-1, the configuration files it writes start a real redis-server master,
a replica that replicates over TLS and a Sentinel (a Debian redis-server built with TLS; the
cluster's DNS names become ``localhost``, the ports free ones), with the TLS files of the
rendered Secrets. The state service's and the gateway's rendered settings then open the session
store through that Sentinel; without a client certificate, or in plain text, they get nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from finadvisor.sessions import RedisStateStore, SessionSettings
from finadvisor.shared.errors import StoreUnavailableError
from finadvisor.shared.redis_local import free_port
from tests.deploy.manifests import Rendered
from tests.integration.test_hardening_redis_tls import tls_redis_server

DOMAIN = "redis-headless.finadvisor.svc.cluster.local"
TLS_FILES = {"ca.pem", "redis.pem", "redis-key.pem"}


def _secret(r: Rendered, prefix: str) -> dict[str, bytes]:
    name = next(s["metadata"]["name"] for s in r.of_kind("Secret")
                if re.fullmatch(re.escape(prefix) + r"-[a-z0-9]{10}", s["metadata"]["name"]))
    return r.secret_data(name)


def _containers(r: Rendered) -> dict[str, dict[str, Any]]:
    spec = r.get("StatefulSet", "redis")["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec["initContainers"] + spec["containers"]}


def test_redis_pods_mount_their_certificate_and_listen_only_on_tls(
        rendered: dict[str, Rendered]) -> None:
    r = rendered["prod"]
    volumes = {v["name"]: v for v in
               r.get("StatefulSet", "redis")["spec"]["template"]["spec"]["volumes"]}
    for name, container in _containers(r).items():
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tls")
        assert mount["readOnly"], name
        secret = volumes[mount["name"]]["secret"]
        assert set(r.secret_data(secret["secretName"])) == TLS_FILES, name
        assert secret["defaultMode"] & 0o077 == 0o040  # the key: owner and group only
    script = r.get("ConfigMap", "redis-scripts")["data"]["configure.sh"]
    for line in ("port 0", "tls-port 6379", "tls-port 26379", "tls-auth-clients yes",
                 "tls-replication yes"):
        assert f'echo "{line}"' in script, line
    for name in ("redis", "sentinel"):  # the probes speak TLS with the mounted files
        probe = " ".join(_containers(r)[name]["readinessProbe"]["exec"]["command"])
        assert "--tls" in probe and "/tls/ca.pem" in probe and "/tls/redis-key.pem" in probe


def _configure(r: Rendered, pod: str, tmp: Path, tls: Path) -> tuple[str, str]:
    """Run the rendered configure.sh as pod ``pod``; (redis.conf, sentinel.conf) it wrote."""
    script = r.get("ConfigMap", "redis-scripts")["data"]["configure.sh"]
    work = tmp / pod
    (work / "conf").mkdir(parents=True)
    (work / "bin").mkdir()
    (work / "bin" / "hostname").write_text(f"#!/bin/sh\necho {pod}\n")
    (work / "bin" / "hostname").chmod(0o755)
    script = script.replace("/conf/", f"{work}/conf/").replace("/tls/", f"{tls}/")
    sts = r.get("StatefulSet", "redis")
    env = r.container_env(sts, _containers(r)["configure"])
    env.update(POD_NAMESPACE="finadvisor", PATH=f"{work / 'bin'}:{os.environ['PATH']}")
    proc = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return ((work / "conf" / "redis.conf").read_text(),
            (work / "conf" / "sentinel.conf").read_text())


def _start(conf: str, folder: Path, tls: Path, sentinel: bool = False
           ) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "redis.conf").write_text(conf + "bind 127.0.0.1\n")
    args = [tls_redis_server(), str(folder / "redis.conf")] + (["--sentinel"] if sentinel
                                                               else [])
    log = (folder / "log").open("wb")
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)


def _wait(port: int, tls: Path, password: str | None, check: str = "") -> None:
    probe = redis.Redis(host="localhost", port=port, ssl=True, password=password,
                        ssl_ca_certs=str(tls / "ca.pem"), ssl_certfile=str(tls / "redis.pem"),
                        ssl_keyfile=str(tls / "redis-key.pem"), socket_timeout=1)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if not check:
                    probe.ping()
                    return
                field, _, want = check.partition("=")
                if probe.info("replication").get(field) == int(want):
                    return
            except redis.exceptions.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"redis on {port} not ready ({check})"
            time.sleep(0.05)
    finally:
        probe.close()


def test_services_reach_the_rendered_redis_over_tls_only(rendered: dict[str, Rendered],
                                                         tmp_path: Path) -> None:
    r = rendered["prod"]
    tls = tmp_path / "tls"
    tls.mkdir()
    for key, value in _secret(r, "finadvisor-tls-redis").items():
        (tls / key).write_bytes(value)
    password = _secret(r, "finadvisor-redis")["password"].decode()
    master_conf, sentinel_conf = _configure(r, "redis-0", tmp_path, tls)
    replica_conf, _ = _configure(r, "redis-1", tmp_path, tls)
    assert "replicaof" not in master_conf and f"replicaof redis-0.{DOMAIN} 6379" in replica_conf
    master, replica, sentinel = free_port(), free_port(), free_port()

    def local(conf: str, data: Path, port: int) -> str:
        conf = re.sub(r"^dir .*$", f"dir {data}", conf, flags=re.M)
        return (conf.replace("tls-port 6379", f"tls-port {port}")
                .replace("tls-port 26379", f"tls-port {port}")
                .replace(f"redis-0.{DOMAIN} 6379", f"localhost {master}"))

    procs = [_start(local(master_conf, tmp_path / "d0", master), tmp_path / "d0", tls),
             _start(local(replica_conf, tmp_path / "d1", replica), tmp_path / "d1", tls)]
    try:
        # The replica joins over TLS with its certificate: the master's min-replicas-to-write 1
        # would refuse every write without it.
        _wait(master, tls, password, check="min_slaves_good_slaves=1")
        procs.append(_start(local(sentinel_conf, tmp_path / "s0", sentinel), tmp_path / "s0",
                            tls, sentinel=True))
        _wait(sentinel, tls, None)
        asyncio.run(_services(r, tmp_path, sentinel))
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


async def _services(r: Rendered, tmp: Path, sentinel: int) -> None:
    for name in ("state", "gateway"):
        deployment = r.get("Deployment", name)
        container = next(c for c in deployment["spec"]["template"]["spec"]["containers"]
                         if c["name"] == name)
        env = r.container_env(deployment, container)
        tls_dir = tmp / f"tls-{name}"
        tls_dir.mkdir()
        for key, value in _secret(r, f"finadvisor-tls-{name}").items():
            (tls_dir / key).write_bytes(value)
        env = {k: v.replace("/etc/finadvisor/tls/", f"{tls_dir}/") for k, v in env.items()}
        assert env["REDIS_URL"].startswith("rediss+sentinel://")
        env["REDIS_URL"] = env["REDIS_URL"].replace("redis-sentinel:26379",
                                                    f"localhost:{sentinel}")
        settings = SessionSettings.from_env(env)
        assert settings.tls_ca_file and settings.tls_cert_file.endswith(f"{name}.pem")
        await _roundtrip(settings)
        fast = dataclasses.replace(settings, op_timeout_s=2.0)
        for wrong in (dataclasses.replace(fast, tls_cert_file="", tls_key_file=""),
                      dataclasses.replace(fast, tls_ca_file="", tls_cert_file="",
                                          tls_key_file="", url=fast.url.replace("rediss+",
                                                                                "redis+"))):
            with pytest.raises(StoreUnavailableError):
                await _roundtrip(wrong)


async def _roundtrip(settings: SessionSettings) -> None:
    store = RedisStateStore(settings)
    sid = uuid.uuid4().hex
    try:
        await store.create_session(sid, profile={"customer_id": "k8s"})
        assert (await store.get_state(sid)).profile["customer_id"] == "k8s"
        await store.erase(sid)
    finally:
        await store.close()
