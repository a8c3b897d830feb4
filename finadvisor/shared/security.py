"""Transport security and client credentials.

TLS everywhere: every gRPC server serves TLS from ``FINADVISOR_TLS_DIR`` (``ca.pem`` plus
``<service>.pem``/``<service>-key.pem``); internal services require client certificates signed
by the same CA (mutual TLS), the public gateway requires TLS and authenticates clients with
per-client API keys. Plain text only with ``FINADVISOR_INSECURE=1``, for local development,
with a warning at start-up.

``finadvisor up`` makes a development CA, one certificate per service and one API key per role
(:func:`generate_dev_pki`, :func:`generate_dev_credentials`) under its local state folder.

API keys: ``<client_id>.<secret>``, sent as ``authorization: Bearer <key>`` metadata. The
credentials file stores only ``sha256(secret)``, never the secret; comparison is constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

from finadvisor.shared.errors import ConfigError, PermissionDeniedError, UnauthenticatedError

log = logging.getLogger("finadvisor.security")

ROLES = ("backend", "analyst", "admin")
CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"


# -- TLS ------------------------------------------------------------------------------------------
def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def generate_dev_pki(folder: Path, names: Iterable[str], extra_sans: Iterable[str] = (),
                     days: int = 30) -> Path:
    """A development CA and one certificate per name (server and client use), in ``folder``.

    Existing, still valid files are kept, so restarting ``up`` does not rotate them.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    pem = serialization.Encoding.PEM

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    ca_cert_path, ca_key_path = folder / CA_CERT, folder / CA_KEY
    if ca_cert_path.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
        if ca_cert.not_valid_after_utc < now + dt.timedelta(days=1):
            ca_cert = None  # type: ignore[assignment]  # an expired CA is made anew
    else:
        ca_cert = None
    if ca_cert is None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "finadvisor dev CA")])
        ca_cert = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(ca_key_path, key_pem(ca_key))
        ca_cert_path.write_bytes(ca_cert.public_bytes(pem))
        for old in folder.glob("*-key.pem"):
            if old.name != CA_KEY:
                old.unlink()

    for name in names:
        cert_path, key_path = folder / f"{name}.pem", folder / f"{name}-key.pem"
        if cert_path.exists() and key_path.exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = [x509.DNSName(name), x509.DNSName("localhost")]
        sans += [x509.DNSName(s) for s in extra_sans]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ("127.0.0.1", "::1")]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]  # our CA key is EC (loaded as any private key)
        )
        _write_private(key_path, key_pem(key))
        cert_path.write_bytes(cert.public_bytes(pem))
    return folder


@dataclass(frozen=True)
class TlsFiles:
    ca: bytes
    cert: bytes
    key: bytes

    @classmethod
    def load(cls, folder: Path, name: str) -> TlsFiles:
        folder = Path(folder)
        paths = [folder / CA_CERT, folder / f"{name}.pem", folder / f"{name}-key.pem"]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ConfigError(f"TLS files missing: {', '.join(missing)}")
        return cls(*(p.read_bytes() for p in paths))


def server_credentials(folder: Path, name: str, require_client_auth: bool
                       ) -> grpc.ServerCredentials:
    tls = TlsFiles.load(folder, name)
    return grpc.ssl_server_credentials(
        [(tls.key, tls.cert)], root_certificates=tls.ca,
        require_client_auth=require_client_auth)


def channel_credentials(folder: Path, name: str | None = None) -> grpc.ChannelCredentials:
    """Credentials to reach a TLS server; with ``name`` also present that client certificate."""
    folder = Path(folder)
    ca = (folder / CA_CERT).read_bytes() if (folder / CA_CERT).is_file() else None
    if ca is None:
        raise ConfigError(f"TLS CA certificate missing: {folder / CA_CERT}")
    if name is None:
        return grpc.ssl_channel_credentials(root_certificates=ca)
    tls = TlsFiles.load(folder, name)
    return grpc.ssl_channel_credentials(root_certificates=tls.ca, private_key=tls.key,
                                        certificate_chain=tls.cert)


