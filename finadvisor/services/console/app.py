"""The risk analyst console: an aiohttp web app that talks to the gateway over gRPC.

Why a JSON API in front of the gateway rather than gRPC-web: the page must work offline on a
bank's machine with no build step and no proxy, so the console translates plain HTTP+JSON to the
gateway's public contract. It adds nothing to the contract: every route is one gateway RPC (export
is two), gRPC status codes become HTTP statuses, and the gateway's own message reaches the page.

Routes (all JSON unless noted; errors are ``{"error": {"code", "message"}}``):

=======  =====================================  ===================================
GET      /                                      the single-page console (static)
GET      /healthz                               console up; gateway SERVING or not
GET      /api/info                              GetInfo + what is degraded now
GET      /api/sessions?limit=                   ListSessions
POST     /api/sessions                          StartSession (JSON body, optional)
GET      /api/sessions/{id}?history_limit=      GetSession
DELETE   /api/sessions/{id}?erase=1             EndSession
GET      /api/sessions/{id}/audit?limit=        GetAuditRecords
GET      /api/sessions/{id}/export              GetSession + GetAuditRecords (download)
POST     /api/sessions/{id}/turns               Converse (multipart or JSON)
POST     /api/credit                            AssessCredit (JSON applicant)
=======  =====================================  ===================================
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from aiohttp import BodyPartReader, web
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from finadvisor.ontology import (
    AUDIO_MIME_TYPES,
    ID_RE,  # the gateway's id shape, checked here so a bad id never costs a round trip
    IMAGE_MIME_TYPES,
    canonical_mime,
    describe,
    sniff_mime,
)
from finadvisor.services.console import login
from finadvisor.services.console.config import ConsoleSettings
from finadvisor.services.console.gateway_client import gateway_channel

log = logging.getLogger("finadvisor.console")
STATIC_DIR = Path(__file__).parent / "static"

SETTINGS = web.AppKey("settings", ConsoleSettings)
CHANNEL = web.AppKey("channel", grpc.aio.Channel)

MAX_JSON_BYTES = 64 * 1024
MAX_FIELD_BYTES = 16 * 1024
MAX_FILENAME_CHARS = 128
MAX_N_BEST = 5

#: gRPC status -> HTTP status. UNAVAILABLE stays 503 (retry later); an unexpected gateway error
#: is 502, so "the console broke" and "the gateway broke" never look alike.
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.INTERNAL: 502,
    grpc.StatusCode.UNKNOWN: 502,
    grpc.StatusCode.DATA_LOSS: 502,
}

# -- attachments ------------------------------------------------------------------------------
#: The accepted image / voice-note types, their aliases, magic bytes and canonical form are the
#: ontology's (the gateway, vision and voice use the same): imported, never copied.
IMAGE_TYPES = frozenset(IMAGE_MIME_TYPES)
AUDIO_TYPES = frozenset(AUDIO_MIME_TYPES)
#: Browsers send this when they cannot tell; the bytes decide then.
UNKNOWN_TYPES = frozenset({"", "application/octet-stream"})


class ApiError(Exception):
    """An error the page shows as is: HTTP status, a stable code and a readable message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def check_attachment(field: str, data: bytes, declared: str,
                     allowed: frozenset[str], max_bytes: int) -> str:
    """Validate one upload; returns the canonical media type to send to the gateway."""
    if not data:
        raise ApiError(400, "INVALID_ARGUMENT", f"{field} is empty")
    if len(data) > max_bytes:
        raise ApiError(413, "TOO_LARGE", f"{field} is larger than {max_bytes} bytes")
    claimed = canonical_mime(declared)
    sniffed = sniff_mime(data)
    kinds = ", ".join(sorted(allowed))
    if claimed not in UNKNOWN_TYPES and claimed not in allowed:
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                       f"{field} type {claimed[:40]!r} is not one of {kinds}")
    if sniffed is None or sniffed not in allowed:
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                       f"{field} bytes are not a {kinds} file")
    if claimed not in UNKNOWN_TYPES and claimed != sniffed:
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                       f"{field} was sent as {claimed} but its bytes are {sniffed}")
    return sniffed


