"""Session store configuration (one settings object for every writer) and session expiry."""

from __future__ import annotations

import asyncio

import pytest

from finadvisor.sessions import (
    RedisStateStore,
    SessionSettings,
    SlotUpdate,
    TurnInput,
    session_keys,
)
from finadvisor.shared.errors import ConfigError, InvalidInputError, SessionNotFoundError


def test_session_keys_share_one_hash_tag() -> None:
    keys = session_keys("abc-1")
    assert len(keys) == len(set(keys)) == 7
    assert all(k.startswith("fa:{abc-1}:") for k in keys)
    with pytest.raises(InvalidInputError):
        session_keys("a}b")


def test_the_gateways_keys_of_a_session_share_its_hash_tag() -> None:
    from finadvisor.sessions.types import GATEWAY_KEY_SUFFIXES, SESSION_KEY_SUFFIXES, session_key

    keys = {session_key("abc-1", s) for s in GATEWAY_KEY_SUFFIXES}
    assert len(keys) == 4 and all(k.startswith("fa:{abc-1}:") for k in keys)
    assert not keys & set(session_keys("abc-1"))
    assert not set(GATEWAY_KEY_SUFFIXES) & set(SESSION_KEY_SUFFIXES)
    with pytest.raises(KeyError):
        session_key("abc-1", "anything")


def test_from_env_reads_url_and_overrides() -> None:
    cfg = SessionSettings.from_env(
        {
            "REDIS_URL": "redis+cluster://10.0.0.1:7000,10.0.0.2:7000",
            "FINADVISOR_SESSION_TTL_S": "3600",
            "FINADVISOR_SESSION_HISTORY_MAX": "20",
            "FINADVISOR_SESSION_OP_TIMEOUT_S": "1.5",
            "FINADVISOR_SESSION_AUTO_PIPELINE": "0",
        }
    )
    assert cfg.url.startswith("redis+cluster://")
    assert (cfg.ttl_s, cfg.history_max, cfg.op_timeout_s) == (3600, 20, 1.5)
    assert cfg.auto_pipeline is False
    with pytest.raises(ConfigError):
        SessionSettings.from_env({"FINADVISOR_SESSION_TTL_S": "a day"})
    with pytest.raises(ConfigError):
        SessionSettings(history_max=100, request_window=10)


@pytest.mark.parametrize("old", ["FINADVISOR_STATE_TTL_S", "FINADVISOR_GATEWAY_SESSION_TTL_S",
                                 "FINADVISOR_STATE_HISTORY_MAX"])
def test_former_names_are_refused_with_their_replacement(old: str) -> None:
    """A TTL set under a name no writer reads any more must not be silently ignored."""
    with pytest.raises(ConfigError, match="FINADVISOR_SESSION_"):
        SessionSettings.from_env({old: "3600"})


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:1/0", "redis+cluster://127.0.0.1:1", "redis+sentinel://127.0.0.1:1/fa"]
)
async def test_redis_urls_build_clients_lazily(url: str) -> None:
    store = RedisStateStore(SessionSettings(url=url))
    await store.close()


@pytest.mark.parametrize("url", ["http://x", "memory://", "redis+sentinel://127.0.0.1:1",
                                 "redis+cluster://"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        RedisStateStore(SessionSettings(url=url))


@pytest.mark.integration
async def test_sessions_expire_after_the_ttl_without_activity(redis_url: str) -> None:
    """A turn refreshes the TTL of every key; once it runs out the session is gone as a whole.

    The passage of time is simulated by shortening the keys' TTL on the real server."""
    store = RedisStateStore(SessionSettings(url=redis_url, ttl_s=60))
    try:
        await store.create_session("exp-s1")
        for key in session_keys("exp-s1"):
            await store.client.pexpire(key, 1000)
        turn = TurnInput("exp-s1", "r0", "hi", "text", "greet", 0.9,
                         [SlotUpdate("age", "30", 0.9, "text")])
        await store.apply_turn(turn)  # refreshes the TTL
        assert (await store.get_state("exp-s1")).ttl_seconds > 50
        assert (await store.get_state("exp-s1")).state.turn_count == 1
        for key in session_keys("exp-s1"):
            await store.client.pexpire(key, 20)
        for _ in range(100):  # Redis expires keys within milliseconds of their TTL
            if not await store.client.exists(*session_keys("exp-s1")):
                break
            await asyncio.sleep(0.02)
        with pytest.raises(SessionNotFoundError):
            await store.get_state("exp-s1")
    finally:
        await store.erase("exp-s1")
        await store.close()


def test_the_state_service_and_the_gateway_read_one_session_configuration(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Both write the same session keys: from the same environment they get the same settings
    (the gateway once kept its own TTL)."""
    from finadvisor.services.gateway.config import GatewaySettings
    from finadvisor.services.gateway.server import GatewayApp
    from finadvisor.services.state.config import StateSettings
    from finadvisor.services.state.server import StateApp
    from finadvisor.shared.config import load_settings

    env = {"REDIS_URL": "redis://127.0.0.1:1/3", "FINADVISOR_SESSION_TTL_S": "1234",
           "FINADVISOR_SESSION_HISTORY_MAX": "7", "FINADVISOR_SESSION_REQUEST_WINDOW": "70",
           "FINADVISOR_INSECURE": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    state = StateApp(load_settings(StateSettings, env))
    gateway = GatewayApp(load_settings(GatewaySettings, env))
    assert state.sessions == gateway.sessions
    assert (state.sessions.url, state.sessions.ttl_s, state.sessions.history_max,
            state.sessions.request_window) == ("redis://127.0.0.1:1/3", 1234, 7, 70)


def test_the_lua_scripts_load_as_package_data_with_their_fragments() -> None:
    """Every script the store runs is a file of the package; a fragment it requires is put in
    front of it; no file lies there unused."""
    from importlib import resources

    from finadvisor.sessions import SCRIPT_NAMES, Script
    from finadvisor.sessions.scripts import script_source

    folder = resources.files("finadvisor.sessions") / "scripts"
    files = {p.name.removesuffix(".lua") for p in folder.iterdir() if p.name.endswith(".lua")}
    used: set[str] = set(SCRIPT_NAMES)
    for name in SCRIPT_NAMES:
        source = script_source(name)
        first = (folder / f"{name}.lua").read_text().split("\n", 1)[0]
        for fragment in first.removeprefix("-- requires:").split() if first.startswith(
                "-- requires:") else []:
            used.add(fragment)
            assert f"local function {fragment}(" in source, (name, fragment)
        assert "redis.call" in source
        assert len(Script.named(name).sha) == 40
    assert files == used
    with pytest.raises(KeyError):
        script_source("touch")  # a fragment is not a script
