"""Wiring of the generator service: settings -> Seq2Seq engine with dynamic batching."""

from __future__ import annotations

import asyncio

import grpc

from finadvisor.generator.v1 import generator_pb2_grpc
from finadvisor.services import GRPC_SERVICES
from finadvisor.services.generator.config import GeneratorSettings
from finadvisor.services.generator.engine import GeneratorEngine
from finadvisor.services.generator.servicer import ResponseGeneratorServicer
from finadvisor.shared import paths
from finadvisor.shared.metrics import GENERATOR_BATCH_SIZE
from finadvisor.shared.server import ServiceApp


class GeneratorApp(ServiceApp):
    name = "generator"
    service_names = (GRPC_SERVICES["generator"][1],)
    #: the servicer is built by start() from the loaded engine
    register_after_start = True

    def __init__(self, settings: GeneratorSettings) -> None:
        self.settings = settings
        self.engine: GeneratorEngine | None = None
        self.servicer: ResponseGeneratorServicer | None = None  # built by start()

    def register(self, server: grpc.aio.Server) -> None:
        generator_pb2_grpc.add_ResponseGeneratorServicer_to_server(self.servicer, server)

    async def start(self) -> None:
        import torch

        s = self.settings
        torch.set_num_threads(s.torch_threads)
        folder = (s.models_dir or paths.models_dir()) / "generator"
        engine = await asyncio.to_thread(
            GeneratorEngine.load, folder, s.policy_file, max_batch_size=s.max_batch,
            max_wait_ms=s.batch_wait_ms, workers=s.decode_workers,
            draft_tokens=s.draft_tokens)
        engine.on_batch(GENERATOR_BATCH_SIZE.observe)
        self.engine = engine
        self.servicer = ResponseGeneratorServicer(engine)

    async def check(self) -> bool:
        return self.engine is not None

    async def stop(self) -> None:
        if self.engine is not None:
            await asyncio.to_thread(self.engine.close)
