"""Who may use the console, and from where: analyst login, CSRF and DNS-rebinding guards.

Why here and not at the gateway: the gateway authenticates the console (its analyst API key);
the console must in turn authenticate the person at the browser, or anyone who can reach its
port (or get a browser there: a malicious page, a rebound DNS name) acts as an analyst.

- **Login.** An analyst signs in with a user and password from ``FINADVISOR_CONSOLE_USERS_FILE``
  (scrypt hashes; ``finadvisor up`` makes one and prints where the password is) or with the
  console's analyst API key. Behind a bank's SSO proxy, ``TRUSTED_USER_HEADER`` names the header
  that proxy sets; it counts only on connections from ``TRUSTED_PROXIES``.
- **The login cookie** is an HMAC-signed token (user, expiry, nonce): ``HttpOnly``,
  ``SameSite=Strict``, ``Secure`` when the request came over TLS or ``COOKIE_SECURE`` is set
  (a TLS proxy in front). Sign-out revokes its nonce in this process.
- **State-changing requests** (POST, PUT, PATCH, DELETE) must come from the page itself: an
  ``Origin`` (or ``Sec-Fetch-Site``) naming this host when the browser sends one, and a body
  of ``application/json`` or ``multipart/form-data`` only (a cross-site ``text/plain`` or
  url-encoded form is refused) -> 403.
- **Host** must be one of ``ALLOWED_HOSTS`` (a rebound DNS name reaches our port with its own
  name) -> 403; ``/healthz`` is exempt, probes dial the pod's address.
- API routes without a login -> 401. Without any way to log in (no users file, no key, no
  proxy header) the console refuses to start, unless ``FINADVISOR_INSECURE=1`` (login off, with
  a warning; the Origin/Host/content-type guards stay on).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from finadvisor.services.console.config import ConsoleSettings
from finadvisor.shared.errors import ConfigError
from finadvisor.shared.security import verify_password

log = logging.getLogger("finadvisor.console.login")

COOKIE = "fa_console"
#: Where a request carries its signed-in user (a typed key where aiohttp has them).
USER_KEY: Any = (web.RequestKey("console_user", str) if hasattr(web, "RequestKey")
                 else "console_user")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BODY_TYPES = frozenset({"application/json", "multipart/form-data"})
OPEN_PATHS = frozenset({"/", "/healthz", "/favicon.ico", "/api/login", "/api/me"})
MAX_USER_CHARS = 128
#: failed logins per client address within the window before 429
MAX_FAILURES, FAILURE_WINDOW_S = 10, 300.0


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    """Checks credentials and issues/verifies the signed login cookie."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.users: dict[str, dict[str, object]] = {}
        if settings.users_file is not None:
            try:
                data = json.loads(Path(settings.users_file).read_text())
                self.users = {str(u["name"]): u for u in data["users"]}
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"cannot read console users {settings.users_file}: "
                                  f"{exc}") from None
        self.api_key = ""
        if settings.api_key_file is not None and Path(settings.api_key_file).is_file():
            self.api_key = Path(settings.api_key_file).read_text().strip()
        if settings.session_key_file is not None:
            self.signing_key = Path(settings.session_key_file).read_bytes().strip()
            if len(self.signing_key) < 16:
                raise ConfigError("FINADVISOR_CONSOLE_SESSION_KEY_FILE holds under 16 bytes")
        elif self.api_key:
            # Replicas share the console's API key, so they share cookies without a new secret.
            self.signing_key = hashlib.sha256(b"finadvisor console login\0" +
                                              self.api_key.encode()).digest()
        else:
            self.signing_key = secrets.token_bytes(32)
        self.revoked: set[str] = set()
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self.enabled = bool(self.users or self.api_key or settings.trusted_user_header)
        if not self.enabled:
            if not settings.insecure:
                raise ConfigError("the console needs a login: set FINADVISOR_CONSOLE_USERS_FILE, "
                                  "FINADVISOR_CONSOLE_API_KEY_FILE or "
                                  "FINADVISOR_CONSOLE_TRUSTED_USER_HEADER")
            log.warning("console login is OFF (FINADVISOR_INSECURE=1 and no credentials)")

    # -- credentials ------------------------------------------------------------------------
    def check(self, user: str, password: str, key: str) -> str | None:
        """The signed-in user's name, or None."""
        if key:
            if self.api_key and hmac.compare_digest(key.encode(), self.api_key.encode()):
                return "api-key:" + self.api_key.partition(".")[0]
            return None
        record = self.users.get(user)
        # Verify against a dummy record for unknown users too: timing tells nothing.
        ok = verify_password(password, record or _DUMMY)
        return user if ok and record is not None else None

    def throttled(self, remote: str) -> bool:
        q, now = self.failures[remote], time.monotonic()
        while q and q[0] < now - FAILURE_WINDOW_S:
            q.popleft()
        return len(q) >= MAX_FAILURES

    def failed(self, remote: str) -> None:
        self.failures[remote].append(time.monotonic())
        if len(self.failures) > 10_000:  # bounded: drop the oldest address
            self.failures.pop(next(iter(self.failures)))

    # -- the cookie -------------------------------------------------------------------------
    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.signing_key, body.encode(), hashlib.sha256).digest())

    def issue(self, user: str) -> str:
        claims = {"u": user, "exp": int(time.time()) + self.settings.login_ttl_s,
                  "n": secrets.token_urlsafe(12)}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str) -> tuple[str, str] | None:
        """(user, nonce) of a valid, unexpired, unrevoked token, else None."""
        body, _, sig = token.partition(".")
        if not body or not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            claims = json.loads(_unb64(body))
            user, exp, nonce = str(claims["u"]), int(claims["exp"]), str(claims["n"])
        except (ValueError, KeyError, TypeError):
            return None
        if exp < time.time() or nonce in self.revoked:
            return None
        return user, nonce

    def user_of(self, request: web.Request) -> str | None:
        s = self.settings
        if s.trusted_user_header and request.remote in s.proxy_addresses:
            header = request.headers.get(s.trusted_user_header, "").strip()
            if header:
                return "sso:" + header[:MAX_USER_CHARS]
        token = request.cookies.get(COOKIE, "")
        found = self.verify(token) if token else None
        return found[0] if found else None


