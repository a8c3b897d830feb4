"""Wiring of the gateway: settings -> backends -> servicer."""

from __future__ import annotations

import grpc

from finadvisor.gateway.v1 import gateway_pb2_grpc
from finadvisor.services import GRPC_SERVICES
from finadvisor.services.gateway.clients import Backends
from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.services.gateway.servicer import AdvisoryGatewayServicer
from finadvisor.shared.server import ServiceApp


class GatewayApp(ServiceApp):
    name = "gateway"
    service_names = (GRPC_SERVICES["gateway"][1],)

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.servicer = AdvisoryGatewayServicer()

    def register(self, server: grpc.aio.Server) -> None:
        gateway_pb2_grpc.add_AdvisoryGatewayServicer_to_server(self.servicer, server)

    async def start(self) -> None:
        # Channels belong to the running event loop, so they are made here, not in __init__.
        self.servicer.backends = Backends.connect(self.settings)

    async def stop(self) -> None:
        if self.servicer.backends is not None:
            await self.servicer.backends.close()
