"""Settings of the vision service (environment variables FINADVISOR_VISION_*)."""

from __future__ import annotations

import dataclasses

from finadvisor.shared.config import ServerSettings


@dataclasses.dataclass(frozen=True)
class VisionSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_VISION_"
    SERVICE = "vision"
    DEFAULT_PORT = 50054
