"""Structured JSON logs with request and session ids, and no customer data.

Ids travel in context variables set by the request-id interceptor, so every log line written
while serving a call carries them without being passed around. Messages are passed through the
redactor, which masks identifiers (account numbers, IBANs, cards, phones, e-mails) should one
slip into a message; the rule of the house stays: never log customer text.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import json
import logging
import re
import sys
import time
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
session_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("session_id", default="")

_PATTERNS = [
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")),
    ("card", re.compile(r"\b(?:\d[ -]?){13,19}\b")),
    ("phone", re.compile(r"(?<![\w.])\+?\d[\d ()-]{7,}\d\b")),
    ("account", re.compile(r"\b\d{8,12}\b")),
]


_LOG_KEY: bytes | None = None


def session_ref(session_id: str) -> str:
    """What logs carry instead of a session id: a keyed hash (``s-`` + 16 hex digits).

    Why: a session's id must not outlive its erasure in the logs. The key comes from
    ``FINADVISOR_LOG_KEY_FILE`` (shared by the services, so one session has one reference
    everywhere; ``finadvisor up`` makes one); without it each process has its own key. An
    operator finds a live session's lines with ``finadvisor.shared.logging.session_ref``.
    """
    global _LOG_KEY
    if _LOG_KEY is None:
        import os
        import secrets

        path = os.environ.get("FINADVISOR_LOG_KEY_FILE", "")
        try:
            _LOG_KEY = open(path, "rb").read().strip() if path else b""  # read once at start-up, closed by refcount
        except OSError:
            _LOG_KEY = b""
        _LOG_KEY = _LOG_KEY or secrets.token_bytes(32)
    import hashlib
    import hmac

    return "s-" + hmac.new(_LOG_KEY, session_id.encode(), hashlib.sha256).hexdigest()[:16]


#: Every pattern above needs a digit or an "@": text without either has nothing to mask.
_MAYBE_IDENTIFIER = re.compile(r"[\d@]")


def redact(text: str) -> str:
    """Mask personal identifiers in free text (used for logs and stored history)."""
    if not _MAYBE_IDENTIFIER.search(text):
        return text
    for name, pattern in _PATTERNS:
        text = pattern.sub(f"[{name}]", text)
    return text


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        rid, sid = request_id_var.get(), session_id_var.get()
        if rid:
            entry["request_id"] = rid
        if sid:
            entry["session_id"] = session_ref(sid)
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def setup_logging(service: str, level: str = "INFO") -> None:
    """Route every log record of the process to stderr as one JSON object a line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The JSON lines carry none of the caller's file and line, thread or process: a record
    # need not look them up (the logging HOWTO's "Optimization" switches).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for noisy in ("asyncio", "urllib3", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel("WARNING")


def log_fields(**fields: Any) -> dict[str, Any]:
    """``logger.info("msg", extra=log_fields(duration_ms=3))``."""
    return {"fields": fields}


class DeferredLines:
    """INFO lines written together a moment after they happen, not on the way of an answer.

    Why: formatting and writing a JSON line took 0.1-0.2 ms of a call's round trip when it
    was done before the answer left (an idle service's first Python work after a call is
    slow). ``add`` keeps the line's time and context (its request and session ids); the lines
    are written by the event loop ``delay_s`` later in one go, at once when ``max_pending``
    are waiting, and at exit. Lines keep their order and their own timestamps.
    """

    def __init__(self, delay_s: float = 0.05, max_pending: int = 1024) -> None:
        self.delay_s = delay_s
        self.max_pending = max_pending
        self._pending: list[tuple[float, contextvars.Context, logging.Logger, str,
                                  dict[str, Any]]] = []
        self._loop: object = None  # the event loop a write is scheduled on

    def add(self, logger: logging.Logger, msg: str, **fields: Any) -> None:
        """``logger.info(msg)`` with ``fields``, a moment from now (call it on an event loop)."""
        self._pending.append((time.time(), contextvars.copy_context(), logger, msg, fields))
        loop = asyncio.get_running_loop()
        if len(self._pending) >= self.max_pending:
            self.write()
        elif self._loop is not loop:  # nothing scheduled here (or on a loop that has closed)
            self._loop = loop
            loop.call_later(self.delay_s, self.write)

    def write(self) -> None:
        """Write every waiting line now."""
        pending, self._pending = self._pending, []
        self._loop = None
        for created, context, logger, msg, fields in pending:
            record = logger.makeRecord(logger.name, logging.INFO, "(deferred)", 0, msg, (), None,
                                       extra=log_fields(**fields))
            record.created, record.msecs = created, (created - int(created)) * 1000
            context.run(logger.handle, record)


#: The services' access lines (``finadvisor.shared.interceptors``).
ACCESS_LOG = DeferredLines()
atexit.register(ACCESS_LOG.write)
