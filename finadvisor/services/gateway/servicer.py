"""gRPC servicer of the public AdvisoryGateway: proto <-> domain only."""

from __future__ import annotations

import grpc

from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from finadvisor.services.gateway.clients import Backends
from finadvisor.shared.info import service_info


class AdvisoryGatewayServicer(gateway_pb2_grpc.AdvisoryGatewayServicer):
    """RPCs whose capability is not built yet answer UNIMPLEMENTED (the base class does)."""

    def __init__(self) -> None:
        #: set by GatewayApp.start(), inside the serving event loop
        self.backends: Backends | None = None

    async def GetInfo(self, request, context: grpc.aio.ServicerContext):  # noqa: N802
        return gateway_pb2.GatewayInfo(
            gateway=service_info("gateway"), services=await self.backends.infos() if self.backends else {}
        )
