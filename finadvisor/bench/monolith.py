"""The gateway with every service inside its own process: the baseline of the split overhead.

``MonolithGatewayApp`` is the gateway (same servicer, interceptors, auth, Converser, Redis
store, audit, credit) whose backends are the state, generator, vision and voice servicers
loaded in this very process and called as functions instead of over gRPC channels. A turn runs
the same code with the same messages; what is gone is exactly the split: the internal hops
(serialisation, HTTP/2, TLS, a second event loop per service).

``finadvisor bench`` serves it on its own port, with the stack's TLS certificate and API keys,
and plays the same text turns against it as against the split stack.

    python -m finadvisor.bench.monolith   # settings: the gateway's FINADVISOR_* variables
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc

from finadvisor.services.gateway.clients import Backends
from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.services.gateway.server import GatewayApp
from finadvisor.shared.config import load_settings
from finadvisor.shared.errors import status_for
from finadvisor.shared.server import ServiceApp

log = logging.getLogger("finadvisor.monolith")


class _DirectContext:
    """What the servicers read from a gRPC context, for a call made in-process."""

    def __init__(self, timeout: float | None) -> None:
        self._deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout

    def time_remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(self._deadline - asyncio.get_running_loop().time(), 0.0)


class DirectStub:
    """A stub whose methods call a servicer of this process: same request and response
    messages, same deadline, the same status codes on failure (as gRPC errors), no channel."""

    def __init__(self, servicer: Any) -> None:
        self._servicer = servicer

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        handler = getattr(self._servicer, name)

        async def call(request: Any, *, timeout: float | None = None, **_: Any) -> Any:
            try:
                async with asyncio.timeout(timeout):
                    return await handler(request, _DirectContext(timeout))
            except TimeoutError:
                raise _rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded") from None
            except grpc.aio.AioRpcError:
                raise
            except Exception as exc:  # mapped as the services' interceptor maps it
                code, message = status_for(exc)
                raise _rpc_error(code, message) from exc

        return call


def _rpc_error(code: grpc.StatusCode, message: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=message)


class MonolithGatewayApp(GatewayApp):
    """The gateway, its backends started in this process and called directly."""

    def __init__(self, settings: GatewaySettings, env: Mapping[str, str] | None = None) -> None:
        super().__init__(settings)
        self.env = env  # the backends' settings (None: this process's environment)
        self.backend_apps: dict[str, ServiceApp] = {}

    async def connect_backends(self, settings: GatewaySettings) -> Backends:
        from finadvisor.services.generator.config import GeneratorSettings
        from finadvisor.services.generator.server import GeneratorApp
        from finadvisor.services.state.config import StateSettings
        from finadvisor.services.state.server import StateApp
        from finadvisor.services.vision.config import VisionSettings
        from finadvisor.services.vision.server import VisionApp
        from finadvisor.services.voice.config import VoiceSettings
        from finadvisor.services.voice.server import VoiceApp

        apps: dict[str, ServiceApp] = {
            "state": StateApp(load_settings(StateSettings, self.env)),
            "generator": GeneratorApp(load_settings(GeneratorSettings, self.env)),
            "vision": VisionApp(load_settings(VisionSettings, self.env)),
            "voice": VoiceApp(load_settings(VoiceSettings, self.env)),
        }
        await asyncio.gather(*(app.start() for app in apps.values()))
        self.backend_apps = apps
        stubs = {name: DirectStub(app.servicer) for name, app in apps.items()}  # type: ignore[attr-defined]  # each app has .servicer
        return Backends(state=stubs["state"], generator=stubs["generator"],  # type: ignore[arg-type]  # duck-typed stubs
                        vision=stubs["vision"], voice=stubs["voice"], channels={})

    async def stop(self) -> None:
        await super().stop()
        await asyncio.gather(*(app.stop() for app in self.backend_apps.values()))


def main() -> int:
    from finadvisor.shared.server import main_for

    return main_for(GatewaySettings, MonolithGatewayApp)


if __name__ == "__main__":
    raise SystemExit(main())