def _safe_filename(name: str | None) -> str:
    """Base name only, bounded; the file name is shown to the analyst, never logged."""
    if not name:
        return ""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:MAX_FILENAME_CHARS]


# -- gRPC plumbing ------------------------------------------------------------------------------
def call_metadata(request: web.Request) -> tuple[tuple[str, str], ...]:
    """Metadata the console attaches to every gateway call: the one place for its credentials.

    Why one place: every route goes through :func:`call`, so per-call credentials or headers
    added here reach every RPC. Today the analyst API key travels on the channel itself
    (:func:`~finadvisor.services.console.gateway_client.gateway_channel` adds it to every call
    with TLS), so nothing per call is needed yet.
    """
    return ()


def gateway_stub(request: web.Request) -> gateway_pb2_grpc.AdvisoryGatewayStub:
    return gateway_pb2_grpc.AdvisoryGatewayStub(request.app[CHANNEL])


def to_json(msg: Message) -> dict[str, Any]:
    """Proto -> JSON with the proto's own field names and every scalar present (the page relies
    on zeros being there: a PD of 0.0 is a value, not an absence)."""
    return MessageToDict(msg, preserving_proto_field_name=True,
                         always_print_fields_with_no_presence=True)


async def call(request: web.Request, rpc: str, msg: Message,
               timeout: float | None = None) -> Any:
    """One gateway RPC with the console's metadata and deadline; errors become ApiError."""
    method: Callable[..., Awaitable[Any]] = getattr(gateway_stub(request), rpc)
    try:
        return await method(msg, timeout=timeout or request.app[SETTINGS].call_timeout_s,
                            metadata=call_metadata(request))
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        status = HTTP_STATUS.get(code, 502)
        message = exc.details() or code.name.lower().replace("_", " ")
        if code == grpc.StatusCode.UNAVAILABLE and "connect" in message.lower():
            message = "the gateway does not answer (is it running?)"
        log.info("gateway %s failed: %s", rpc, code.name)
        raise ApiError(status, code.name, message) from None


def _session_id(request: web.Request) -> str:
    sid = request.match_info["session_id"]
    if not ID_RE.match(sid):
        raise ApiError(400, "INVALID_ARGUMENT", "session id must be 1-128 characters of "
                       "letters, digits and . _ : -")
    return sid


def _int_query(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "INVALID_ARGUMENT", f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise ApiError(400, "INVALID_ARGUMENT", f"{name} must be between {lo} and {hi}")
    return value


def _truthy(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in {"1", "true", "yes", "on"}


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise ApiError(413, "TOO_LARGE", f"JSON body is larger than {MAX_JSON_BYTES} bytes")
    raw = await request.content.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, "TOO_LARGE", f"JSON body is larger than {MAX_JSON_BYTES} bytes")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "INVALID_ARGUMENT", "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_ARGUMENT", "body must be a JSON object")
    return body


def _parse(body: dict[str, Any], msg: Message, what: str) -> Message:
    try:
        return ParseDict(body, msg)
    except (ParseError, TypeError, ValueError) as exc:
        raise ApiError(400, "INVALID_ARGUMENT", f"{what}: {str(exc)[:200]}") from None


# -- routes -------------------------------------------------------------------------------------
async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html",
                            headers={"Cache-Control": "no-cache"})


async def healthz(request: web.Request) -> web.Response:
    """200 when the gateway answers SERVING, else 503 (the console itself is up either way)."""
    stub = health_pb2_grpc.HealthStub(request.app[CHANNEL])
    try:
        resp = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0,
                                metadata=call_metadata(request))
        ok = resp.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.aio.AioRpcError:
        ok = False
    return web.json_response({"console": "ok", "gateway": "SERVING" if ok else "NOT_SERVING"},
                             status=200 if ok else 503)


#: Backend services the gateway fans out to; one missing from GetInfo did not answer.
BACKENDS = ("state", "generator", "vision", "voice")


def degraded_from_info(info: dict[str, Any]) -> list[str]:
    """What is down right now: backends that did not answer, capabilities not available."""
    down: list[str] = []
    services = info.get("services", {}) or {}
    for name in BACKENDS:
        if name not in services:
            down.append(name)
    for svc in [info.get("gateway", {}), *services.values()]:
        for cap in (svc or {}).get("capabilities", []):
            if not cap.get("available", False) and cap.get("name") and cap["name"] not in down:
                down.append(cap["name"])
    return down


