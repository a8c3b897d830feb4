"""The console's JSON API without a gateway: input checks happen before any RPC, an absent
gateway is a JSON 503, and the page ships no external reference. Real aiohttp server on
loopback; the gateway address points at a port nobody listens on."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from finadvisor.services.console.app import (
    STATIC_DIR,
    ApiError,
    check_attachment,
    create_app,
    degraded_from_info,
    sniff_mime,
)
from finadvisor.services.console.config import ConsoleSettings
from finadvisor.shared.redis_local import free_port

SID = "abc123"


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(buf, format="JPEG")
    return buf.getvalue()


def _wav() -> bytes:
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 160)
    return buf.getvalue()


@pytest.fixture()
async def client() -> AsyncIterator[TestClient]:
    settings = ConsoleSettings(insecure=True, gateway_addr=f"127.0.0.1:{free_port()}",
                               call_timeout_s=2.0, max_image_bytes=4096, max_audio_bytes=4096,
                               max_text_chars=50)
    async with TestClient(TestServer(create_app(settings))) as c:
        yield c


def _form(**parts: tuple[bytes, str, str] | str) -> aiohttp.FormData:
    # Multipart as the page sends it (the console refuses url-encoded forms: login.py).
    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in parts.items():
        if isinstance(value, tuple):
            data, ctype, filename = value
            form.add_field(name, data, content_type=ctype, filename=filename)
        else:
            form.add_field(name, value)
    return form


async def _error(resp: aiohttp.ClientResponse) -> tuple[int, str, str]:
    body = await resp.json()
    return resp.status, body["error"]["code"], body["error"]["message"]


# -- attachments ------------------------------------------------------------------------------
def test_sniffing_knows_each_accepted_format() -> None:
    assert sniff_mime(_png()) == "image/png"
    assert sniff_mime(_jpeg()) == "image/jpeg"
    assert sniff_mime(_wav()) == "audio/wav"
    assert sniff_mime(b"fLaC\x00\x00") == "audio/flac"
    assert sniff_mime(b"OggS\x00\x02") == "audio/ogg"
    assert sniff_mime(b"\x1a\x45\xdf\xa3\x9f") == "audio/webm"
    assert sniff_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_mime(b"%PDF-1.7") is None


def test_attachment_checks_claim_bytes_and_size() -> None:
    allowed = frozenset({"image/png", "image/jpeg"})
    assert check_attachment("image", _png(), "image/png", allowed, 4096) == "image/png"
    # A browser that cannot tell sends octet-stream; the bytes decide.
    assert check_attachment("image", _jpeg(), "application/octet-stream", allowed,
                            4096) == "image/jpeg"
    assert check_attachment("image", _jpeg(), "image/jpg", allowed, 4096) == "image/jpeg"
    with pytest.raises(ApiError) as err:
        check_attachment("image", _jpeg(), "image/png", allowed, 4096)
    assert err.value.status == 415 and "image/jpeg" in err.value.message
    with pytest.raises(ApiError) as err:
        check_attachment("image", b"%PDF-1.7 ...", "application/pdf", allowed, 4096)
    assert err.value.status == 415
    with pytest.raises(ApiError) as err:
        check_attachment("image", _png((64, 64)) + b"\x00" * 5000, "image/png", allowed, 4096)
    assert err.value.status == 413
    audio = frozenset({"audio/webm", "audio/wav"})
    assert check_attachment("audio", b"\x1a\x45\xdf\xa3rest", "audio/webm;codecs=opus", audio,
                            4096) == "audio/webm"


async def test_turn_uploads_are_checked_before_any_gateway_call(client: TestClient) -> None:
    url = f"/api/sessions/{SID}/turns"
    cases = [
        (_form(text="hi", image=(_jpeg(), "image/png", "p.png")), 415, "image/jpeg"),
        (_form(text="hi", image=(b"just text", "image/png", "p.png")), 415, "bytes"),
        (_form(text="hi", image=(_png() + b"\x00" * 5000, "image/png", "p.png")), 413,
         "4096"),
        (_form(text="hi", audio=(_png(), "image/png", "n.png")), 415, "audio"),
        (_form(text="x" * 51), 400, "50 characters"),
        (_form(text="   "), 400, "needs text"),
        (_form(text="hi", n_best="9"), 400, "n_best"),
        (_form(text="hi", request_id="bad id!"), 400, "request_id"),
        (_form(text="hi", colour="red"), 400, "colour"),
    ]
    for form, status, words in cases:
        resp = await client.post(url, data=form)
        got = await _error(resp)
        assert got[0] == status and words in got[2], got
    resp = await client.post("/api/sessions/bad%20id/turns", data=_form(text="hi"))
    assert (await _error(resp))[0] == 400
    resp = await client.post(url, json={"text": "hi", "image": "base64?"})
    status, _, message = await _error(resp)
    assert status == 400 and "multipart" in message


async def test_a_valid_turn_reaches_for_the_gateway_and_maps_unavailable(
        client: TestClient) -> None:
    # Everything valid: the console calls the gateway, which is not there -> 503 UNAVAILABLE.
    resp = await client.post(f"/api/sessions/{SID}/turns", data=_form(
        text="here is my payslip", image=(_png(), "image/png", "payslip.png"),
        audio=(_wav(), "audio/x-wav", "note.wav")))
    status, code, message = await _error(resp)
    assert (status, code) == (503, "UNAVAILABLE")
    assert "gateway" in message


async def test_no_gateway_is_a_json_503_and_an_unhealthy_probe(client: TestClient) -> None:
    resp = await client.get("/api/info")
    assert (await _error(resp))[:2] == (503, "UNAVAILABLE")
    resp = await client.get("/healthz")
    assert resp.status == 503 and (await resp.json())["gateway"] == "NOT_SERVING"
    resp = await client.get("/api/sessions?limit=9999")
    assert (await _error(resp))[0] == 400


async def test_what_if_fields_are_typed_before_the_call(client: TestClient) -> None:
    resp = await client.post("/api/credit", json={"applicant": {"age": "thirty"}})
    status, _, message = await _error(resp)
    assert status == 400 and "age" in message
    resp = await client.post("/api/credit", json={"applicant": {"salary": "1"}})
    status, _, message = await _error(resp)
    assert status == 400 and "salary" in message
    resp = await client.post("/api/credit", data=b"[1, 2]",
                             headers={"Content-Type": "application/json"})
    assert (await _error(resp))[0] == 400


def test_degraded_lists_silent_backends_and_missing_capabilities() -> None:
    info = {"gateway": {"capabilities": []},
            "services": {"state": {}, "generator": {},
                         "vision": {"capabilities": [{"name": "ocr", "available": False},
                                                     {"name": "cnn", "available": True}]}}}
    assert degraded_from_info(info) == ["voice", "ocr"]


# -- the page ---------------------------------------------------------------------------------
async def test_page_and_assets_are_served_with_a_same_origin_policy(client: TestClient) -> None:
    resp = await client.get("/")
    html = await resp.text()
    assert resp.status == 200 and 'id="composer-text"' in html
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    for asset in ("console.js", "console.css", "favicon.svg"):
        resp = await client.get(f"/static/{asset}")
        assert resp.status == 200, asset


async def test_every_console_module_is_served_as_javascript(client: TestClient) -> None:
    """console.js is an ES module: each module it reaches must be served, and with a JavaScript
    type (the page sends nosniff, so a browser refuses a module of any other type)."""
    seen: set[str] = set()
    todo = ["console.js"]
    while todo:
        name = todo.pop()
        seen.add(name)
        resp = await client.get(f"/static/{name}")
        assert resp.status == 200, name
        assert resp.content_type in ("text/javascript", "application/javascript"), name
        for found in re.findall(r'from "\./([\w-]+\.js)";', await resp.text()):
            if found not in seen:
                todo.append(found)
    assert len(seen) > 1
    assert seen == _console_modules()


def _console_modules() -> set[str]:
    return {p.name for p in Path(STATIC_DIR).glob("console*.js")}


def test_page_references_nothing_outside_the_package() -> None:
    """No CDN, no web font, no remote script: a bank's machine may be offline."""
    allowed = {"http://www.w3.org/2000/svg"}
    for path in sorted(Path(STATIC_DIR).iterdir()):
        text = path.read_text()
        urls = set(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}[^\s\"')]*", text))
        urls = {u for u in urls if not any(u.startswith(a) for a in allowed)}
        assert not urls, (path.name, urls)
        assert "@import" not in text and "@font-face" not in text, path.name
