"""What the understanding tests share: the committed model, and the contexts they read turns in."""

from __future__ import annotations

from typing import Any

import pytest

from finadvisor.services.state.context import TurnContext
from finadvisor.services.state.nlu import Understanding
from finadvisor.shared.paths import BUNDLED_MODELS_DIR


@pytest.fixture(scope="module")
def nlu() -> Understanding:
    return Understanding.load(BUNDLED_MODELS_DIR / "nlu")


def asked(slot: str, **state: str) -> TurnContext:
    """The advisor's last reply asked for ``slot``; the state holds ``state``."""
    return TurnContext.build(state, [{"name": "request", "args": {"slot": slot}}])


def got(result: Any) -> dict[str, str]:
    """The values a turn writes, by slot."""
    return {m.slot: m.value for m in result.mentions}


def savings(*acts: dict[str, Any], **state: str) -> TurnContext:
    """A savings conversation: the advisor asked a savings question before ``acts``."""
    asked_before = [{"name": "request", "args": {"slot": "monthly_income", "task": "savings"}}]
    return TurnContext.build(state, list(acts), "inform", earlier=[asked_before])
