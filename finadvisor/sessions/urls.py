"""Redis URLs -> ``redis.asyncio`` clients: standalone, Cluster and Sentinel.

- ``redis://host:port/db``, ``rediss://...``, ``unix:///path.sock`` - a standalone Redis.
- ``redis+cluster://[user:pass@]host1:port1,host2:port2`` (``rediss+cluster://`` for TLS) - a
  Redis Cluster; the listed nodes are only seeds, the client discovers the rest.
- ``redis+sentinel://[user:pass@]host1:port1,host2:port2/<service_name>[/<db>]``
  (``rediss+sentinel://`` for TLS to the master) - Redis Sentinel (the Kubernetes deployment's
  HA option): the client asks the sentinels for the current master of ``service_name`` and
  follows failovers. The user/password apply to the master; a password for the sentinels
  themselves goes in the query string: ``?sentinel_password=...``. With ``rediss+sentinel://``
  the sentinels are spoken to over TLS as well (Redis' ``tls-port`` on the Sentinel);
  ``?sentinel_tls=0`` keeps them in plain text.

TLS (every ``rediss`` scheme): the server certificate is verified against
``SessionSettings.tls_ca_file`` (``FINADVISOR_SESSION_TLS_CA_FILE``; empty: the system's trust
store) and its host name checked; ``tls_cert_file``/``tls_key_file`` are the client
certificate for a Redis with ``tls-auth-clients yes``.

Clients are made lazily connected: building one opens no socket, so a bad address fails at the
first call (as :class:`StoreUnavailableError`), a bad URL at once (as :class:`ConfigError`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from finadvisor.sessions.config import SessionSettings
from finadvisor.sessions.pipeline import packing_connection_class
from finadvisor.shared.errors import ConfigError

#: Schemes of a single Redis server (auto-pipelining and hiredis packing apply to these).
STANDALONE_SCHEMES = ("redis", "rediss", "unix")


def split_hosts(netloc_hosts: str, default_port: int) -> list[tuple[str, int]]:
    """``h1:p1,h2`` -> [(h1, p1), (h2, default_port)]; ConfigError when it names no host."""
    out: list[tuple[str, int]] = []
    for part in netloc_hosts.split(","):
        part = part.strip()
        if not part:
            continue
        host, _, port = part.rpartition(":") if part.count(":") == 1 else (part, "", "")
        if not host:
            host, port = part, ""
        try:
            out.append((host, int(port) if port else default_port))
        except ValueError:
            raise ConfigError(f"bad Redis host:port {part!r}") from None
    if not out:
        raise ConfigError("the Redis URL names no host")
    return out


def userinfo(netloc: str) -> tuple[str | None, str | None, str]:
    """Split ``user:pass@hosts`` -> (user, password, hosts)."""
    if "@" not in netloc:
        return None, None, netloc
    info, _, hosts = netloc.rpartition("@")
    user, sep, password = info.partition(":")
    return (unquote(user) or None), (unquote(password) if sep else None), hosts


def tls_options(cfg: SessionSettings) -> dict[str, Any]:
    """redis-py's TLS arguments from the settings: verify the server, show a client cert."""
    out: dict[str, Any] = {"ssl_cert_reqs": "required", "ssl_check_hostname": True}
    if cfg.tls_ca_file:
        out["ssl_ca_certs"] = cfg.tls_ca_file
    if cfg.tls_cert_file:
        out["ssl_certfile"] = cfg.tls_cert_file
        out["ssl_keyfile"] = cfg.tls_key_file
    return out


def build_client(cfg: SessionSettings, read_timeout: bool = True) -> tuple[Any, Any]:
    """(client, sentinel or None) for ``cfg.url``.

    ``read_timeout=False``: no per-read socket timer, for a client whose calls are bounded as a
    whole (the auto-pipeline's).
    """
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    # One quick retry: enough to reconnect a pooled connection after a Redis restart, not
    # enough to hang a request. op_timeout_s bounds the whole operation anyway.
    retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=1)
    common: dict[str, Any] = {
        "socket_timeout": cfg.socket_timeout_s if read_timeout else None,
        "socket_connect_timeout": cfg.connect_timeout_s,
        "retry": retry,
        "decode_responses": False,
        "max_connections": cfg.max_connections,
    }
    parts = urlsplit(cfg.url)
    scheme = parts.scheme.lower()
    tls = tls_options(cfg) if scheme.startswith("rediss") else {}
    common.update(tls)
    if scheme in STANDALONE_SCHEMES:
        from redis.asyncio import BlockingConnectionPool

        # Blocking pool: a burst beyond max_connections waits (within the deadline) for a
        # free connection instead of failing with "Too many connections".
        packing = packing_connection_class(scheme)
        if packing is not None:
            common["connection_class"] = packing
        pool = BlockingConnectionPool.from_url(cfg.url, timeout=cfg.op_timeout_s, **common)
        client = Redis(connection_pool=pool)
        client.auto_close_connection_pool = True  # aclose() closes the pool we made
        return client, None
    user, password, hosts = userinfo(parts.netloc)
    ssl = scheme.startswith("rediss+")
    if scheme in ("redis+cluster", "rediss+cluster"):
        import redis
        from redis.asyncio.cluster import ClusterNode, RedisCluster

        nodes = [ClusterNode(h, p) for h, p in split_hosts(hosts, 6379)]
        extra: dict[str, Any] = {}
        if int(redis.__version__.split(".")[0]) < 6:
            # redis-py 5 retries cluster errors 3x by default; 6+ takes it from `retry`.
            extra["cluster_error_retry_attempts"] = 1
        cluster = RedisCluster(
            startup_nodes=nodes,
            username=user,
            password=password,
            ssl=ssl,
            **extra,
            **common,
        )
        return cluster, None
    if scheme in ("redis+sentinel", "rediss+sentinel"):
        from redis.asyncio.sentinel import Sentinel

        path = [p for p in parts.path.split("/") if p]
        if not path:
            raise ConfigError("redis+sentinel:// URL needs the service name: .../<service>")
        db = int(path[1]) if len(path) > 1 and path[1].isdigit() else 0
        query = parse_qs(parts.query)
        sentinel_kwargs: dict[str, Any] = {
            "socket_timeout": cfg.socket_timeout_s,
            "socket_connect_timeout": cfg.connect_timeout_s,
        }
        if "sentinel_password" in query:
            sentinel_kwargs["password"] = query["sentinel_password"][0]
        if ssl and query.get("sentinel_tls", ["1"])[0].lower() not in ("0", "false", "no"):
            sentinel_kwargs.update(ssl=True, **tls)
        sentinel = Sentinel(split_hosts(hosts, 26379),  # type: ignore[no-untyped-call]  # redis-py
                            sentinel_kwargs=sentinel_kwargs)
        master = sentinel.master_for(
            path[0],
            db=db,
            username=user,
            password=password,
            ssl=ssl,
            **{k: v for k, v in common.items() if k != "max_connections"},
        )
        return master, sentinel
    raise ConfigError(
        f"unsupported session store URL scheme {scheme!r}: use redis://, rediss://, unix://, "
        "redis+cluster:// or redis+sentinel://"
    )
