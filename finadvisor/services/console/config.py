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

    # -- who may use the console (see login.py) --
    users_file: Path | None = env_field("USERS_FILE", None, "analyst users and their scrypt "
                                        "password hashes (JSON), made by `finadvisor up`")
    allowed_hosts: str = env_field("ALLOWED_HOSTS", "localhost,127.0.0.1,::1", "host names the "
                                   "console answers to (comma-separated; DNS rebinding guard)")
    trusted_user_header: str = env_field("TRUSTED_USER_HEADER", "", "header naming the signed-in "
                                         "user, set by an SSO proxy (empty: off)")
    trusted_proxies: str = env_field("TRUSTED_PROXIES", "", "addresses of that SSO proxy "
                                     "(comma-separated); the header counts only from them")
    cookie_secure: bool = env_field("COOKIE_SECURE", False, "mark the login cookie Secure even "
                                    "when the request did not arrive over TLS (TLS proxy)")
    session_key_file: Path | None = env_field("SESSION_KEY_FILE", None, "secret that signs login "
                                              "cookies (shared by replicas; else per process)")
    login_ttl_s: int = env_field("LOGIN_TTL_S", 8 * 3600, "how long a login lasts", min=60,
                                 max=7 * 86_400)

    @property
    def host_names(self) -> frozenset[str]:
        return frozenset(h.strip().lower().strip("[]") for h in self.allowed_hosts.split(",")
                         if h.strip())

    @property
    def proxy_addresses(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())

    def check_transport(self) -> None:
        """The console serves HTTP on loopback; its gateway channel follows the TLS settings."""
        super().check_transport()
        if self.tls_dir is not None and self.api_key_file is None:
            from finadvisor.shared.errors import ConfigError

            raise ConfigError("FINADVISOR_CONSOLE_API_KEY_FILE is required with TLS "
                              "(the console calls the gateway with the analyst role)")

    def bind_metrics_port(self) -> int:
        return 9106 if self.metrics_port < 0 else self.metrics_port
