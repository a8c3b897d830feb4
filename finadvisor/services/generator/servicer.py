"""gRPC servicer of the generator service: proto <-> domain only."""

from __future__ import annotations

import grpc

from finadvisor.generator.v1 import generator_pb2_grpc
from finadvisor.shared.info import service_info


class ResponseGeneratorServicer(generator_pb2_grpc.ResponseGeneratorServicer):
    """RPCs whose capability is not built yet answer UNIMPLEMENTED (the base class does)."""

    async def GetInfo(self, request, context: grpc.aio.ServicerContext):  # noqa: N802
        return service_info("generator")
