"""Wiring of the state service: settings -> dependencies -> servicer."""

from __future__ import annotations

import grpc

from finadvisor.state.v1 import state_pb2_grpc
from finadvisor.services import GRPC_SERVICES
from finadvisor.services.state.config import StateSettings
from finadvisor.services.state.servicer import StateTrackerServicer
from finadvisor.shared.server import ServiceApp


class StateApp(ServiceApp):
    name = "state"
    service_names = (GRPC_SERVICES["state"][1],)

    def __init__(self, settings: StateSettings) -> None:
        self.settings = settings
        self.servicer = StateTrackerServicer()

    def register(self, server: grpc.aio.Server) -> None:
        state_pb2_grpc.add_StateTrackerServicer_to_server(self.servicer, server)
