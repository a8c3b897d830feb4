"""Wiring of the voice service: settings -> decoder, features, RNN encoder, ASR -> servicer."""

from __future__ import annotations

import asyncio

import grpc

from finadvisor.services import GRPC_SERVICES
from finadvisor.services.voice.config import VoiceSettings
from finadvisor.services.voice.engine import VoiceEngine
from finadvisor.services.voice.servicer import VoiceNotesServicer
from finadvisor.shared import paths
from finadvisor.shared.server import ServiceApp
from finadvisor.voice.v1 import voice_pb2_grpc


class VoiceApp(ServiceApp):
    name = "voice"
    service_names = (GRPC_SERVICES["voice"][1],)
    #: the servicer is built by start() from the loaded engine
    register_after_start = True

    def __init__(self, settings: VoiceSettings) -> None:
        self.settings = settings
        self.engine: VoiceEngine | None = None
        self.servicer: VoiceNotesServicer | None = None  # built by start()

    def register(self, server: grpc.aio.Server) -> None:
        voice_pb2_grpc.add_VoiceNotesServicer_to_server(self.servicer, server)

    async def start(self) -> None:
        s = self.settings
        folder = (s.models_dir or paths.models_dir()) / "voice"
        engine = await asyncio.to_thread(
            VoiceEngine.load, folder, s.asr, s.whisper_model_dir,
            max_bytes=s.max_audio_bytes, max_seconds=s.max_audio_seconds,
            workers=s.workers or None)
        self.engine = engine
        self.servicer = VoiceNotesServicer(engine)

    async def check(self) -> bool:
        return self.engine is not None

    async def stop(self) -> None:
        if self.engine is not None:
            self.engine.close()
