"""The console's login and its guards against cross-site requests and rebound host names.
Real aiohttp server on loopback; the gateway address points at a port nobody listens on, so a
request that passes the guards ends as the console's own 503 (no gateway), one that does not
is refused before any RPC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from finadvisor.services.console.app import create_app
from finadvisor.services.console.config import ConsoleSettings
from finadvisor.services.console.login import COOKIE
from finadvisor.shared.errors import ConfigError
from finadvisor.shared.redis_local import free_port
from finadvisor.shared.security import generate_console_user

KEY = "dev-analyst.the-console-key"


def _settings(tmp_path: Path, **extra: object) -> ConsoleSettings:
    users, _ = generate_console_user(tmp_path / "credentials")
    key_file = tmp_path / "analyst.key"
    key_file.write_text(KEY + "\n")
    return ConsoleSettings(insecure=True, gateway_addr=f"127.0.0.1:{free_port()}",
                           call_timeout_s=1.0, users_file=users, api_key_file=key_file,
                           **extra)  # type: ignore[arg-type]  # each test passes fields of the right type


def _password(tmp_path: Path) -> str:
    return (tmp_path / "credentials" / "console-password").read_text().strip()


@pytest.fixture()
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(_settings(tmp_path)))) as c:
        yield c


def _origin(c: TestClient) -> dict[str, str]:
    return {"Origin": f"http://127.0.0.1:{c.port}"}


async def _login(c: TestClient, tmp_path: Path) -> None:
    resp = await c.post("/api/login", json={"user": "analyst", "password": _password(tmp_path)},
                        headers=_origin(c))
    assert resp.status == 200, await resp.text()


async def test_the_api_needs_a_login(client: TestClient, tmp_path: Path) -> None:
    for method, path in (("GET", "/api/sessions"), ("GET", "/api/info"),
                         ("POST", "/api/sessions"), ("POST", "/api/credit"),
                         ("DELETE", "/api/sessions/abc?erase=1"),
                         ("POST", "/api/sessions/abc/turns")):
        resp = await client.request(method, path, json={}, headers=_origin(client))
        assert resp.status == 401, (method, path, resp.status)
        assert (await resp.json())["error"]["code"] == "UNAUTHENTICATED"
    assert (await client.get("/api/me")).status == 401
    # The page itself and the health check need no login.
    assert (await client.get("/")).status == 200
    wrong = await client.post("/api/login", json={"user": "analyst", "password": "guess"},
                              headers=_origin(client))
    assert wrong.status == 401
    assert COOKIE not in wrong.cookies


async def test_login_cookie_is_httponly_and_strict(client: TestClient, tmp_path: Path) -> None:
    resp = await client.post("/api/login", json={"user": "analyst",
                                                 "password": _password(tmp_path)},
                             headers=_origin(client))
    assert resp.status == 200
    morsel = resp.cookies[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert not morsel["secure"]  # plain HTTP here; Secure below, where TLS is on
    assert (await (await client.get("/api/me")).json())["user"] == "analyst"
    # Signed in, the API answers (here: no gateway, so 503 from the console itself).
    assert (await client.get("/api/sessions")).status == 503
    assert (await client.post("/api/sessions", json={}, headers=_origin(client))).status == 503
    # Signed out, the same cookie is worthless.
    assert (await client.post("/api/logout", headers=_origin(client))).status == 200
    assert (await client.get("/api/sessions")).status == 401


async def test_foreign_origin_and_simple_bodies_are_forbidden(client: TestClient,
                                                              tmp_path: Path) -> None:
    await _login(client, tmp_path)
    evil = {"Origin": "http://evil.example"}
    cases = [
        ("/api/sessions", {"json": {}, "headers": evil}),
        ("/api/credit", {"json": {"applicant": {}}, "headers": evil}),
        ("/api/sessions/abc/turns", {"json": {"text": "hi"}, "headers": evil}),
        ("/api/sessions", {"data": '{"customer_id": "x"}',
                           "headers": {**_origin(client), "Content-Type": "text/plain"}}),
        ("/api/sessions/abc/turns", {"data": "text=hi", "headers": {
            **_origin(client), "Content-Type": "application/x-www-form-urlencoded"}}),
        ("/api/credit", {"data": "{}", "headers": {"Content-Type": "text/plain",
                                                    "Sec-Fetch-Site": "cross-site"}}),
        ("/api/sessions", {"json": {}, "headers": {"Origin": "null"}}),
    ]
    for path, kwargs in cases:
        resp = await client.post(path, **kwargs)
        assert resp.status == 403, (path, kwargs, resp.status)
        assert (await resp.json())["error"]["code"] == "FORBIDDEN"
    resp = await client.delete("/api/sessions/abc?erase=1", headers=evil)
    assert resp.status == 403
    # A login form posted from another site is refused too (login CSRF).
    resp = await client.post("/api/login", json={"user": "analyst",
                                                 "password": _password(tmp_path)},
                             headers=evil)
    assert resp.status == 403


async def test_host_header_must_be_a_configured_name(client: TestClient, tmp_path: Path) -> None:
    await _login(client, tmp_path)
    for path in ("/", "/api/sessions", "/static/console.js"):
        resp = await client.get(path, headers={"Host": f"rebound.example:{client.port}"})
        assert resp.status == 403, path
    assert (await client.get("/healthz", headers={"Host": "10.0.0.7:8080"})).status == 503
    assert (await client.get("/api/sessions",
                             headers={"Host": f"localhost:{client.port}"})).status == 503


async def test_analyst_key_and_trusted_proxy_header(tmp_path: Path) -> None:
    settings = _settings(tmp_path, trusted_user_header="X-Forwarded-User",
                         trusted_proxies="127.0.0.1", cookie_secure=True)
    async with TestClient(TestServer(create_app(settings))) as c:
        assert (await c.post("/api/login", json={"key": "dev-analyst.wrong"},
                             headers=_origin(c))).status == 401
        resp = await c.post("/api/login", json={"key": KEY}, headers=_origin(c))
        assert resp.status == 200
        assert resp.cookies[COOKIE]["secure"]  # COOKIE_SECURE: TLS ends at a proxy
        me = await c.get("/api/me", headers={"X-Forwarded-User": "a.smith"},
                         cookies={})
        assert (await me.json())["user"] == "sso:a.smith"
    # The header counts only from the configured proxy.
    settings = _settings(tmp_path, trusted_user_header="X-Forwarded-User",
                         trusted_proxies="10.1.2.3")
    async with TestClient(TestServer(create_app(settings))) as c:
        resp = await c.get("/api/sessions", headers={"X-Forwarded-User": "a.smith"})
        assert resp.status == 401


def test_no_way_to_log_in_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        create_app(ConsoleSettings(insecure=False, tls_dir=None,
                                   gateway_addr="127.0.0.1:1"))
