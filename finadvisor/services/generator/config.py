"""Settings of the generator service (environment variables FINADVISOR_GENERATOR_*)."""

from __future__ import annotations

import dataclasses

from finadvisor.shared.config import ServerSettings


@dataclasses.dataclass(frozen=True)
class GeneratorSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_GENERATOR_"
    SERVICE = "generator"
    DEFAULT_PORT = 50053
