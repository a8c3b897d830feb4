"""Wiring of the vision service: settings -> CNN + OCR engine -> servicer."""

from __future__ import annotations

import asyncio

import grpc

from finadvisor.services import GRPC_SERVICES
from finadvisor.services.vision.budget import map_large_blocks
from finadvisor.services.vision.config import VisionSettings
from finadvisor.services.vision.engine import VisionEngine
from finadvisor.services.vision.images import ImageLimits
from finadvisor.services.vision.servicer import DocumentVisionServicer
from finadvisor.shared import paths
from finadvisor.shared.server import ServiceApp
from finadvisor.vision.v1 import vision_pb2_grpc


class VisionApp(ServiceApp):
    name = "vision"
    service_names = (GRPC_SERVICES["vision"][1],)

    def __init__(self, settings: VisionSettings) -> None:
        self.settings = settings
        map_large_blocks()  # decoded pictures go back to the system when let go (budget.py)
        limits = ImageLimits(max_pixels_in_flight=settings.pixels_in_flight)
        self.engine = VisionEngine(limits=limits, max_batch=settings.max_batch,
                                   batch_window_ms=settings.batch_window_ms,
                                   ocr_enabled=settings.ocr_enabled,
                                   ocr_concurrency=settings.ocr_concurrency,
                                   ocr_engine=settings.ocr_engine)
        self.servicer = DocumentVisionServicer(self.engine)

    def register(self, server: grpc.aio.Server) -> None:
        vision_pb2_grpc.add_DocumentVisionServicer_to_server(self.servicer, server)

    async def start(self) -> None:
        folder = (self.settings.models_dir or paths.models_dir()) / "vision"
        await asyncio.to_thread(self.engine.load, folder)

    async def check(self) -> bool:
        return self.engine.ready

    async def stop(self) -> None:
        await self.engine.aclose()
