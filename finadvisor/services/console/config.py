"""Settings of the analyst console (environment variables FINADVISOR_CONSOLE_*)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finadvisor.shared.config import ServerSettings, env_field


@dataclasses.dataclass(frozen=True)
class ConsoleSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_CONSOLE_"
    SERVICE = "console"
    DEFAULT_PORT = 8080

    gateway_addr: str = env_field("GATEWAY_ADDR", "127.0.0.1:50051", "gateway to talk to")
    call_timeout_s: float = env_field("CALL_TIMEOUT_S", 15.0, "deadline of gateway calls",
                                      min=0.1, max=120)
    # Attachment limits mirror the gateway's defaults, so an analyst hears "too large" from the
    # console at once instead of after the upload has crossed the wire twice.
    max_image_bytes: int = env_field("MAX_IMAGE_BYTES", 10 * 1024 * 1024, "largest image",
                                     min=1024)
    max_audio_bytes: int = env_field("MAX_AUDIO_BYTES", 5 * 1024 * 1024, "largest voice note",
                                     min=1024)
    max_text_chars: int = env_field("MAX_TEXT_CHARS", 2000, "longest turn text", min=1,
                                    max=100_000)
    max_upload_bytes: int = env_field("MAX_UPLOAD_BYTES", 16 * 1024 * 1024,
                                      "largest request body (all parts together)", min=1024)

    api_key_file: Path | None = env_field("API_KEY_FILE", None, "the console's analyst API key "
                                          "for the gateway")

    def check_transport(self) -> None:
        """The console serves HTTP on loopback; its gateway channel follows the TLS settings."""
        super().check_transport()
        if self.tls_dir is not None and self.api_key_file is None:
            from finadvisor.shared.errors import ConfigError

            raise ConfigError("FINADVISOR_CONSOLE_API_KEY_FILE is required with TLS "
                              "(the console calls the gateway with the analyst role)")

    def bind_metrics_port(self) -> int:
        return 9106 if self.metrics_port < 0 else self.metrics_port
