"""The one configuration of the session store, read from the environment.

The state service and the gateway both write a session's keys (the turn and the reply), so both
build their store from this one settings object: the TTL, the history bound and the replay
window of the same keys cannot differ between the two writers. Variables: ``REDIS_URL`` and
``FINADVISOR_SESSION_<FIELD>`` (``FINADVISOR_SESSION_TTL_S``, ``..._HISTORY_MAX``, ...).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import ClassVar

from finadvisor.shared.config import describe, env_field, load_settings
from finadvisor.shared.errors import ConfigError

#: Prefix these settings had when only the state service read them (FINADVISOR_STATE_TTL_S ...)
#: and the gateway's own TTL: setting one now is an error that names its replacement, rather
#: than a value silently ignored.
_FORMER_PREFIX = "FINADVISOR_STATE_"
_FORMER_NAMES = {"FINADVISOR_GATEWAY_SESSION_TTL_S": "FINADVISOR_SESSION_TTL_S"}


@dataclasses.dataclass(frozen=True)
class SessionSettings:
    """Settings of the session store (``SessionSettings.from_env()``)."""

    ENV_PREFIX: ClassVar[str] = "FINADVISOR_SESSION_"

    url: str = env_field("REDIS_URL", "redis://127.0.0.1:6379/0", "Redis (redis://, rediss://, "
                         "unix://, redis+cluster://, redis+sentinel://)", absolute=True)
    ttl_s: int = env_field("TTL_S", 24 * 3600, "idle lifetime of a session; every write "
                           "refreshes it on every key of the session", min=1)
    history_max: int = env_field("HISTORY_MAX", 50, "turns of history kept", min=1)
    request_window: int = env_field("REQUEST_WINDOW", 256, "recent request ids (and stored "
                                    "answers) a session remembers for replays", min=1)
    index_max: int = env_field("INDEX_MAX", 10_000, "bound of the recent-sessions index; 0 "
                               "turns it off (one key every turn writes: a hot key on a large "
                               "cluster)", min=0)
    index_refresh_s: float = env_field("INDEX_REFRESH_S", 5.0, "a session's place in the index "
                                       "is refreshed by its turns at most this often (per "
                                       "process)", min=0)
    socket_timeout_s: float = env_field("SOCKET_TIMEOUT_S", 1.0, "Redis socket timeout")
    connect_timeout_s: float = env_field("CONNECT_TIMEOUT_S", 0.5, "Redis connect timeout")
    op_timeout_s: float = env_field("OP_TIMEOUT_S", 3.0, "deadline of one store operation, "
                                    "retries included")
    max_connections: int = env_field("MAX_CONNECTIONS", 128, "per Redis node; a standalone "
                                     "pool waits for a free connection, a cluster's does not",
                                     min=1)
    max_response_bytes: int = env_field("MAX_RESPONSE_BYTES", 1 << 20, "largest answer kept "
                                        "for replays", min=1)
    auto_pipeline: bool = env_field("AUTO_PIPELINE", True, "send the script calls of one "
                                    "event-loop tick as one pipeline (standalone Redis only)")
    tls_ca_file: str = env_field("TLS_CA_FILE", "", "CA certificate(s) that the Redis server "
                                 "certificate must chain to (rediss:// URLs); empty: the "
                                 "system's trust store")
    tls_cert_file: str = env_field("TLS_CERT_FILE", "", "client certificate shown to a Redis "
                                   "that requires one (tls-auth-clients yes)")
    tls_key_file: str = env_field("TLS_KEY_FILE", "", "the client certificate's private key")

    def __post_init__(self) -> None:
        # Checked here (not only by load_settings) so that settings built in code are checked too.
        if self.ttl_s < 1:
            raise ConfigError("session store ttl_s must be >= 1")
        if self.history_max < 1:
            raise ConfigError("session store history_max must be >= 1")
        if self.request_window < self.history_max:
            raise ConfigError("session store request_window must be >= history_max")
        if self.index_max < 0:
            raise ConfigError("session store index_max must be >= 0")
        if min(self.socket_timeout_s, self.connect_timeout_s, self.op_timeout_s) <= 0:
            raise ConfigError("session store timeouts must be > 0")
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise ConfigError("session store TLS: set both FINADVISOR_SESSION_TLS_CERT_FILE "
                              "and FINADVISOR_SESSION_TLS_KEY_FILE, or neither")
        if (self.tls_ca_file or self.tls_cert_file) and not self.url.lower().startswith(
                "rediss"):
            raise ConfigError("session store TLS files are set but REDIS_URL is not TLS: use "
                              "rediss://, rediss+sentinel:// or rediss+cluster://")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SessionSettings:
        """``REDIS_URL`` plus optional ``FINADVISOR_SESSION_<FIELD>`` overrides."""
        env = os.environ if env is None else env
        renamed = dict(_FORMER_NAMES)
        for f in dataclasses.fields(cls):
            if not f.metadata.get("absolute"):
                renamed[_FORMER_PREFIX + f.metadata["env"]] = cls.ENV_PREFIX + f.metadata["env"]
        former = [f"{old} is now {new}" for old, new in renamed.items() if old in env]
        if former:
            raise ConfigError("renamed setting: " + "; ".join(former))
        return load_settings(cls, env)

    @classmethod
    def env_names(cls) -> set[str]:
        """Every variable ``from_env`` reads (the deploy consistency check uses it)."""
        return {name for name, _default, _help in describe(cls)}
