"""gRPC servicer of the voice service: proto <-> domain only."""

from __future__ import annotations

import grpc

from finadvisor.voice.v1 import voice_pb2_grpc
from finadvisor.shared.info import service_info


class VoiceNotesServicer(voice_pb2_grpc.VoiceNotesServicer):
    """RPCs whose capability is not built yet answer UNIMPLEMENTED (the base class does)."""

    async def GetInfo(self, request, context: grpc.aio.ServicerContext):  # noqa: N802
        return service_info("voice")