# -- who may call whom ----------------------------------------------------------------------------
#: internal service -> the services whose client certificates it accepts. Everything else
#: signed by the CA (the console, a supervisor, a stolen pod's certificate) gets
#: PERMISSION_DENIED on the service's own RPCs; health and reflection stay open to any
#: certificate of the CA (probes, `up`'s supervisor).
CALLERS: dict[str, frozenset[str]] = {
    "state": frozenset({"gateway"}),
    "generator": frozenset({"gateway"}),
    "vision": frozenset({"gateway"}),
    "voice": frozenset({"gateway"}),
}
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


def _names(auth_context: Mapping[str, Iterable[bytes]], key: str) -> list[str]:
    return [v.decode(errors="replace") if isinstance(v, bytes) else str(v)
            for v in auth_context.get(key, ())]


def peer_identity(auth_context: Mapping[str, Iterable[bytes]]) -> frozenset[str]:
    """Who the peer's certificate says it is: its Common Name, or, without one, its DNS names.

    Why the CN first: every certificate also names ``localhost`` and loopback addresses (so a
    local client can dial 127.0.0.1), which must never identify a caller.
    """
    cn = _names(auth_context, "x509_common_name")
    names = cn or _names(auth_context, "x509_subject_alternative_name")
    return frozenset(n.lower() for n in names if n and n.lower() != "localhost")


def caller_allowed(identity: Iterable[str], allowed: Iterable[str]) -> bool:
    """``gateway`` or ``gateway.<namespace>.svc[...]`` for an allowed ``gateway``."""
    return any(name == a or name.startswith(a + ".") for name in identity for a in allowed)


class CallerAllowList(grpc.aio.ServerInterceptor):
    """Mutual TLS says the peer holds a certificate of our CA; this says which one may call."""

    def __init__(self, service: str, allowed: Iterable[str] | None = None) -> None:
        self.service = service
        self.allowed = frozenset(CALLERS.get(service, ()) if allowed is None else allowed)
        #: method -> (its handler, the checked handler made for it): made once per method, not
        #: once per call (only registered methods get here, so it stays as small as the API)
        self._checked: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(self, continuation, details):  # type: ignore[no-untyped-def]  # grpc's untyped API
        handler = await continuation(details)
        if (handler is None or handler.unary_unary is None
                or details.method.startswith(OPEN_METHOD_PREFIXES)):
            return handler
        made = self._checked.get(details.method)
        if made is not None and made[0] is handler:
            return made[1]
        inner, allowed, service = handler.unary_unary, self.allowed, self.service
        method = details.method.rsplit("/", 1)[-1]

        async def checked(request, context):  # type: ignore[no-untyped-def]  # a grpc handler
            identity = peer_identity(context.auth_context())
            if not caller_allowed(identity, allowed):
                log.warning("caller refused", extra={"fields": {
                    "service": service, "method": method,
                    "peer": ",".join(sorted(identity))[:200]}})
                raise PermissionDeniedError(f"this caller may not call the {service} service")
            return await inner(request, context)

        wrapped = grpc.unary_unary_rpc_method_handler(
            checked, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)
        self._checked[details.method] = (handler, wrapped)
        return wrapped


# -- API keys -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Client:
    client_id: str
    roles: frozenset[str]
    #: this client's own call rate and burst (None: the gateway's defaults)
    rate_per_s: float | None = None
    burst: int | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key(client_id: str) -> tuple[str, str]:
    """(the key to hand to the client, the sha256 to store)."""
    secret = secrets.token_urlsafe(32)
    return f"{client_id}.{secret}", _digest(secret)


