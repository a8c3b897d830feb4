"""What the understanding of a turn may use besides its words: the advisor's last acts, the
state, the session's active intent and the task of the advisor's latest question.

``TurnContext`` is built by the tracker before each turn (``tracker.context_of``) and by the
evaluation from annotated dialogues; ``interpret`` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from finadvisor.dialogue.acts import heard_values
from finadvisor.dialogue.config import INTENT_TASK, PRODUCT_TASK, TASK_SLOTS


@dataclass(frozen=True)
class TurnContext:
    """What the understanding of a turn may use: the advisor's last acts and the state."""

    acts: tuple[Mapping[str, Any], ...] = ()
    state: Mapping[str, str] = field(default_factory=dict)  # slot -> canonical value
    intent: str = ""  # the session's active intent before this turn
    #: the acts of the advisor's last few replies (the last one included), the newest first
    recent: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def build(cls, state: Mapping[str, str], acts: Sequence[Mapping[str, Any]] = (), intent: str = "",
              earlier: Sequence[Sequence[Mapping[str, Any]]] = ()) -> TurnContext:
        """``earlier``: the acts of replies before the last one, oldest first."""
        recent = tuple(a for reply in [*earlier, acts][::-1] for a in reply)
        return cls(tuple(acts), dict(state), intent, recent)

    @property
    def asked_task(self) -> str:
        """The task of the advisor's latest question (``request(task=...)``): a read-back or an
        answer in between does not change it."""
        return next((str(a["args"]["task"]) for a in self.recent if a.get("name") == "request"
                     and (a.get("args") or {}).get("task")), "")

    @property
    def asked_before(self) -> tuple[str, ...]:
        """The slots the advisor asked for in its recent replies, the latest first."""
        return tuple(dict.fromkeys(str(a["args"]["slot"]) for a in self.recent
                                   if a.get("name") == "request" and (a.get("args") or {}).get("slot")))

    @property
    def told_decision(self) -> bool:
        """A credit outcome was told in the recent replies."""
        return any(a.get("name") == "inform_decision" for a in self.recent)

    def _act(self, name: str) -> Mapping[str, str] | None:
        for a in self.acts:
            if a.get("name") == name:
                return a.get("args") or {}
        return None

    @property
    def requested(self) -> str | None:
        """The slot the advisor asked for (or whose value it clarified or questioned)."""
        for name in ("request", "clarify", "check_value"):
            args = self._act(name)
            if args and args.get("slot"):
                return str(args["slot"])
        return None

    @property
    def request_slot(self) -> str | None:
        """The slot the advisor's last reply asked for (a question, not a read-back)."""
        args = self._act("request")
        return str(args["slot"]) if args and args.get("slot") else None

    @property
    def after_chart(self) -> bool:
        """The advisor's last reply was about a chart the customer sent (described, or not
        readable)."""
        unreadable = self._act("ack_unreadable")
        return self._act("describe_chart") is not None or \
            (unreadable is not None and unreadable.get("kind") == "chart")

    @property
    def clarifying(self) -> tuple[str, str] | None:
        args = self._act("clarify")
        if args and args.get("slot") and args.get("value"):
            return str(args["slot"]), str(args["value"])
        return None

    @property
    def heard(self) -> tuple[dict[str, str], str] | None:
        """(held values, intent) of a voice note the advisor read back, or None."""
        args = self._act("confirm_heard")
        if args is None:
            return None
        return heard_values(str(args.get("heard", ""))), str(args.get("intent", ""))

    @property
    def confirming(self) -> tuple[str, ...]:
        args = self._act("confirm")
        if not args:
            return ()
        return tuple(s for s in str(args.get("slots", "")).split(",") if s)

    def task(self, intent: str) -> str | None:
        """The task the turn belongs to: the product's, else the turn's intent's, else the one
        the advisor's latest question was for (``request(task=...)``: a savings conversation
        whose customer just answered stays one), else the session's."""
        product = self.state.get("product")
        if product in PRODUCT_TASK:
            return PRODUCT_TASK[product]
        asked = self._act("request")
        asked_task = str(asked.get("task") or "") if asked else self.asked_task
        return INTENT_TASK.get(intent) or (asked_task if asked_task in TASK_SLOTS else None) or \
            INTENT_TASK.get(self.intent) or (
            "loan" if self.state.get("loan_purpose") or self.state.get("loan_amount") else None)

    def expected(self, intent: str) -> str | None:
        """The slot the advisor would ask next when its act is not known (the task's order)."""
        task = self.task(intent)
        if task is None:
            return None
        for slot in TASK_SLOTS[task]:
            if slot in self.state:
                continue
            if slot == "loan_purpose" and self.state.get("product") not in (None, "personal_loan"):
                continue
            if slot == "employment_years" and self.state.get("employment_status") not in ("employed", "self_employed"):
                continue
            return slot
        return None


EMPTY_CONTEXT = TurnContext()
