"""The whole service stack in this process: real gRPC servers on loopback port 0, real Redis,
the committed default models. Used by the gateway's integration tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import grpc

from finadvisor.gateway.v1 import gateway_pb2_grpc
from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.services.gateway.server import GatewayApp
from finadvisor.services.generator.config import GeneratorSettings
from finadvisor.services.generator.server import GeneratorApp
from finadvisor.services.state.config import StateSettings
from finadvisor.services.state.server import StateApp
from finadvisor.services.vision.config import VisionSettings
from finadvisor.services.vision.server import VisionApp
from finadvisor.services.voice.config import VoiceSettings
from finadvisor.services.voice.server import VoiceApp
from finadvisor.shared.client import make_channel
from finadvisor.shared.config import load_settings
from finadvisor.shared.server import RunningServer, create_server

BACKENDS = {
    "state": (StateSettings, StateApp),
    "generator": (GeneratorSettings, GeneratorApp),
    "vision": (VisionSettings, VisionApp),
    "voice": (VoiceSettings, VoiceApp),
}


@dataclass
class Stack:
    redis_url: str
    servers: dict[str, RunningServer] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    channel: grpc.aio.Channel | None = None

    @property
    def gateway(self) -> gateway_pb2_grpc.AdvisoryGatewayStub:
        assert self.channel is not None
        return gateway_pb2_grpc.AdvisoryGatewayStub(self.channel)

    async def start_backend(self, name: str, port: int = 0) -> RunningServer:
        settings_cls, app_cls = BACKENDS[name]
        app = app_cls(load_settings(settings_cls, self.env))
        srv = await create_server(app, f"127.0.0.1:{port}")
        await srv.start_app()
        self.servers[name] = srv
        self.ports[name] = srv.port
        return srv

    async def stop_backend(self, name: str) -> None:
        await self.servers.pop(name).stop(0)

    async def start(self, extra_env: dict[str, str] | None = None) -> Stack:
        self.env = {"REDIS_URL": self.redis_url, "FINADVISOR_INSECURE": "1",
                    **(extra_env or {})}
        await asyncio.gather(*(self.start_backend(n) for n in BACKENDS))
        gw_env = dict(self.env)
        for name in BACKENDS:
            gw_env[f"FINADVISOR_GATEWAY_{name.upper()}_ADDR"] = f"127.0.0.1:{self.ports[name]}"
        app = GatewayApp(load_settings(GatewaySettings, gw_env))
        srv = await create_server(app, "127.0.0.1:0")
        await srv.start_app()
        self.servers["gateway"] = srv
        self.ports["gateway"] = srv.port
        self.channel = make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=30)
        return self

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.close()
        for name in ["gateway", *BACKENDS]:
            if name in self.servers:
                await self.servers.pop(name).stop(0)