class CredentialStore:
    """Per-client API keys, stored hashed: {"clients": [{"id", "roles", "key_sha256"}]}.

    A client entry may carry its own limits: ``"rate_limit_per_s"`` and ``"rate_burst"``
    (a bank's backend serving thousands of customers needs more than an analyst).
    """

    def __init__(self, entries: Mapping[str, tuple[str, frozenset[str]]],
                 limits: Mapping[str, tuple[float | None, int | None]] | None = None) -> None:
        self._entries = dict(entries)
        self._limits = dict(limits or {})

    @classmethod
    def load(cls, path: Path) -> CredentialStore:
        try:
            data = json.loads(Path(path).read_text())
            entries, limits = {}, {}
            for c in data["clients"]:
                roles = frozenset(c["roles"])
                unknown = roles - set(ROLES)
                if unknown:
                    raise ConfigError(f"unknown role {sorted(unknown)[0]!r} in {path}")
                entries[str(c["id"])] = (str(c["key_sha256"]), roles)
                rate, burst = c.get("rate_limit_per_s"), c.get("rate_burst")
                if rate is not None and float(rate) < 0 or burst is not None and int(burst) < 1:
                    raise ConfigError(f"bad rate limit of client {c['id']!r} in {path}")
                limits[str(c["id"])] = (None if rate is None else float(rate),
                                        None if burst is None else int(burst))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read client credentials {path}: {exc}") from None
        return cls(entries, limits)

    def authenticate(self, header: str | None) -> Client:
        if not header:
            raise UnauthenticatedError("missing credentials: send 'authorization: Bearer <key>'")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or "." not in key:
            raise UnauthenticatedError("malformed credentials")
        client_id, _, secret = key.partition(".")
        entry = self._entries.get(client_id)
        # Compare against a dummy digest for unknown ids too, so timing tells nothing.
        expected = entry[0] if entry else "0" * 64
        if not hmac.compare_digest(_digest(secret), expected) or entry is None:
            raise UnauthenticatedError("invalid credentials")
        rate, burst = self._limits.get(client_id, (None, None))
        return Client(client_id, entry[1], rate, burst)


def generate_dev_credentials(folder: Path) -> tuple[Path, dict[str, Path]]:
    """One API key per role in ``folder``/<role>.key (0600) and the hashed credentials file."""
    folder = Path(folder)
    store_path = folder / "clients.json"
    key_paths = {role: folder / f"{role}.key" for role in ROLES}
    if store_path.exists() and all(p.exists() for p in key_paths.values()):
        return store_path, key_paths
    clients = []
    for role in ROLES:
        key, digest = new_api_key(f"dev-{role}")
        _write_private(key_paths[role], (key + "\n").encode())
        clients.append({"id": f"dev-{role}", "roles": [role], "key_sha256": digest})
    _write_private(store_path, json.dumps({"clients": clients}, indent=2).encode())
    return store_path, key_paths


# -- console users --------------------------------------------------------------------------------
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> dict[str, object]:
    """An scrypt record of ``password`` (what a users file stores; never the password)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return {"scrypt": digest.hex(), "salt": salt.hex(), **_SCRYPT}


def verify_password(password: str, record: Mapping[str, object]) -> bool:
    try:
        salt = bytes.fromhex(str(record["salt"]))
        params = {k: int(record[k]) for k in ("n", "r", "p")}  # type: ignore[call-overload]  # JSON numbers; a bad record fails below
        expected = bytes.fromhex(str(record["scrypt"]))
        digest = hashlib.scrypt(password.encode()[:1024], salt=salt, dklen=len(expected),
                                maxmem=64 * 1024 * 1024, **params)
    except (KeyError, ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def generate_console_user(folder: Path, name: str = "analyst") -> tuple[Path, Path]:
    """One console user with a random password: ``console-users.json`` (scrypt hashes) and
    ``console-password`` (0600, for the person at this machine). Kept across restarts."""
    folder = Path(folder)
    users_path, password_path = folder / "console-users.json", folder / "console-password"
    if users_path.exists() and password_path.exists():
        return users_path, password_path
    password = secrets.token_urlsafe(18)
    _write_private(password_path, (password + "\n").encode())
    _write_private(users_path, json.dumps(
        {"users": [{"name": name, **hash_password(password)}]}, indent=2).encode())
    return users_path, password_path


def require_role(client: Client | None, *roles: str) -> None:
    """PermissionDeniedError unless ``client`` has one of ``roles`` (None = auth is off)."""
    if client is None:
        return
    if not client.roles & set(roles):
        raise PermissionDeniedError(f"this call needs the role {' or '.join(roles)}")
