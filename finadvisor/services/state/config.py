"""Settings of the state service (environment variables FINADVISOR_STATE_*, REDIS_URL).

The session store's tunables (FINADVISOR_SESSION_TTL_S, _HISTORY_MAX, _REQUEST_WINDOW, ...) are
read by ``finadvisor.sessions.SessionSettings.from_env``, by the gateway too; the Redis URL comes
from here.
"""

from __future__ import annotations

import dataclasses

from finadvisor.shared.config import ServerSettings, env_field


@dataclasses.dataclass(frozen=True)
class StateSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_STATE_"
    SERVICE = "state"
    DEFAULT_PORT = 50052

    redis_url: str = env_field("REDIS_URL", "redis://127.0.0.1:6379/0", "Redis (redis://, "
                               "redis+cluster://, redis+sentinel://)", absolute=True)
