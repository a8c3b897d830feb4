"""The gRPC server runtime every finadvisor service uses.

A service is a :class:`ServiceApp`: ``start()`` loads models and opens connections (health
turns SERVING only after it returns), ``register()`` adds its servicers, ``check()`` is polled to
keep health honest (e.g. Redis answers), ``stop()`` releases resources. :func:`create_server`
binds the address it is given and returns the bound port, so tests bind ``127.0.0.1:0``;
:func:`run_service` is the process entry point with graceful shutdown on SIGTERM/SIGINT.

Wiring: a servicer receives its dependencies in its constructor. With
``register_after_start = True`` the runtime calls ``register()`` once ``start()`` has returned,
so ``start()`` builds the servicer from what it loaded::

    class ExampleApp(ServiceApp):
        name = "example"
        service_names = ("finadvisor.example.v1.Example",)
        register_after_start = True

        def __init__(self, settings: ExampleSettings) -> None:
            self.settings = settings
            self.servicer: ExampleServicer | None = None  # built by start()

        async def start(self) -> None:
            engine = await asyncio.to_thread(ExampleEngine.load, self.settings.models_dir)
            self.servicer = ExampleServicer(engine)

        def register(self, server: grpc.aio.Server) -> None:
            example_pb2_grpc.add_ExampleServicer_to_server(self.servicer, server)

Until then the server is up (health answers NOT_SERVING, reflection lists the service) and
every method of ``service_names`` answers UNAVAILABLE ("example is starting"), so a servicer
never sees a missing dependency. The older order (``register_after_start = False``, the
default) still works: ``register()`` runs in :func:`create_server`, before ``start()``, and the
servicer exists from ``__init__``.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from finadvisor.shared import metrics
from finadvisor.shared.client import channel_options
from finadvisor.shared.config import ServerSettings
from finadvisor.shared.errors import ModelNotReadyError
from finadvisor.shared.interceptors import ServiceInterceptor
from finadvisor.shared.logging import setup_logging

log = logging.getLogger("finadvisor.server")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class ServiceApp(abc.ABC):
    """What a service provides to the runtime (KServe-style model contract)."""

    #: short name: gateway, state, generator, vision, voice
    name: str = ""
    #: full proto service names registered (for health and reflection)
    service_names: Sequence[str] = ()
    #: how often ``check`` runs once SERVING
    check_interval_s: float = 2.0
    #: internal services accept only callers with a certificate of our CA (mutual TLS)
    require_client_cert: bool = True
    #: True: ``register()`` runs once ``start()`` has returned (servicers built by ``start()``
    #: from what it loaded); False: it runs in ``create_server``, before ``start()``
    register_after_start: bool = False

    def interceptors(self) -> Sequence[grpc.aio.ServerInterceptor]:
        """Extra interceptors (run before the shared one), e.g. authentication."""
        return ()

    @abc.abstractmethod
    def register(self, server: grpc.aio.Server) -> None:
        """Add the servicers to ``server`` (the generated ``add_*Servicer_to_server``).

        With ``register_after_start`` the ``server`` given is a stand-in that takes what the
        generated functions add (``add_generic_rpc_handlers``, ``add_registered_method_handlers``)
        and serves it from then on.
        """

    async def start(self) -> None:  # noqa: B027 - optional hook (nothing to load)
        """Load models and connect; the service is ready when this returns."""

    async def check(self) -> bool:
        """True while the service can serve (dependencies answer)."""
        return True

    async def stop(self) -> None:  # noqa: B027 - optional hook (nothing to release)
        """Release models and connections."""


class _LateServicers(grpc.GenericRpcHandler):
    """The methods of an app whose servicers are registered after ``start()``.

    Added to the server before it starts (gRPC takes handlers only then); until ``fill()`` every
    method of the app's services raises ModelNotReadyError (UNAVAILABLE, through the shared
    interceptor); afterwards each call goes to the handler the app registered.
    """

    def __init__(self, app: ServiceApp) -> None:
        self._name = app.name
        self._services = frozenset(app.service_names)
        self._methods: dict[str, grpc.RpcMethodHandler] = {}
        self._generic: list[grpc.GenericRpcHandler] = []
        self._ready = False

    # What the generated add_*Servicer_to_server functions call on a server:
    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._generic.extend(handlers)

    def add_registered_method_handlers(self, service: str,
                                       handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        for method, handler in handlers.items():
            self._methods[f"/{service}/{method}"] = handler

    def fill(self, app: ServiceApp) -> None:
        """Run the app's ``register()`` into this table; its methods serve from now on."""
        app.register(cast(grpc.aio.Server, self))  # takes the two calls above, nothing else
        self._ready = True

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        method: str = details.method
        handler = self._methods.get(method)
        if handler is not None:
            return handler
        if self._ready:
            for generic in self._generic:
                found = generic.service(details)
                if found is not None:
                    return cast(grpc.RpcMethodHandler, found)
            return None
        service = method.lstrip("/").rsplit("/", 1)[0]
        return self._starting(method) if service in self._services else None

    def _starting(self, method: str) -> grpc.RpcMethodHandler:
        message = f"{self._name} is starting"

        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            raise ModelNotReadyError(message)

        async def streaming(request: Any, context: grpc.aio.ServicerContext) -> None:
            raise ModelNotReadyError(message)

        service, name = method.lstrip("/").rsplit("/", 1)
        try:
            found = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name]
            client_stream, server_stream = found.client_streaming, found.server_streaming
        except KeyError:
            client_stream = server_stream = False
        if client_stream and server_stream:
            return grpc.stream_stream_rpc_method_handler(streaming)
        if client_stream:
            return grpc.stream_unary_rpc_method_handler(unary)
        if server_stream:
            return grpc.unary_stream_rpc_method_handler(streaming)
        return grpc.unary_unary_rpc_method_handler(unary)


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    app: ServiceApp
    health: health.aio.HealthServicer
    health_server: grpc.aio.Server | None = None
    health_port: int = 0
    _watch: asyncio.Task[None] | None = field(default=None, repr=False)
    serving: bool = False
    #: the app's methods, filled once start() returned (apps with register_after_start)
    late: _LateServicers | None = field(default=None, repr=False)

    async def set_serving(self, serving: bool) -> None:
        status = SERVING if serving else NOT_SERVING
        self.serving = serving
        metrics.READY.labels(self.app.name).set(1 if serving else 0)
        await self.health.set("", status)
        for name in self.app.service_names:
            await self.health.set(name, status)

    async def start_app(self) -> None:
        """Run the app's start() (then its register(), when it registers late), then go
        SERVING and keep health in step with check()."""
        await self.app.start()
        if self.late is not None:
            self.late.fill(self.app)
        await self.set_serving(await self.app.check())
        self._watch = asyncio.create_task(self._watch_health())

    async def _watch_health(self) -> None:
        while True:
            await asyncio.sleep(self.app.check_interval_s)
            try:
                ok = await asyncio.wait_for(self.app.check(), timeout=self.app.check_interval_s)
            except Exception:  # noqa: BLE001 - a failing check means not serving
                ok = False
            if ok != self.serving:
                log.warning("health of %s changed to %s", self.app.name,
                            "SERVING" if ok else "NOT_SERVING")
                await self.set_serving(ok)

    async def stop(self, grace_s: float) -> None:
        """Stop taking calls, let in-flight calls finish within ``grace_s``, then clean up."""
        if self._watch:
            self._watch.cancel()
        await self.set_serving(False)
        await self.server.stop(grace_s)
        if self.health_server is not None:
            await self.health_server.stop(0)
        await self.app.stop()


