"""Channels and stubs from the gateway to the internal services."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc

from finadvisor.common.v1 import common_pb2
from finadvisor.generator.v1 import generator_pb2_grpc
from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.shared.client import make_channel
from finadvisor.state.v1 import state_pb2_grpc
from finadvisor.vision.v1 import vision_pb2_grpc
from finadvisor.voice.v1 import voice_pb2_grpc


@dataclass
class Backends:
    state: state_pb2_grpc.StateTrackerStub
    generator: generator_pb2_grpc.ResponseGeneratorStub
    vision: vision_pb2_grpc.DocumentVisionStub
    voice: voice_pb2_grpc.VoiceNotesStub
    channels: dict[str, grpc.aio.Channel]

    @classmethod
    def connect(cls, settings: GatewaySettings) -> Backends:
        creds = None
        if settings.tls_dir is not None:
            from finadvisor.shared.security import channel_credentials

            creds = channel_credentials(settings.tls_dir, "gateway")  # mutual TLS
        ch = {
            name: make_channel(addr, max_message_bytes=settings.max_message_bytes,
                               credentials=creds)
            for name, addr in (
                ("state", settings.state_addr),
                ("generator", settings.generator_addr),
                ("vision", settings.vision_addr),
                ("voice", settings.voice_addr),
            )
        }
        return cls(
            state=state_pb2_grpc.StateTrackerStub(ch["state"]),
            generator=generator_pb2_grpc.ResponseGeneratorStub(ch["generator"]),
            vision=vision_pb2_grpc.DocumentVisionStub(ch["vision"]),
            voice=voice_pb2_grpc.VoiceNotesStub(ch["voice"]),
            channels=ch,
        )

    async def infos(self, timeout_s: float = 1.0) -> dict[str, common_pb2.ServiceInfo]:
        """GetInfo of every backend that answers within ``timeout_s``."""
        stubs = {"state": self.state, "generator": self.generator, "vision": self.vision,
                 "voice": self.voice}

        async def one(stub: object) -> common_pb2.ServiceInfo | None:
            try:
                return await stub.GetInfo(common_pb2.GetInfoRequest(), timeout=timeout_s)  # type: ignore[attr-defined]  # every stub has GetInfo; no common base
            except grpc.aio.AioRpcError:
                return None

        results = await asyncio.gather(*(one(s) for s in stubs.values()))
        return {name: r for name, r in zip(stubs, results) if r is not None}

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.channels.values()))
