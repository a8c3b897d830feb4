"""The console's channel to the gateway: TLS and the analyst API key when configured."""

from __future__ import annotations

import grpc

from finadvisor.services.console.config import ConsoleSettings
from finadvisor.shared.client import make_channel


def gateway_channel(settings: ConsoleSettings) -> grpc.aio.Channel:
    settings.check_transport()
    credentials = None
    if settings.tls_dir is not None:
        from finadvisor.shared.security import channel_credentials

        credentials = channel_credentials(settings.tls_dir)
    api_key = settings.api_key_file.read_text().strip() if settings.api_key_file else None
    return make_channel(settings.gateway_addr, default_timeout_s=settings.call_timeout_s,
                        credentials=credentials, api_key=api_key)