async def create_server(
    app: ServiceApp,
    address: str,
    *,
    max_message_bytes: int = 16 * 1024 * 1024,
    credentials: grpc.ServerCredentials | None = None,
    health_address: str | None = None,
) -> RunningServer:
    """Build and start a server for ``app`` on ``address``; health starts NOT_SERVING.

    Returns the running server with the bound port (``address`` may end in ``:0``).
    ``health_address`` adds a plain-text server with only grpc.health.v1 (for probes that
    cannot speak TLS). Call ``start_app()`` to load the app and turn SERVING (and, with
    ``register_after_start``, to register its servicers: until then they answer UNAVAILABLE).
    """
    callers: list[grpc.aio.ServerInterceptor] = []
    if credentials is not None and app.require_client_cert:  # mTLS: which certificate may call
        from finadvisor.shared.security import CallerAllowList

        callers.append(CallerAllowList(app.name))
    server = grpc.aio.server(
        interceptors=[ServiceInterceptor(app.name), *callers, *app.interceptors()],
        options=channel_options(max_message_bytes),
        maximum_concurrent_rpcs=None,
    )
    late: _LateServicers | None = None
    if app.register_after_start:
        late = _LateServicers(app)
        server.add_generic_rpc_handlers((late,))
    else:
        app.register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*app.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    if credentials is not None:
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"could not bind {address}")
    await server.start()
    running = RunningServer(server=server, port=port, app=app, health=health_servicer, late=late)
    if health_address:
        running.health_server = grpc.aio.server(options=channel_options(64 * 1024))
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, running.health_server)
        running.health_port = running.health_server.add_insecure_port(health_address)
        await running.health_server.start()
    await running.set_serving(False)
    return running


