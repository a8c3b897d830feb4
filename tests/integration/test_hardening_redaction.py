"""Identifiers never become slot values and are never stored: each form of the redaction suite
goes through the state service's tracker (the committed NLU, a real Redis) inside an ordinary
loan turn; the state must be what the same turn gives without the identifier, and neither the
state nor the stored history may hold any part of the identifier."""

from __future__ import annotations

import uuid

import pytest

from finadvisor.services.state.nlu import Understanding
from finadvisor.services.state.tracker import DialogueTracker
from finadvisor.sessions import RedisStateStore, SessionSettings
from finadvisor.shared import paths
from tests.unit.test_redaction import FORMS

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

BASE = "I'd like a car loan of 15000 dollars over 36 months."


@pytest.fixture(scope="module")
def nlu() -> Understanding:
    return Understanding.load(paths.models_dir() / "nlu")


async def test_no_identifier_is_stored_or_a_slot_value(redis_server, nlu) -> None:
    store = RedisStateStore(SessionSettings(url=redis_server.url))
    tracker = DialogueTracker(store, nlu)
    try:
        async def turn(text: str) -> tuple[dict[str, str], str]:
            sid = uuid.uuid4().hex
            await store.create_session(sid)
            await tracker.apply(sid, "r1", text)
            snap = await store.get_state(sid)
            await store.erase(sid)
            return {k: r.value for k, r in snap.state.slots.items()}, snap.history[-1].text

        base_slots, _ = await turn(BASE)
        assert base_slots.get("loan_amount") == "15000"
        leaks = []
        for kind, form, secrets in FORMS:
            slots, stored = await turn(f"{BASE} {form}")
            values = " ".join(slots.values()).lower()
            for secret in secrets:
                if secret.lower() in stored.lower() or secret.lower() in values:
                    leaks.append((kind, form, "stored" if secret.lower() in stored.lower()
                                  else "slot"))
            if slots != base_slots:
                leaks.append((kind, form, f"slots {slots} != {base_slots}"))
        assert leaks == []
    finally:
        await store.close()
