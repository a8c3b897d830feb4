"""Input validation of the public API: sizes, mime types, ids. Errors name the field."""

from __future__ import annotations

# The id pattern and the accepted media types are the ontology's (the vision and voice services
# accept the same ones): imported, never copied.
from finadvisor.ontology import AUDIO_MIME, ID_RE, ID_RULE, IMAGE_MIME
from finadvisor.shared.errors import InvalidInputError

__all__ = ["AUDIO_MIME", "ID_RE", "IMAGE_MIME", "check_attachment", "check_id", "check_profile",
           "check_text"]
#: Bank profile attributes the credit model reads (see risk/schema.py for their values).
PROFILE_KEYS = frozenset({"checking_status", "credit_history", "savings_status",
                          "existing_credits", "other_instalment_plans", "guarantor",
                          "property"})
MAX_PROFILE_ENTRIES = 32
MAX_PROFILE_VALUE = 128


def check_id(value: str, field: str) -> None:
    if not value:
        raise InvalidInputError(f"{field} is required")
    if not ID_RE.match(value):
        raise InvalidInputError(f"{field} must be {ID_RULE}")


def check_text(text: str, max_chars: int) -> None:
    if len(text) > max_chars:
        raise InvalidInputError(f"text is longer than {max_chars} characters")
    if "\x00" in text:
        raise InvalidInputError("text contains a NUL character")


def check_attachment(data: bytes, mime_type: str, field: str, allowed: frozenset[str],
                     max_bytes: int) -> None:
    if not data:
        if mime_type:
            raise InvalidInputError(f"{field}.data is empty")
        return
    if len(data) > max_bytes:
        raise InvalidInputError(f"{field} is larger than {max_bytes} bytes")
    if mime_type.lower() not in allowed:
        raise InvalidInputError(
            f"{field}.mime_type {mime_type[:40]!r} is not one of {', '.join(sorted(allowed))}")


def check_profile(profile: dict[str, str], slot_names: frozenset[str]) -> None:
    if len(profile) > MAX_PROFILE_ENTRIES:
        raise InvalidInputError(f"profile has more than {MAX_PROFILE_ENTRIES} entries")
    for key, value in profile.items():
        if key not in PROFILE_KEYS and key not in slot_names:
            raise InvalidInputError(
                f"profile key {key[:40]!r} is unknown (known: bank attributes "
                f"{', '.join(sorted(PROFILE_KEYS))} and ontology slots)")
        if len(value) > MAX_PROFILE_VALUE or "\x00" in value:
            raise InvalidInputError(f"profile value of {key} is too long or malformed")
