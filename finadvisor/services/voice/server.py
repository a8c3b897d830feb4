"""Wiring of the voice service: settings -> dependencies -> servicer."""

from __future__ import annotations

import grpc

from finadvisor.voice.v1 import voice_pb2_grpc
from finadvisor.services import GRPC_SERVICES
from finadvisor.services.voice.config import VoiceSettings
from finadvisor.services.voice.servicer import VoiceNotesServicer
from finadvisor.shared.server import ServiceApp


class VoiceApp(ServiceApp):
    name = "voice"
    service_names = (GRPC_SERVICES["voice"][1],)

    def __init__(self, settings: VoiceSettings) -> None:
        self.settings = settings
        self.servicer = VoiceNotesServicer()

    def register(self, server: grpc.aio.Server) -> None:
        voice_pb2_grpc.add_VoiceNotesServicer_to_server(self.servicer, server)
