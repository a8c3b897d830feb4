"""The finadvisor services: one process each, gRPC + health + reflection."""

from __future__ import annotations

#: gRPC services, their default ports and full proto service names, in start-up order.
GRPC_SERVICES: dict[str, tuple[int, str]] = {
    "state": (50052, "finadvisor.state.v1.StateTracker"),
    "generator": (50053, "finadvisor.generator.v1.ResponseGenerator"),
    "vision": (50054, "finadvisor.vision.v1.DocumentVision"),
    "voice": (50055, "finadvisor.voice.v1.VoiceNotes"),
    "gateway": (50051, "finadvisor.gateway.v1.AdvisoryGateway"),
}
CONSOLE_PORT = 8080
ALL_SERVICES = [*GRPC_SERVICES, "console"]
