"""Shared fixtures: a real redis-server started by the tests on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from finadvisor.shared.redis_local import LocalRedis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    """One redis-server for the whole test session (tests use distinct session ids)."""
    server = LocalRedis(tmp_path_factory.mktemp("redis"), persist=False).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def redis_url(redis_server: LocalRedis) -> str:
    return redis_server.url


@pytest.fixture()
def fresh_redis(tmp_path: Path) -> Iterator[LocalRedis]:
    """A redis-server of this test alone (for tests that stop or restart it)."""
    server = LocalRedis(tmp_path / "redis", persist=True).start()
    try:
        yield server
    finally:
        server.stop()
