"""Settings of the gateway (environment variables FINADVISOR_GATEWAY_*, REDIS_URL)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finadvisor.shared.config import ServerSettings, env_field


@dataclasses.dataclass(frozen=True)
class GatewaySettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_GATEWAY_"
    SERVICE = "gateway"
    DEFAULT_PORT = 50051

    redis_url: str = env_field("REDIS_URL", "redis://127.0.0.1:6379/0", "Redis for audit and "
                               "idempotency", absolute=True)
    state_addr: str = env_field("STATE_ADDR", "127.0.0.1:50052", "state service")
    generator_addr: str = env_field("GENERATOR_ADDR", "127.0.0.1:50053", "generator service")
    vision_addr: str = env_field("VISION_ADDR", "127.0.0.1:50054", "vision service")
    voice_addr: str = env_field("VOICE_ADDR", "127.0.0.1:50055", "voice service")
    turn_deadline_s: float = env_field("TURN_DEADLINE_S", 5.0, "budget of one turn when the "
                                       "client sets no deadline", min=0.1, max=120)
    modality_budget_share: float = env_field("MODALITY_BUDGET_SHARE", 0.5, "share of the turn "
                                             "budget vision/voice may use", min=0.05, max=0.9)
    low_transcript_confidence: float = env_field(
        "LOW_TRANSCRIPT_CONFIDENCE", -1.0, "transcript confidence below which a voice note is "
        "read back and its values held; negative: the voice service's calibrated threshold",
        min=-1.0, max=1.0)
    max_text_chars: int = env_field("MAX_TEXT_CHARS", 2000, "longest turn text", min=1,
                                    max=100_000)
    max_image_bytes: int = env_field("MAX_IMAGE_BYTES", 10 * 1024 * 1024, "largest image",
                                     min=1024)
    max_audio_bytes: int = env_field("MAX_AUDIO_BYTES", 5 * 1024 * 1024, "largest voice note",
                                     min=1024)
    audit_max_records: int = env_field("AUDIT_MAX_RECORDS", 100_000, "audit stream retention",
                                       min=100)
    credentials_file: Path | None = env_field(
        "FINADVISOR_CREDENTIALS_FILE", None, "hashed client API keys (JSON); required with TLS",
        absolute=True)
    # One bank backend is one client serving thousands of customers: the per-client default
    # is above what one gateway serves (docs/DEPLOY.md, sizing); one customer is held back by
    # the per-session limits below. A client's own limits go in the credentials file.
    rate_limit_per_s: float = env_field("RATE_LIMIT_PER_S", 1000.0, "calls per second per "
                                        "client (0 = off)", min=0)
    rate_burst: int = env_field("RATE_BURST", 2000, "token bucket size per client", min=1)
    session_turns_per_min: float = env_field("SESSION_TURNS_PER_MIN", 60.0, "turns per minute "
                                             "of one session (0 = off)", min=0)
    session_turn_burst: int = env_field("SESSION_TURN_BURST", 20, "turns one session may send "
                                        "at once before its per-minute rate applies", min=1)
    max_turns_per_session: int = env_field("MAX_TURNS_PER_SESSION", 4, "concurrent turns "
                                           "of one session", min=1, max=64)
