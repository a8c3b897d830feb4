"""Wiring of the vision service: settings -> dependencies -> servicer."""

from __future__ import annotations

import grpc

from finadvisor.vision.v1 import vision_pb2_grpc
from finadvisor.services import GRPC_SERVICES
from finadvisor.services.vision.config import VisionSettings
from finadvisor.services.vision.servicer import DocumentVisionServicer
from finadvisor.shared.server import ServiceApp


class VisionApp(ServiceApp):
    name = "vision"
    service_names = (GRPC_SERVICES["vision"][1],)

    def __init__(self, settings: VisionSettings) -> None:
        self.settings = settings
        self.servicer = DocumentVisionServicer()

    def register(self, server: grpc.aio.Server) -> None:
        vision_pb2_grpc.add_DocumentVisionServicer_to_server(self.servicer, server)
