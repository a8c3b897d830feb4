"""Wiring of the generator service: settings -> dependencies -> servicer."""

from __future__ import annotations

import grpc

from finadvisor.generator.v1 import generator_pb2_grpc
from finadvisor.services import GRPC_SERVICES
from finadvisor.services.generator.config import GeneratorSettings
from finadvisor.services.generator.servicer import ResponseGeneratorServicer
from finadvisor.shared.server import ServiceApp


class GeneratorApp(ServiceApp):
    name = "generator"
    service_names = (GRPC_SERVICES["generator"][1],)

    def __init__(self, settings: GeneratorSettings) -> None:
        self.settings = settings
        self.servicer = ResponseGeneratorServicer()

    def register(self, server: grpc.aio.Server) -> None:
        generator_pb2_grpc.add_ResponseGeneratorServicer_to_server(self.servicer, server)
