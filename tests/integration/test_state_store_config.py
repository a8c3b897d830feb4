"""Store configuration and the in-memory store's expiry: no network needed."""

from __future__ import annotations

import pytest

from finadvisor.services.state.store import (
    InMemoryStateStore,
    RedisStateStore,
    SlotUpdate,
    StoreConfig,
    TurnInput,
    create_state_store,
    session_keys,
)
from finadvisor.shared.errors import ConfigError, InvalidInputError, SessionNotFoundError


def test_session_keys_share_one_hash_tag() -> None:
    keys = session_keys("abc-1")
    assert len(keys) == len(set(keys)) == 7
    assert all(k.startswith("fa:{abc-1}:") for k in keys)
    with pytest.raises(InvalidInputError):
        session_keys("a}b")


def test_from_env_reads_url_and_overrides() -> None:
    cfg = StoreConfig.from_env(
        {
            "REDIS_URL": "redis+cluster://10.0.0.1:7000,10.0.0.2:7000",
            "FINADVISOR_STATE_TTL_S": "3600",
            "FINADVISOR_STATE_HISTORY_MAX": "20",
            "FINADVISOR_STATE_OP_TIMEOUT_S": "1.5",
        }
    )
    assert cfg.url.startswith("redis+cluster://")
    assert (cfg.ttl_s, cfg.history_max, cfg.op_timeout_s) == (3600, 20, 1.5)
    with pytest.raises(ConfigError):
        StoreConfig.from_env({"FINADVISOR_STATE_TTL_S": "a day"})
    with pytest.raises(ConfigError):
        StoreConfig(history_max=100, request_window=10)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:1/0", "redis+cluster://127.0.0.1:1", "redis+sentinel://127.0.0.1:1/fa"]
)
async def test_redis_urls_build_clients_lazily(url: str) -> None:
    store = create_state_store(StoreConfig(url=url))
    assert isinstance(store, RedisStateStore)
    await store.close()


@pytest.mark.parametrize("url", ["http://x", "redis+sentinel://127.0.0.1:1", "redis+cluster://"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        create_state_store(StoreConfig(url=url))


async def test_in_memory_sessions_expire_after_the_ttl_without_activity() -> None:
    now = [1000.0]
    store = InMemoryStateStore(StoreConfig(url="memory://", ttl_s=60), clock=lambda: now[0])
    await store.create_session("s1")
    now[0] += 59
    turn = TurnInput("s1", "r0", "hi", "text", "greet", 0.9, [SlotUpdate("age", "30", 0.9, "text")])
    await store.apply_turn(turn)  # refreshes the TTL
    now[0] += 59
    assert (await store.get_state("s1")).state.turn_count == 1
    assert [x.session_id for x in await store.list_sessions()] == ["s1"]
    now[0] += 2
    with pytest.raises(SessionNotFoundError):
        await store.get_state("s1")
    assert await store.list_sessions() == []
