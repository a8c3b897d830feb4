"""Settings of the voice service (environment variables FINADVISOR_VOICE_*)."""

from __future__ import annotations

import dataclasses

from finadvisor.shared.config import ServerSettings


@dataclasses.dataclass(frozen=True)
class VoiceSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_VOICE_"
    SERVICE = "voice"
    DEFAULT_PORT = 50055
