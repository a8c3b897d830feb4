"""Typed settings: conversion, bounds, and one readable error line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.services.state.config import StateSettings
from finadvisor.shared.config import describe, load_settings
from finadvisor.shared.errors import ConfigError


def test_defaults_and_prefixes() -> None:
    s = load_settings(StateSettings, {})
    assert s.bind_port() == 50052
    assert s.bind_metrics_port() == 9102
    g = load_settings(GatewaySettings, {"FINADVISOR_GATEWAY_PORT": "6000",
                                        "REDIS_URL": "redis://x:1/0"})
    assert g.bind_port() == 6000 and g.redis_url == "redis://x:1/0"
    assert g.address == "127.0.0.1:6000"


def test_every_bad_variable_is_named_in_one_error() -> None:
    env = {"FINADVISOR_GATEWAY_PORT": "abc", "FINADVISOR_GATEWAY_TURN_DEADLINE_S": "-1",
           "FINADVISOR_LOG_LEVEL": "LOUD"}
    with pytest.raises(ConfigError) as err:
        load_settings(GatewaySettings, env)
    msg = str(err.value)
    assert "\n" not in msg
    assert "FINADVISOR_GATEWAY_PORT='abc'" in msg
    assert "FINADVISOR_GATEWAY_TURN_DEADLINE_S" in msg
    assert "FINADVISOR_LOG_LEVEL" in msg


def test_port_out_of_range() -> None:
    with pytest.raises(ConfigError, match="above the maximum"):
        load_settings(StateSettings, {"FINADVISOR_STATE_PORT": "70000"})


def test_describe_lists_env_names() -> None:
    names = {n for n, _, _ in describe(GatewaySettings)}
    assert {"FINADVISOR_GATEWAY_PORT", "REDIS_URL", "FINADVISOR_GATEWAY_STATE_ADDR"} <= names


@pytest.mark.parametrize("service", ["gateway", "state", "console"])
def test_bad_setting_exits_with_one_line(service: str) -> None:
    env = {"PATH": "/usr/bin:/bin", f"FINADVISOR_{service.upper()}_PORT": "not-a-port"}
    proc = subprocess.run([sys.executable, "-m", f"finadvisor.services.{service}"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "not-a-port" in lines[0] and "Traceback" not in proc.stderr
