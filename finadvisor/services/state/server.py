"""Wiring of the state service: settings -> NLU model + Redis store -> servicer."""

from __future__ import annotations

import asyncio
import dataclasses

import grpc

from finadvisor.services import GRPC_SERVICES
from finadvisor.services.state.config import StateSettings
from finadvisor.services.state.servicer import StateTrackerServicer
from finadvisor.services.state.tracker import DialogueTracker
from finadvisor.sessions import RedisStateStore, SessionSettings
from finadvisor.shared import paths
from finadvisor.shared.server import ServiceApp
from finadvisor.state.v1 import state_pb2_grpc


class StateApp(ServiceApp):
    name = "state"
    service_names = (GRPC_SERVICES["state"][1],)
    #: the servicer is built by start() from the loaded NLU and the Redis store
    register_after_start = True

    def __init__(self, settings: StateSettings, sessions: SessionSettings | None = None) -> None:
        self.settings = settings
        #: The session store's one configuration, the gateway's too (REDIS_URL and
        #: FINADVISOR_SESSION_*): both write the same session keys.
        self.sessions = dataclasses.replace(sessions or SessionSettings.from_env(),
                                            url=settings.redis_url)
        self.tracker: DialogueTracker | None = None
        self.servicer: StateTrackerServicer | None = None  # built by start()

    def register(self, server: grpc.aio.Server) -> None:
        state_pb2_grpc.add_StateTrackerServicer_to_server(self.servicer, server)

    async def start(self) -> None:
        from finadvisor.services.state.nlu import Understanding

        folder = (self.settings.models_dir or paths.models_dir()) / "nlu"
        nlu = await asyncio.to_thread(Understanding.load, folder)
        store = RedisStateStore(self.sessions)
        self.tracker = DialogueTracker(store, nlu, getattr(nlu, "version", ""))
        self.servicer = StateTrackerServicer(self.tracker)

    async def check(self) -> bool:
        """SERVING only while Redis answers (and the models are loaded)."""
        tracker = self.tracker
        return tracker is not None and await tracker.store.ping()

    async def stop(self) -> None:
        if self.tracker is not None:
            await self.tracker.store.close()
