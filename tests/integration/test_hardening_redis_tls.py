"""TLS to Redis, as the Kubernetes prod overlay runs it: a real redis-server built with TLS
listening only on its ``tls-port`` with a password and ``tls-auth-clients yes``, and a Sentinel
that is itself TLS only. The session store connects with ``rediss://`` / ``rediss+sentinel://``
and the CA and client certificate from ``SessionSettings``; without them it gets nothing."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from finadvisor.sessions import RedisStateStore, SessionSettings
from finadvisor.shared.errors import ConfigError, StoreUnavailableError
from finadvisor.shared.redis_local import free_port
from finadvisor.shared.security import generate_dev_pki

pytestmark = [pytest.mark.integration]
ASYNC = pytest.mark.asyncio(loop_scope="session")

PASSWORD = "tls-test-password-0123456789abcdef"


def tls_redis_server() -> str:
    """A redis-server built with TLS (Debian's is; a minimal static build may not be)."""
    seen = []
    for cand in (shutil.which("redis-server"), "/usr/bin/redis-server",
                 "/usr/local/bin/redis-server"):
        if not cand or cand in seen or not Path(cand).exists():
            continue
        seen.append(cand)
        out = subprocess.run([cand, "--port", "0", "--tls-port", str(free_port())],
                             capture_output=True, text=True, timeout=10, check=False)
        if "configure TLS" in out.stdout + out.stderr:  # it knows TLS, wants its files
            return cand
    pytest.fail(f"no redis-server with TLS support among {seen}: install one "
                "(apt-get install redis-server)")


class TlsRedis:
    def __init__(self, folder: Path, tls: Path, sentinel_of: int | None = None) -> None:
        self.folder, self.tls, self.port = folder, tls, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        lines = [
            "port 0", f"tls-port {self.port}", "bind 127.0.0.1", f"dir {folder}",
            f"tls-cert-file {tls / 'redis.pem'}", f"tls-key-file {tls / 'redis-key.pem'}",
            f"tls-ca-cert-file {tls / 'ca.pem'}", "tls-auth-clients yes",
            "tls-replication yes",
        ]
        if sentinel_of is None:
            lines += [f"requirepass {PASSWORD}", 'save ""', "appendonly no"]
        else:
            lines += [f"sentinel monitor finadvisor 127.0.0.1 {sentinel_of} 1",
                      f"sentinel auth-pass finadvisor {PASSWORD}"]
        conf = folder / "redis.conf"
        conf.write_text("\n".join(lines) + "\n")
        args = [tls_redis_server(), str(conf)] + (["--sentinel"] if sentinel_of else [])
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(host="127.0.0.1", port=self.port, ssl=True,
                            ssl_ca_certs=str(tls / "ca.pem"),
                            ssl_certfile=str(tls / "state.pem"),
                            ssl_keyfile=str(tls / "state-key.pem"),
                            password=None if sentinel_of else PASSWORD, socket_timeout=1)
        deadline = time.monotonic() + 20
        try:
            while True:
                try:
                    probe.ping()
                    break
                except redis.exceptions.ConnectionError:
                    assert self.proc.poll() is None, "TLS redis-server exited at start"
                    assert time.monotonic() < deadline, "TLS redis-server did not answer"
                    time.sleep(0.05)
        except AssertionError:
            self.stop()
            raise
        finally:
            probe.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture()
def tls_redis(tmp_path: Path) -> Iterator[tuple[TlsRedis, Path]]:
    tls = generate_dev_pki(tmp_path / "tls", ["redis", "state", "gateway"])
    server = TlsRedis(tmp_path / "redis", tls)
    try:
        yield server, tls
    finally:
        server.stop()


async def _roundtrip(settings: SessionSettings) -> None:
    store = RedisStateStore(settings)
    sid = uuid.uuid4().hex
    try:
        await store.create_session(sid, profile={"customer_id": "c-tls"})
        assert (await store.get_state(sid)).profile["customer_id"] == "c-tls"
        await store.erase(sid)
    finally:
        await store.close()


def _files(tls: Path, who: str = "state") -> dict[str, str]:
    return {"tls_ca_file": str(tls / "ca.pem"), "tls_cert_file": str(tls / f"{who}.pem"),
            "tls_key_file": str(tls / f"{who}-key.pem")}


@ASYNC
async def test_the_store_speaks_tls_with_the_ca_and_its_certificate(tls_redis) -> None:
    server, tls = tls_redis
    url = f"rediss://:{PASSWORD}@localhost:{server.port}/0"
    env = {"REDIS_URL": url, "FINADVISOR_SESSION_TLS_CA_FILE": str(tls / "ca.pem"),
           "FINADVISOR_SESSION_TLS_CERT_FILE": str(tls / "gateway.pem"),
           "FINADVISOR_SESSION_TLS_KEY_FILE": str(tls / "gateway-key.pem")}
    await _roundtrip(SessionSettings.from_env(env))
    await _roundtrip(SessionSettings(url=url, auto_pipeline=False, **_files(tls)))
    refused = [
        SessionSettings(url=url, tls_ca_file=str(tls / "ca.pem")),  # no client certificate
        SessionSettings(url=url, tls_cert_file=str(tls / "state.pem"),  # the system's CAs
                        tls_key_file=str(tls / "state-key.pem")),
        SessionSettings(url=f"redis://:{PASSWORD}@localhost:{server.port}/0"),  # plain text
    ]
    for settings in refused:
        with pytest.raises(StoreUnavailableError):
            await _roundtrip(_fast(settings))
    with pytest.raises(StoreUnavailableError):  # TLS and certificates, but no password
        await _roundtrip(_fast(SessionSettings(url=f"rediss://localhost:{server.port}/0",
                                                        **_files(tls))))


def _fast(settings: SessionSettings) -> SessionSettings:
    import dataclasses

    return dataclasses.replace(settings, op_timeout_s=2.0)


@ASYNC
async def test_sentinel_and_master_over_tls(tls_redis, tmp_path: Path) -> None:
    server, tls = tls_redis
    sentinel = TlsRedis(tmp_path / "sentinel", tls, sentinel_of=server.port)
    try:
        await _roundtrip(SessionSettings(
            url=f"rediss+sentinel://:{PASSWORD}@localhost:{sentinel.port}/finadvisor/0",
            **_files(tls)))
        with pytest.raises(StoreUnavailableError):  # a plain-text sentinel client gets nothing
            await _roundtrip(_fast(SessionSettings(
                url=f"rediss+sentinel://:{PASSWORD}@localhost:{sentinel.port}/finadvisor/0"
                    "?sentinel_tls=0", **_files(tls))))
    finally:
        sentinel.stop()


def test_tls_files_need_a_tls_url_and_come_in_pairs() -> None:
    with pytest.raises(ConfigError, match="rediss"):
        SessionSettings(url="redis://localhost:6379/0", tls_ca_file="/ca.pem")
    with pytest.raises(ConfigError, match="TLS_KEY_FILE"):
        SessionSettings(url="rediss://localhost:6379/0", tls_cert_file="/c.pem")