def transport_credentials(app: ServiceApp, settings: ServerSettings
                          ) -> grpc.ServerCredentials | None:
    """TLS from FINADVISOR_TLS_DIR (mutual for internal services), or plain text if asked."""
    settings.check_transport()
    if settings.tls_dir is not None:
        from finadvisor.shared.security import server_credentials

        return server_credentials(settings.tls_dir, app.name, app.require_client_cert)
    log.warning("serving PLAIN TEXT (FINADVISOR_INSECURE=1): local development only")
    return None


async def serve(app: ServiceApp, settings: ServerSettings) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully."""
    credentials = transport_credentials(app, settings)
    metrics_port = metrics.serve_metrics(settings.bind_metrics_port(), settings.host)
    health_address = (f"{settings.address.rsplit(':', 1)[0]}:{settings.health_port}"
                      if settings.health_port else None)
    running = await create_server(app, settings.address,
                                  max_message_bytes=settings.max_message_bytes,
                                  credentials=credentials, health_address=health_address)
    log.info("listening", extra={"fields": {"port": running.port, "metrics_port": metrics_port}})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    starter = asyncio.create_task(running.start_app())
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({starter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if starter in done:
        starter.result()  # a failed start ends the process with its error
        log.info("serving")
        await stopper
    else:
        starter.cancel()
    log.info("shutting down", extra={"fields": {"grace_seconds": settings.grace_seconds}})
    await running.stop(settings.grace_seconds)
    log.info("stopped")


def run_service(app: ServiceApp, settings: ServerSettings) -> None:
    """Process entry point: settings are loaded by the caller; logging set here."""
    setup_logging(app.name, settings.log_level)
    run_loop(serve(app, settings), settings.event_loop)


def run_loop(main: Coroutine[Any, Any, None], event_loop: str = "uvloop") -> None:
    """``asyncio.run(main)`` on uvloop when asked for and installed, else on asyncio's loop.

    uvloop runs the same coroutines with its loop and transports in C (libuv): the services'
    Redis sockets, timers and callbacks cost less CPU per turn (bench README, "session 9")."""
    if event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("uvloop is not installed: asyncio's own event loop serves")
        else:
            uvloop.run(main)
            return
    asyncio.run(main)


def main_for(settings_cls: type[ServerSettings],
             app_factory: Callable[[Any], ServiceApp]) -> int:
    """``python -m finadvisor.services.<name>``: load settings, build the app, serve.

    A bad setting exits 2 with one readable line on stderr and no traceback.
    """
    import sys

    from finadvisor.shared.config import load_settings
    from finadvisor.shared.errors import ConfigError

    try:
        settings = load_settings(settings_cls)
        settings.check_transport()
        app = app_factory(settings)
    except ConfigError as exc:
        print(f"finadvisor {settings_cls.SERVICE}: {exc}", file=sys.stderr)
        return 2
    try:
        run_service(app, settings)
    except ConfigError as exc:
        print(f"finadvisor {settings_cls.SERVICE}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"finadvisor {settings_cls.SERVICE}: cannot serve on {settings.address}: {exc}",
              file=sys.stderr)
        return 2
    return 0
