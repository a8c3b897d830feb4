"""Limits that fit a bank, through the real gateway (every service in-process, real Redis, the
real credential store): the bench's open loop of ONE backend key at 200 turns/s with the
default limits gets no RESOURCE_EXHAUSTED and every turn answered, while a client whose own
limit in the credentials file is tiny is refused, and the scenario counts the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from finadvisor.bench.one_key import default_limits, open_loop
from finadvisor.shared.security import generate_dev_credentials, new_api_key
from tests.integration.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_one_key_at_200_turns_a_second_is_never_refused(redis_server,
                                                              tmp_path: Path) -> None:
    limits = default_limits()
    assert limits["rate_limit_per_s"] >= 200 and limits["rate_burst"] >= 400
    store, keys = generate_dev_credentials(tmp_path / "credentials")
    data = json.loads(store.read_text())
    tight_key, digest = new_api_key("tight-client")
    data["clients"].append({"id": "tight-client", "roles": ["backend"], "key_sha256": digest,
                            "rate_limit_per_s": 0.5, "rate_burst": 5})
    store.write_text(json.dumps(data))
    # The gateway's limits as shipped: nothing but the credentials file is set.
    stack = await Stack(redis_server.url).start({"FINADVISOR_CREDENTIALS_FILE": str(store)})
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{stack.ports['gateway']}")
    try:
        backend = [("authorization", f"Bearer {keys['backend'].read_text().strip()}")]
        got = await open_loop(channel, rate=200, seconds=1, sessions=50, metadata=backend)
        assert got["turns"] == 200
        assert got["resource_exhausted"] == 0, got
        assert got["other_errors"] == {}, got["first_error_message"]
        assert got["served"] == 200
        tight = [("authorization", f"Bearer {tight_key}")]
        refused = await open_loop(channel, rate=20, seconds=1, sessions=4, metadata=tight)
        assert refused["served"] + refused["resource_exhausted"] == 20
        assert refused["resource_exhausted"] >= 10, refused
        assert any("rate limit" in m for m in refused["resource_exhausted_by_message"])
    finally:
        await channel.close()
        await stack.stop()
