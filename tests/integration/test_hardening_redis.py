"""The Redis `finadvisor up` runs is locked like a production one: a password (ACL user for the
services, the default user off), private files. Real redis-server on loopback."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

from finadvisor.shared.redis_local import LocalRedis, new_redis_password

pytestmark = [pytest.mark.integration]


def test_redis_without_the_password_is_noauth(tmp_path: Path) -> None:
    password = new_redis_password(tmp_path / "credentials" / "redis-password")
    assert new_redis_password(tmp_path / "credentials" / "redis-password") == password
    assert stat.S_IMODE((tmp_path / "credentials" / "redis-password").stat().st_mode) == 0o600
    server = LocalRedis(tmp_path / "redis", password=password, log_file=True).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(b"GET fa:{x}:state\r\n")
            assert raw.recv(100).startswith(b"-NOAUTH")
        wrong = Redis.from_url(f"redis://finadvisor:not-it@127.0.0.1:{server.port}/0")
        with pytest.raises((AuthenticationError, ResponseError)):
            wrong.ping()
        wrong.close()
        services = Redis.from_url(server.url)
        assert services.set("fa:{x}:state", "1")
        assert services.eval("return redis.call('GET', KEYS[1])", 1, "fa:{x}:state") == b"1"
        for admin in (("CONFIG", "GET", "dir"), ("FLUSHALL",), ("KEYS", "*")):
            with pytest.raises(NoPermissionError):
                services.execute_command(*admin)
        services.bgrewriteaof()  # erasure compacts the AOF: allowed
        services.close()
        data = tmp_path / "redis"
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        files = [p for p in data.iterdir() if p.is_file()]
        assert any(p.name == "redis.log" for p in files)
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
        assert password not in " ".join(Path(f"/proc/{server.proc.pid}/cmdline")
                                        .read_text().split("\0"))
    finally:
        server.stop()