_DUMMY = {"scrypt": "00" * 32, "salt": "00" * 16, "n": 2 ** 14, "r": 8, "p": 1}
AUTH = web.AppKey("authenticator", Authenticator)


def _host_name(host: str) -> str:
    """``example.org:8080`` -> ``example.org``; ``[::1]:8080`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _from_this_page(request: web.Request, settings: ConsoleSettings) -> str | None:
    """Why a state-changing request is refused, or None when it comes from the page."""
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.netloc.lower() != request.host.lower() or \
                _host_name(parts.netloc) not in settings.host_names:
            return "requests must come from the console's own page (Origin)"
    else:
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            return "requests must come from the console's own page (Sec-Fetch-Site)"
    if request.body_exists and request.content_type not in BODY_TYPES:
        return "the body must be application/json or multipart/form-data"
    return None


def secure_request(request: web.Request, settings: ConsoleSettings) -> bool:
    if settings.cookie_secure or request.secure:
        return True
    return (request.remote in settings.proxy_addresses
            and request.headers.get("X-Forwarded-Proto", "").lower() == "https")


@web.middleware
async def guard(request: web.Request,
                handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                ) -> web.StreamResponse:
    """Host, then login for the API, then the page-origin checks of state-changing requests."""
    auth = request.app[AUTH]
    settings = auth.settings
    if request.path != "/healthz" and _host_name(request.host) not in settings.host_names:
        return _error(403, "FORBIDDEN_HOST", "this host name is not served here")
    if auth.enabled and request.path.startswith("/api/") and request.path not in OPEN_PATHS:
        user = auth.user_of(request)
        if user is None:
            return _error(401, "UNAUTHENTICATED", "sign in first")
        request[USER_KEY] = user
    if request.method not in SAFE_METHODS:
        why = _from_this_page(request, settings)
        if why is not None:
            log.warning("console request refused", extra={"fields": {
                "path": request.match_info.route.resource.canonical
                if request.match_info.route.resource is not None else "unmatched"}})
            return _error(403, "FORBIDDEN", why)
    return await handler(request)


async def login(request: web.Request) -> web.Response:
    auth = request.app[AUTH]
    remote = request.remote or "?"
    if auth.throttled(remote):
        return _error(429, "RESOURCE_EXHAUSTED", "too many failed sign-ins; wait a few minutes")
    try:
        body = json.loads(await request.content.read(4096) or b"{}")
        user, password, key = (str(body.get(k, ""))[:1024] for k in ("user", "password", "key"))
    except (ValueError, AttributeError, UnicodeDecodeError):
        return _error(400, "INVALID_ARGUMENT", "send {user, password} or {key} as JSON")
    who = auth.check(user[:MAX_USER_CHARS], password, key) if auth.enabled else "anonymous"
    if who is None:
        auth.failed(remote)
        log.warning("console sign-in failed")
        return _error(401, "UNAUTHENTICATED", "wrong user, password or key")
    log.info("console sign-in", extra={"fields": {"user": who}})
    resp = web.json_response({"user": who})
    resp.set_cookie(COOKIE, auth.issue(who), max_age=auth.settings.login_ttl_s, path="/",
                    httponly=True, samesite="Strict",
                    secure=secure_request(request, auth.settings))
    return resp


async def logout(request: web.Request) -> web.Response:
    auth = request.app[AUTH]
    found = auth.verify(request.cookies.get(COOKIE, ""))
    if found is not None:
        auth.revoked.add(found[1])
    resp = web.json_response({"user": None})
    resp.del_cookie(COOKIE, path="/")
    return resp


async def me(request: web.Request) -> web.Response:
    auth = request.app[AUTH]
    if not auth.enabled:
        return web.json_response({"user": "anonymous", "login": False})
    user = auth.user_of(request)
    if user is None:
        return _error(401, "UNAUTHENTICATED", "sign in first")
    return web.json_response({"user": user, "login": True})


def install(app: web.Application, settings: ConsoleSettings) -> None:
    """The authenticator and the sign-in routes of ``app`` (whose middlewares list guard)."""
    app[AUTH] = Authenticator(settings)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
