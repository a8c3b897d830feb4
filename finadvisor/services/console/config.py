"""Settings of the analyst console (environment variables FINADVISOR_CONSOLE_*)."""

from __future__ import annotations

import dataclasses

from finadvisor.shared.config import ServerSettings, env_field


@dataclasses.dataclass(frozen=True)
class ConsoleSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_CONSOLE_"
    SERVICE = "console"
    DEFAULT_PORT = 8080

    gateway_addr: str = env_field("GATEWAY_ADDR", "127.0.0.1:50051", "gateway to talk to")
    call_timeout_s: float = env_field("CALL_TIMEOUT_S", 15.0, "deadline of gateway calls",
                                      min=0.1, max=120)
    max_upload_bytes: int = env_field("MAX_UPLOAD_BYTES", 12 * 1024 * 1024, "largest upload",
                                      min=1024)

    def bind_metrics_port(self) -> int:
        return 9106 if self.metrics_port < 0 else self.metrics_port
