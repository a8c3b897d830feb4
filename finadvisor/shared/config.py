"""Typed settings from environment variables, validated once at start-up.

A service declares a frozen dataclass whose fields carry their environment variable name in
``metadata["env"]``: relative names get the class's ``ENV_PREFIX`` (``PORT`` of the state
service is ``FINADVISOR_STATE_PORT``), names given with ``absolute=True`` are read as they are
(``REDIS_URL``). :func:`load_settings` reads, converts and validates them and raises one
:class:`ConfigError` whose message is a single readable line naming every bad variable.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from finadvisor.shared.errors import ConfigError

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_field(env: str, default: Any, help: str = "", *, min: float | None = None,
              max: float | None = None, choices: tuple[str, ...] | None = None,
              absolute: bool = False) -> Any:
    """A settings field read from ``env`` with bounds or choices checked at load time."""
    meta = {"env": env, "help": help, "min": min, "max": max, "choices": choices,
            "absolute": absolute}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _convert(raw: str, typ: Any) -> Any:
    origin = typing.get_origin(typ)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        if raw == "":
            return None
        return _convert(raw, args[0])
    if typ is bool:
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("expected true/false")
    if typ is int:
        return int(raw.strip())
    if typ is float:
        return float(raw.strip())
    if typ is Path:
        return Path(raw).expanduser()
    if typ is str:
        return raw
    if origin is tuple:
        return tuple(p.strip() for p in raw.split(",") if p.strip())
    raise TypeError(f"unsupported settings type {typ!r}")


def env_name(cls: type, f: dataclasses.Field[Any]) -> str:
    env = f.metadata["env"]
    return env if f.metadata.get("absolute") else f"{getattr(cls, 'ENV_PREFIX', '')}{env}"


def load_settings(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    """Build ``cls`` from the environment; ConfigError lists every invalid variable."""
    environ = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # cls: a dataclass type, unknown to type[T]
        if "env" not in f.metadata:
            continue
        env = env_name(cls, f)
        if env not in environ:
            continue
        raw = environ[env]
        try:
            value = _convert(raw, hints[f.name])
        except (ValueError, TypeError) as exc:
            problems.append(f"{env}={raw!r} is not a valid {_type_name(hints[f.name])} ({exc})")
            continue
        values[f.name] = value
    try:
        settings = cls(**values)
    except TypeError as exc:  # pragma: no cover - programming error
        raise ConfigError(str(exc)) from None
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # as above
        value = getattr(settings, f.name)
        env = env_name(cls, f) if "env" in f.metadata else f.name
        lo, hi, choices = f.metadata.get("min"), f.metadata.get("max"), f.metadata.get("choices")
        if value is None:
            continue
        if lo is not None and value < lo:
            problems.append(f"{env}={value} is below the minimum {lo}")
        if hi is not None and value > hi:
            problems.append(f"{env}={value} is above the maximum {hi}")
        if choices and value not in choices:
            problems.append(f"{env}={value!r} is not one of {', '.join(choices)}")
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))
    return settings


def _type_name(typ: Any) -> str:
    if typing.get_origin(typ) in (typing.Union, types.UnionType):
        typ = [a for a in typing.get_args(typ) if a is not type(None)][0]
    return {int: "integer", float: "number", bool: "boolean", str: "string", Path: "path"}.get(
        typ, str(typ)
    )


def describe(cls: type) -> list[tuple[str, str, str]]:
    """(env name, default, help) of every field: for docs and the deploy consistency test."""
    out = []
    for f in dataclasses.fields(cls):
        if "env" not in f.metadata:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]  # one of the two is set
        out.append((env_name(cls, f), str(default), f.metadata.get("help", "")))
    return out


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """Settings every gRPC service shares; a service subclasses it and sets ``ENV_PREFIX``."""

    ENV_PREFIX: typing.ClassVar[str] = "FINADVISOR_"
    SERVICE: typing.ClassVar[str] = ""
    DEFAULT_PORT: typing.ClassVar[int] = 0

    host: str = env_field("HOST", "127.0.0.1", "address to bind ([::] or 0.0.0.0 in containers)")
    port: int = env_field("PORT", -1, "gRPC port (0 = any free port)", min=-1, max=65535)
    metrics_port: int = env_field("METRICS_PORT", -1, "Prometheus port (0 = off)", min=-1,
                                  max=65535)
    grace_seconds: float = env_field("GRACE_SECONDS", 10.0, "graceful shutdown period",
                                     min=0, max=300)
    max_message_bytes: int = env_field("MAX_MESSAGE_BYTES", 16 * 1024 * 1024,
                                       "largest gRPC message accepted", min=1024,
                                       max=256 * 1024 * 1024)
    log_level: str = env_field("FINADVISOR_LOG_LEVEL", "INFO", "log level",
                               choices=("DEBUG", "INFO", "WARNING", "ERROR"), absolute=True)
    models_dir: Path | None = env_field("FINADVISOR_MODELS_DIR", None, "model folders",
                                        absolute=True)
    tls_dir: Path | None = env_field("FINADVISOR_TLS_DIR", None, "ca.pem and <service>.pem/"
                                     "<service>-key.pem", absolute=True)
    insecure: bool = env_field("FINADVISOR_INSECURE", False, "plain text, no client "
                               "credentials: local development only", absolute=True)
    event_loop: str = env_field("FINADVISOR_EVENT_LOOP", "uvloop", "the asyncio event loop: "
                                "uvloop (libuv; asyncio's own where uvloop is not installed) "
                                "or asyncio", choices=("uvloop", "asyncio"), absolute=True)
    health_port: int = env_field("HEALTH_PORT", 0, "plain-text port serving only "
                                 "grpc.health.v1, for probes that cannot speak TLS (0 = off)",
                                 min=0, max=65535)

    def bind_port(self) -> int:
        return self.DEFAULT_PORT if self.port < 0 else self.port

    def bind_metrics_port(self) -> int:
        return self.DEFAULT_PORT - 50051 + 9101 if self.metrics_port < 0 else self.metrics_port

    def check_transport(self) -> None:
        """TLS unless plain text is asked for explicitly (ConfigError otherwise)."""
        if self.tls_dir is None and not self.insecure:
            raise ConfigError(
                "TLS is not configured: set FINADVISOR_TLS_DIR to a folder with ca.pem and "
                f"{self.SERVICE}.pem/{self.SERVICE}-key.pem, or FINADVISOR_INSECURE=1 for "
                "plain text in local development")

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.bind_port()}"
