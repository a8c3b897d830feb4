"""Wiring of the gateway: settings -> backends, Redis, credit model -> servicer."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import grpc

from finadvisor.gateway.v1 import gateway_pb2_grpc
from finadvisor.services import GRPC_SERVICES
from finadvisor.services.gateway.audit import AuditLog
from finadvisor.services.gateway.auth import AuthInterceptor, Ownership, RateLimiter
from finadvisor.services.gateway.clients import Backends
from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.services.gateway.converse import Converser
from finadvisor.services.gateway.credit import CreditScorer
from finadvisor.services.gateway.servicer import AdvisoryGatewayServicer
from finadvisor.sessions import RedisStateStore, SessionSettings
from finadvisor.shared import paths
from finadvisor.shared.errors import ConfigError
from finadvisor.shared.security import CredentialStore
from finadvisor.shared.server import ServiceApp

log = logging.getLogger("finadvisor.gateway")


class GatewayApp(ServiceApp):
    name = "gateway"
    service_names = (GRPC_SERVICES["gateway"][1],)
    #: clients authenticate with API keys; TLS without client certificates
    require_client_cert = False
    #: the servicer is built by start() (its clients belong to the serving event loop)
    register_after_start = True

    def __init__(self, settings: GatewaySettings, sessions: SessionSettings | None = None) -> None:
        self.settings = settings
        #: The session store's one configuration, the state service's too (REDIS_URL and
        #: FINADVISOR_SESSION_*): both write the same session keys.
        self.sessions = dataclasses.replace(sessions or SessionSettings.from_env(),
                                            url=settings.redis_url)
        self.servicer: AdvisoryGatewayServicer | None = None  # built by start()
        self.backends: Backends | None = None
        self.store: RedisStateStore | None = None
        self.limiter: RateLimiter | None = None
        self.credentials: CredentialStore | None = None
        if settings.credentials_file is not None:
            self.credentials = CredentialStore.load(settings.credentials_file)
        elif not settings.insecure:
            raise ConfigError("FINADVISOR_CREDENTIALS_FILE is required (client API keys); "
                              "only FINADVISOR_INSECURE=1 turns authentication off")
        else:
            log.warning("client authentication is OFF (FINADVISOR_INSECURE=1)")

    def interceptors(self) -> list[grpc.aio.ServerInterceptor]:
        if self.credentials is None:
            return []
        return [AuthInterceptor(self.credentials, lambda: self.limiter)]

    def register(self, server: grpc.aio.Server) -> None:
        gateway_pb2_grpc.add_AdvisoryGatewayServicer_to_server(self.servicer, server)

    async def start(self) -> None:
        from finadvisor.services.gateway.risk.model import CreditRiskModel

        s = self.settings
        folder = (s.models_dir or paths.models_dir()) / "risk"
        credit = CreditScorer(await asyncio.to_thread(CreditRiskModel.load, folder))
        # Channels and Redis clients belong to the running loop, so they are made here.
        backends = await self.connect_backends(s)
        self.backends = backends
        self.store = RedisStateStore(self.sessions)
        # The limits and the audit index share the store's pipelined round trips.
        self.limiter = RateLimiter(self.store.client, s.rate_limit_per_s, s.rate_burst,
                                   s.max_turns_per_session, s.session_turns_per_min,
                                   s.session_turn_burst, run_script=self.store.run_script)
        # Sessions have owners when clients have ids.
        ownership = (Ownership(self.store.client, self.sessions.ttl_s)
                     if self.credentials is not None else None)
        audit = AuditLog(self.store.client, max_records=s.audit_max_records,
                         session_ttl_s=self.sessions.ttl_s, run_script=self.store.run_script)
        self.servicer = AdvisoryGatewayServicer(
            backends=backends, converser=Converser(s, backends, self.store, audit, credit),
            audit=audit, credit=credit, limiter=self.limiter, ownership=ownership)

    async def connect_backends(self, settings: GatewaySettings) -> Backends:
        """The stubs of the internal services: gRPC channels to their addresses."""
        return Backends.connect(settings)

    async def check(self) -> bool:
        return self.store is not None and await self.store.ping()

    async def stop(self) -> None:
        if self.backends is not None:
            await self.backends.close()
        if self.store is not None:
            await self.store.close()
