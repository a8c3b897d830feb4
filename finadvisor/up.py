"""`finadvisor up`: the whole stack on one machine, every service its own process.

Redis: the one at ``REDIS_URL`` if set, otherwise a local redis-server that ``up`` starts on a
free loopback port with its data under ``$FINADVISOR_HOME/redis`` and stops at the end. Default
models are trained first if none exist. ``up`` waits until every service reports SERVING,
prints the endpoints, restarts a service that dies, and on Ctrl-C / SIGTERM stops everything,
leaving no process behind (children also get SIGTERM should ``up`` itself be killed).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from finadvisor.services.vision.ocr_engines import vision_ocr_line
from finadvisor.shared import paths
from finadvisor.shared.config import ServerSettings, load_settings
from finadvisor.shared.errors import ConfigError
from finadvisor.shared.redis_local import (
    LocalRedis,
    die_with_parent,
    new_redis_password,
    port_is_free,
)


def _settings_classes() -> dict[str, type[ServerSettings]]:
    from finadvisor.services.console.config import ConsoleSettings
    from finadvisor.services.gateway.config import GatewaySettings
    from finadvisor.services.generator.config import GeneratorSettings
    from finadvisor.services.state.config import StateSettings
    from finadvisor.services.vision.config import VisionSettings
    from finadvisor.services.voice.config import VoiceSettings

    return {
        "state": StateSettings,
        "generator": GeneratorSettings,
        "vision": VisionSettings,
        "voice": VoiceSettings,
        "gateway": GatewaySettings,
        "console": ConsoleSettings,
    }


@dataclass
class Child:
    name: str
    port: int
    metrics_port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"finadvisor.services.{self.name}"],
            env=self.env,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches `up` alone; `up` stops children in order
            preexec_fn=die_with_parent,
        )
        log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Stack:
    """The processes of one local finadvisor."""

    def __init__(self, home: Path, train_missing: bool = True, health_timeout_s: float = 180,
                 insecure: bool = False, out=sys.stdout) -> None:
        self.home = home
        self.insecure = insecure or os.environ.get("FINADVISOR_INSECURE", "") in ("1", "true")
        self.tls_dir: Path | None = None
        self.key_paths: dict[str, Path] = {}
        self.credentials_file: Path | None = None
        self.console_users: Path | None = None
        self.console_password: Path | None = None
        self.train_missing = train_missing
        self.health_timeout_s = health_timeout_s
        self.out = out
        self.redis: LocalRedis | None = None
        self.redis_url = os.environ.get("REDIS_URL", "")
        self.children: list[Child] = []
        self.stopping = False

    def say(self, msg: str) -> None:
        print(msg, file=self.out, flush=True)

    # -- preparation ----------------------------------------------------------------------
    def plan(self) -> None:
        """Validate every service's settings and that its ports are free (one clear error)."""
        settings = {name: load_settings(cls) for name, cls in _settings_classes().items()}
        taken = []
        for name, s in settings.items():
            for what, port in (("port", s.bind_port()), ("metrics port", s.bind_metrics_port())):
                if port > 0 and not port_is_free(port):
                    env = f"{s.ENV_PREFIX}{'PORT' if what == 'port' else 'METRICS_PORT'}"
                    taken.append(f"{name} {what} {port} is taken (stop what uses it or set {env})")
        if taken:
            raise ConfigError("; ".join(taken))
        self.settings = settings

    def ensure_models(self) -> None:
        from finadvisor.training import missing_components, train_components

        missing = missing_components(paths.models_dir())
        if not missing:
            return
        if not self.train_missing:
            raise ConfigError(f"models missing: {', '.join(missing)}; run `finadvisor train`")
        self.say(f"Training default models first ({', '.join(missing)}); this runs once.")
        train_components(missing, paths.models_dir(), paths.data_dir(), seed=0)

    def prepare_security(self) -> None:
        """A dev CA, certificates and one API key per role, unless plain text was asked for."""
        if self.insecure:
            self.say("WARNING: plain text and no client authentication (--insecure): "
                     "local development only")
            return
        from finadvisor.shared.security import (
            generate_console_user,
            generate_dev_credentials,
            generate_dev_pki,
        )

        self.tls_dir = generate_dev_pki(self.home / "tls", [*_settings_classes(), "supervisor"])
        self.credentials_file, self.key_paths = generate_dev_credentials(
            self.home / "credentials")
        self.console_users, self.console_password = generate_console_user(
            self.home / "credentials")

    def log_key_file(self) -> Path:
        """The key of the session references in the logs (0600, kept across restarts)."""
        path = self.home / "credentials" / "log-key"
        if not path.is_file():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
        return path

    def start_redis(self) -> None:
        if self.redis_url:
            self.say(f"Using Redis at {self.redis_url.split('@')[-1]} (REDIS_URL)")
            return
        # Like production: a password (ACL user), private files; the default user is off.
        self.redis_password_file = self.home / "credentials" / "redis-password"
        password = new_redis_password(self.redis_password_file)
        self.redis = LocalRedis(self.home / "redis", password=password, log_file=True).start()
        self.redis_url = self.redis.url

    def child_env(self, name: str) -> dict[str, str]:
        env = dict(os.environ)
        env["REDIS_URL"] = self.redis_url
        env.setdefault("PYTHONUNBUFFERED", "1")
        s = self.settings
        for st in s.values():
            env[f"{st.ENV_PREFIX}PORT"] = str(st.bind_port())
            env[f"{st.ENV_PREFIX}METRICS_PORT"] = str(st.bind_metrics_port())
        for svc in ("state", "generator", "vision", "voice"):
            env[f"FINADVISOR_GATEWAY_{svc.upper()}_ADDR"] = f"127.0.0.1:{s[svc].bind_port()}"
        env["FINADVISOR_CONSOLE_GATEWAY_ADDR"] = f"127.0.0.1:{s['gateway'].bind_port()}"
        env["FINADVISOR_LOG_KEY_FILE"] = str(self.log_key_file())  # one session, one log ref
        if self.tls_dir is not None:
            env["FINADVISOR_TLS_DIR"] = str(self.tls_dir)
            env["FINADVISOR_CREDENTIALS_FILE"] = str(self.credentials_file)
            env["FINADVISOR_CONSOLE_API_KEY_FILE"] = str(self.key_paths["analyst"])
            env["FINADVISOR_CONSOLE_USERS_FILE"] = str(self.console_users)
            env.pop("FINADVISOR_INSECURE", None)
        else:
            env["FINADVISOR_INSECURE"] = "1"
        return env

    # -- running --------------------------------------------------------------------------
    def start_services(self) -> None:
        logs = self.home / "logs"
        for name, st in self.settings.items():
            child = Child(name, st.bind_port(), st.bind_metrics_port(), self.child_env(name),
                          logs / f"{name}.log")
            child.start()
            self.children.append(child)

    def _channel(self, port: int) -> grpc.aio.Channel:
        if self.tls_dir is None:
            return grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        from finadvisor.shared.security import channel_credentials

        return grpc.aio.secure_channel(f"127.0.0.1:{port}",
                                       channel_credentials(self.tls_dir, "supervisor"))

    async def _grpc_serving(self, port: int) -> bool:
        async with self._channel(port) as ch:
            try:
                resp = await health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=1.0
                )
            except grpc.aio.AioRpcError:
                return False
            return resp.status == health_pb2.HealthCheckResponse.SERVING

    async def _http_ok(self, port: int) -> bool:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), 1.0)
            writer.write(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), 2.0)
            writer.close()
            return line.split()[1:2] in ([b"200"], [b"503"])  # 503: up, gateway not yet
        except (TimeoutError, OSError, IndexError):
            return False

    async def is_ready(self, child: Child) -> bool:
        if child.name == "console":
            return await self._http_ok(child.port)
        return await self._grpc_serving(child.port)

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + self.health_timeout_s
        pending = {c.name: c for c in self.children}
        while pending:
            for name, child in list(pending.items()):
                if not child.alive():
                    raise ConfigError(
                        f"service {name} exited during start (log {child.log_path}):\n"
                        f"{child.log_tail()}"
                    )
                if await self.is_ready(child):
                    self.say(f"  {name:<10} SERVING")
                    del pending[name]
            if self.stopping:
                return
            if time.monotonic() > deadline:
                raise ConfigError(f"not SERVING after {self.health_timeout_s:.0f}s: "
                                  f"{', '.join(pending)} (logs under {self.home / 'logs'})")
            await asyncio.sleep(0.25)

    def endpoints(self) -> str:
        s = self.settings
        lines = [
            "finadvisor is up:",
            f"  gateway   grpc  127.0.0.1:{s['gateway'].bind_port()}  "
            "(finadvisor.gateway.v1.AdvisoryGateway, reflection, grpc.health.v1)",
            f"  console   http  http://127.0.0.1:{s['console'].bind_port()}/",
        ]
        for svc in ("state", "generator", "vision", "voice"):
            lines.append(f"  {svc:<9} grpc  127.0.0.1:{s[svc].bind_port()}  (internal)")
        lines.append(f"  ocr       {vision_ocr_line(s['vision'])}")
        metrics = ", ".join(f"{n}:{st.bind_metrics_port()}" for n, st in s.items()
                            if st.bind_metrics_port() > 0)
        lines.append(f"  metrics   http  {metrics}")
        if self.redis:
            lines.append(f"  redis     {self.redis.public_url} (local, data in "
                         f"{self.home / 'redis'}; user {self.redis.user}, password in "
                         f"{self.redis_password_file})")
        else:
            lines.append(f"  redis     {self.redis_url.split('@')[-1]}")
        lines.append(f"  logs      {self.home / 'logs'}")
        if self.tls_dir is not None:
            lines.append(f"  tls ca    {self.tls_dir / 'ca.pem'}  (TLS on every port; "
                         "services require client certificates from this CA)")
            for role, path in self.key_paths.items():
                lines.append(f"  key {role:<8} {path}  (metadata 'authorization: Bearer <key>')")
            lines.append(f"  console   sign in as 'analyst', password in {self.console_password}"
                         " (or with the analyst key)")
        else:
            lines.append("  security  OFF (plain text, no credentials)")
        lines.append("Press Ctrl-C to stop.")
        return "\n".join(lines)

    async def supervise(self, stop: asyncio.Event) -> None:
        """Restart a service that dies (at most 5 times a minute), until ``stop``."""
        while not stop.is_set():
            if self.redis is not None and not self.redis.alive() and not self.stopping:
                self.restart_redis()
            for child in self.children:
                if not child.alive() and not self.stopping:
                    now = time.monotonic()
                    child.restarts = [t for t in child.restarts if now - t < 60]
                    if len(child.restarts) >= 5:
                        self.say(f"{child.name} keeps failing; see {child.log_path}")
                        stop.set()
                        break
                    child.restarts.append(now)
                    self.say(f"{child.name} exited (code {child.proc.returncode if child.proc else '?'}); restarting")
                    child.start()
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass

    def restart_redis(self) -> None:
        """Redis died: start it again on its port with its data (the append-only file keeps
        every acknowledged write); the services reconnect by themselves."""
        assert self.redis is not None
        code = self.redis.proc.returncode if self.redis.proc else "?"
        self.redis.stop()
        self.say(f"redis exited (code {code}); restarting")
        try:
            self.redis.start()
        except ConfigError as exc:
            self.say(f"redis did not restart: {exc}")

    def stop_all(self, grace_s: float = 15.0) -> None:
        """SIGTERM every child (gateway and console first), wait, then SIGKILL stragglers."""
        self.stopping = True
        order = sorted(self.children, key=lambda c: c.name not in ("console", "gateway"))
        for child in order:
            if child.alive():
                child.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]  # alive() means proc is set
        deadline = time.monotonic() + grace_s
        for child in order:
            if child.proc is None:
                continue
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        if self.redis:
            self.redis.stop()
            self.redis = None

    async def run(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            self.prepare_security()
            self.start_redis()
            self.start_services()
            self.say("Starting services…")
            ready = asyncio.create_task(self.wait_ready())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({ready, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if not ready.done():
                ready.cancel()
            else:
                stopper.cancel()
                ready.result()
                self.say(self.endpoints())
                await self.supervise(stop)
        finally:
            self.say("Stopping…")
            self.stop_all()
            self.say("Stopped.")


def up(train_missing: bool = True, health_timeout_s: float = 180, insecure: bool = False) -> int:
    stack = Stack(paths.home_dir(), train_missing=train_missing,
                  health_timeout_s=health_timeout_s, insecure=insecure)
    try:
        stack.plan()
        stack.ensure_models()
        asyncio.run(stack.run())
    except ConfigError as exc:
        print(f"finadvisor up: {exc}", file=sys.stderr)
        stack.stop_all()
        return 2
    return 0
