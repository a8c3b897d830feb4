"""JSON logs carry ids and never customer identifiers."""

from __future__ import annotations

import json
import logging

from finadvisor.shared.errors import InvalidInputError, SessionNotFoundError, status_for
from finadvisor.shared.logging import (
    JsonFormatter,
    redact,
    request_id_var,
    session_id_var,
    session_ref,
)


def test_redact_identifiers() -> None:
    text = ("mail jane.doe@example.com, IBAN DE89 3704 0044 0532 0130 00, card "
            "4111 1111 1111 1111, phone +44 20 7946 0958, account 12345678")
    out = redact(text)
    for secret in ("jane.doe@example.com", "DE89", "4111", "7946", "12345678"):
        assert secret not in out
    assert "[email]" in out and "[iban]" in out


def test_text_without_digits_or_at_signs_is_returned_as_it_is() -> None:
    # the fast path: every identifier pattern needs a digit or an "@"
    plain = "Jane Doe works at the bank, phone her on Monday (no figures here)"
    assert redact(plain) is plain
    # digits of other scripts are digits too
    assert "[card]" in redact("card ٤١١١ ١١١١ 1111 1111")


def test_json_line_has_ids() -> None:
    fmt = JsonFormatter("state")
    t1, t2 = request_id_var.set("req-1"), session_id_var.set("s-1")
    try:
        rec = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("a@b.io",), None)
        entry = json.loads(fmt.format(rec))
    finally:
        request_id_var.reset(t1)
        session_id_var.reset(t2)
    # Session ids only as a keyed hash (an erased session's id must not stay in the logs).
    assert entry["request_id"] == "req-1" and entry["session_id"] == session_ref("s-1")
    assert "s-1" not in json.dumps(entry).replace(session_ref("s-1"), "")
    assert entry["service"] == "state" and "a@b.io" not in entry["msg"]


def test_status_table() -> None:
    import grpc

    assert status_for(InvalidInputError("bad image"))[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert status_for(SessionNotFoundError("no such session"))[0] == grpc.StatusCode.NOT_FOUND
    code, msg = status_for(RuntimeError("customer 4111 1111 1111 1111"))
    assert code == grpc.StatusCode.INTERNAL and "4111" not in msg