async def info(request: web.Request) -> web.Response:
    resp = await call(request, "GetInfo", common_pb2.GetInfoRequest())
    body = to_json(resp)
    body["degraded"] = degraded_from_info(body)
    body["limits"] = {
        "max_image_bytes": request.app[SETTINGS].max_image_bytes,
        "max_audio_bytes": request.app[SETTINGS].max_audio_bytes,
        "max_text_chars": request.app[SETTINGS].max_text_chars,
        "image_types": sorted(IMAGE_TYPES),
        "audio_types": sorted(AUDIO_TYPES),
    }
    body["ontology"] = describe()  # the console's lists (intents, image types, trends ...)
    return web.json_response(body)


async def list_sessions(request: web.Request) -> web.Response:
    limit = _int_query(request, "limit", 50, 1, 500)
    resp = await call(request, "ListSessions", gateway_pb2.ListSessionsRequest(limit=limit))
    return web.json_response(to_json(resp))


async def start_session(request: web.Request) -> web.Response:
    body = await _json_body(request)
    msg = _parse(body, gateway_pb2.StartSessionRequest(), "start session")
    resp = await call(request, "StartSession", msg)
    return web.json_response(to_json(resp), status=201)


async def get_session(request: web.Request) -> web.Response:
    sid = _session_id(request)
    limit = _int_query(request, "history_limit", 0, 0, 10_000)
    resp = await call(request, "GetSession",
                      gateway_pb2.GetSessionRequest(session_id=sid, history_limit=limit))
    return web.json_response(to_json(resp))


async def end_session(request: web.Request) -> web.Response:
    sid = _session_id(request)
    resp = await call(request, "EndSession", gateway_pb2.EndSessionRequest(
        session_id=sid, erase=_truthy(request.query.get("erase", ""))))
    return web.json_response(to_json(resp))


async def audit_records(request: web.Request) -> web.Response:
    sid = _session_id(request)
    limit = _int_query(request, "limit", 100, 1, 1000)
    resp = await call(request, "GetAuditRecords",
                      gateway_pb2.GetAuditRecordsRequest(session_id=sid, limit=limit))
    return web.json_response(to_json(resp))


async def export_session(request: web.Request) -> web.Response:
    """A session and its audit records as one JSON document (a download)."""
    sid = _session_id(request)
    session, audit = await asyncio.gather(
        call(request, "GetSession", gateway_pb2.GetSessionRequest(session_id=sid)),
        call(request, "GetAuditRecords",
             gateway_pb2.GetAuditRecordsRequest(session_id=sid, limit=1000)))
    doc = {
        "format": "finadvisor.console.export/v1",
        "exported_ms": int(time.time() * 1000),
        "session": to_json(session),
        "audit_records": to_json(audit).get("records", []),
    }
    return web.json_response(doc, dumps=lambda o: json.dumps(o, indent=2), headers={
        "Content-Disposition": f'attachment; filename="finadvisor-session-{sid}.json"'})


@dataclass
class TurnInput:
    """The parts of one turn as the page sent them."""

    text: str = ""
    request_id: str = ""
    n_best: int = 0
    assess_credit: bool = False
    image: common_pb2.Attachment | None = None
    audio: common_pb2.Attachment | None = None


