"""Settings of the state service (environment variables FINADVISOR_STATE_*)."""

from __future__ import annotations

import dataclasses

from finadvisor.shared.config import ServerSettings


@dataclasses.dataclass(frozen=True)
class StateSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_STATE_"
    SERVICE = "state"
    DEFAULT_PORT = 50052
