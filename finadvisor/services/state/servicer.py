"""gRPC servicer of the state service: proto <-> domain only."""

from __future__ import annotations

import grpc

from finadvisor.state.v1 import state_pb2_grpc
from finadvisor.shared.info import service_info


class StateTrackerServicer(state_pb2_grpc.StateTrackerServicer):
    """RPCs whose capability is not built yet answer UNIMPLEMENTED (the base class does)."""

    async def GetInfo(self, request, context: grpc.aio.ServicerContext):  # noqa: N802
        return service_info("state")