async def _read_part(part: BodyPartReader, limit: int, what: str) -> bytes:
    """Read one multipart part, failing as soon as it passes ``limit`` (never buffer more)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await part.read_chunk(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "TOO_LARGE", f"{what} is larger than {limit} bytes")
        chunks.append(chunk)


async def _turn_from_multipart(request: web.Request, s: ConsoleSettings) -> TurnInput:
    turn = TurnInput()
    total = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ApiError(400, "INVALID_ARGUMENT", "nested multipart is not accepted")
        name = part.name or ""
        if name in ("image", "audio"):
            limit = s.max_image_bytes if name == "image" else s.max_audio_bytes
            data = await _read_part(part, limit, name)
            total += len(data)
            if total > s.max_upload_bytes:
                raise ApiError(413, "TOO_LARGE",
                               f"upload is larger than {s.max_upload_bytes} bytes")
            if not data and not part.filename:
                continue  # an empty file input
            declared = part.headers.get("Content-Type", "")
            allowed = IMAGE_TYPES if name == "image" else AUDIO_TYPES
            mime = check_attachment(name, data, declared, allowed, limit)
            att = common_pb2.Attachment(data=data, mime_type=mime,
                                        filename=_safe_filename(part.filename))
            setattr(turn, name, att)
        elif name in ("text", "request_id", "n_best", "assess_credit"):
            raw = await _read_part(part, MAX_FIELD_BYTES, name)
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, "INVALID_ARGUMENT", f"{name} is not UTF-8") from None
            _set_field(turn, name, value)
        else:
            raise ApiError(400, "INVALID_ARGUMENT", f"unknown form field {name[:40]!r}")
    return turn


def _set_field(turn: TurnInput, name: str, value: Any) -> None:
    if name == "text":
        turn.text = str(value)
    elif name == "request_id":
        turn.request_id = str(value).strip()
    elif name == "n_best":
        try:
            turn.n_best = int(value or 0)
        except (TypeError, ValueError):
            raise ApiError(400, "INVALID_ARGUMENT", "n_best must be an integer") from None
    elif name == "assess_credit":
        turn.assess_credit = _truthy(value)


async def converse(request: web.Request) -> web.Response:
    s = request.app[SETTINGS]
    sid = _session_id(request)
    if request.content_type.startswith("multipart/"):
        turn = await _turn_from_multipart(request, s)
    elif request.content_type == "application/x-www-form-urlencoded":
        if (request.content_length or 0) > MAX_JSON_BYTES:
            raise ApiError(413, "TOO_LARGE", f"form is larger than {MAX_JSON_BYTES} bytes")
        turn = TurnInput()
        for name, value in (await request.post()).items():
            if name not in ("text", "request_id", "n_best", "assess_credit"):
                raise ApiError(400, "INVALID_ARGUMENT", f"unknown form field {name[:40]!r}")
            _set_field(turn, name, value)
    else:
        turn = TurnInput()
        body = await _json_body(request)
        for name in ("text", "request_id", "n_best", "assess_credit"):
            if name in body:
                _set_field(turn, name, body[name])
        extra = set(body) - {"text", "request_id", "n_best", "assess_credit"}
        if extra:
            raise ApiError(400, "INVALID_ARGUMENT",
                           f"unknown field {sorted(extra)[0][:40]!r} (attachments need "
                           "multipart/form-data)")
    if len(turn.text) > s.max_text_chars:
        raise ApiError(400, "INVALID_ARGUMENT", f"text is longer than {s.max_text_chars} "
                       "characters")
    if not turn.text.strip() and turn.image is None and turn.audio is None:
        raise ApiError(400, "INVALID_ARGUMENT", "a turn needs text, an image or a voice note")
    if not 0 <= turn.n_best <= MAX_N_BEST:
        raise ApiError(400, "INVALID_ARGUMENT", f"n_best must be between 0 and {MAX_N_BEST}")
    # The page sends its own id so a retried upload stays one turn (the gateway is idempotent).
    request_id = turn.request_id or uuid.uuid4().hex
    if not ID_RE.match(request_id):
        raise ApiError(400, "INVALID_ARGUMENT", "request_id must be 1-128 characters of "
                       "letters, digits and . _ : -")
    msg = gateway_pb2.ConverseRequest(session_id=sid, request_id=request_id, text=turn.text,
                                      n_best=turn.n_best, assess_credit=turn.assess_credit)
    if turn.image is not None:
        msg.image.CopyFrom(turn.image)
    if turn.audio is not None:
        msg.audio.CopyFrom(turn.audio)
    resp = await call(request, "Converse", msg)
    body = to_json(resp)
    # The page shows file names; the gateway keeps none, so the console echoes what it sent.
    body["attachments"] = {k: {"filename": a.filename, "mime_type": a.mime_type,
                               "bytes": len(a.data)}
                           for k, a in (("image", turn.image), ("audio", turn.audio))
                           if a is not None}
    return web.json_response(body)


#: Applicant fields the what-if form may send (the rest of the proto is rejected by ParseDict).
APPLICANT_INT_FIELDS = ("loan_term_months", "age", "dependents")


async def assess_credit(request: web.Request) -> web.Response:
    body = await _json_body(request)
    applicant = body.get("applicant", body)
    if not isinstance(applicant, dict):
        raise ApiError(400, "INVALID_ARGUMENT", "applicant must be a JSON object")
    # The form sends every box; an empty box means "unknown", which the proto spells "unset".
    cleaned = {k: v for k, v in applicant.items() if v not in ("", None)}
    for key in APPLICANT_INT_FIELDS:
        if key in cleaned:
            try:
                cleaned[key] = int(str(cleaned[key]).strip())
            except ValueError:
                raise ApiError(400, "INVALID_ARGUMENT", f"{key} must be a whole number") from None
    if "employment_years" in cleaned:
        try:
            cleaned["employment_years"] = float(str(cleaned["employment_years"]).strip())
        except ValueError:
            raise ApiError(400, "INVALID_ARGUMENT", "employment_years must be a number") from None
    msg = _parse(cleaned, gateway_pb2.Applicant(), "applicant")
    resp = await call(request, "AssessCredit", gateway_pb2.AssessCreditRequest(applicant=msg))
    return web.json_response(to_json(resp))


# -- app ----------------------------------------------------------------------------------------
@web.middleware
async def api_errors(request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                     ) -> web.StreamResponse:
    """Every /api error is JSON the page can show; nothing internal leaks."""
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response({"error": {"code": exc.code, "message": exc.message}},
                                 status=exc.status)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        return web.json_response(
            {"error": {"code": exc.reason.upper().replace(" ", "_"), "message": exc.text or
                       exc.reason}}, status=exc.status)
    except Exception:
        log.exception("console route %s failed", request.path)
        return web.json_response({"error": {"code": "INTERNAL", "message": "console error"}},
                                 status=500)


@web.middleware
async def security_headers(request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                           ) -> web.StreamResponse:
    """Same-origin everything: the page loads nothing from elsewhere, so say so."""
    resp = await handler(request)
    resp.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    return resp


def create_app(settings: ConsoleSettings) -> web.Application:
    """The console app; the gateway channel opens with the app and closes with it."""
    app = web.Application(client_max_size=settings.max_upload_bytes,
                          middlewares=[security_headers, login.guard, api_errors])
    app[SETTINGS] = settings
    login.install(app, settings)  # sign-in routes; the guard checks host, login and origin

    async def channel_ctx(app: web.Application):  # type: ignore[no-untyped-def]  # an aiohttp cleanup context (async generator)
        app[CHANNEL] = gateway_channel(settings)
        yield
        await app[CHANNEL].close()

    app.cleanup_ctx.append(channel_ctx)
    r = app.router
    r.add_get("/", index)
    r.add_get("/healthz", healthz)
    r.add_get("/api/info", info)
    r.add_get("/api/sessions", list_sessions)
    r.add_post("/api/sessions", start_session)
    r.add_get("/api/sessions/{session_id}", get_session)
    r.add_delete("/api/sessions/{session_id}", end_session)
    r.add_get("/api/sessions/{session_id}/audit", audit_records)
    r.add_get("/api/sessions/{session_id}/export", export_session)
    r.add_post("/api/sessions/{session_id}/turns", converse)
    r.add_post("/api/credit", assess_credit)
    r.add_static("/static/", STATIC_DIR, append_version=False)
    return app


@web.middleware
async def _count_requests(request: web.Request, handler):  # type: ignore[no-untyped-def]  # aiohttp middleware signature
    """Prometheus count of requests by route template (never the path: it holds session ids)."""
    from finadvisor.shared import metrics

    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.HTTP_REQUESTS.labels("console", name, str(status)).inc()


async def serve(settings: ConsoleSettings) -> None:
    """Serve until SIGTERM/SIGINT."""
    import signal

    from finadvisor.shared import metrics

    metrics.serve_metrics(settings.bind_metrics_port(), settings.host)
    app = create_app(settings)
    app.middlewares.append(_count_requests)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.bind_port())
    await site.start()
    log.info("listening", extra={"fields": {"port": settings.bind_port()}})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
