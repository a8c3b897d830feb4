"""gRPC servicer of the vision service: proto <-> domain only."""

from __future__ import annotations

import grpc

from finadvisor.vision.v1 import vision_pb2_grpc
from finadvisor.shared.info import service_info


class DocumentVisionServicer(vision_pb2_grpc.DocumentVisionServicer):
    """RPCs whose capability is not built yet answer UNIMPLEMENTED (the base class does)."""

    async def GetInfo(self, request, context: grpc.aio.ServicerContext):  # noqa: N802
        return service_info("vision")
