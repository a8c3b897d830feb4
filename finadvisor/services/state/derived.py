"""Values a turn gives without saying them: the age of a birth year, the years in work since the
year a job started, and what a price less the money put towards it leaves to borrow."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from finadvisor.ontology import format_amount
from finadvisor.services.state.context import TurnContext
from finadvisor.services.state.figures import BORN
from finadvisor.services.state.meaning import DEPOSIT, Frames
from finadvisor.services.state.mentions import Mention
from finadvisor.services.state.normalize import NumberSpan


def from_years(low: str, years: Sequence[NumberSpan], frames: Frames, ctx: TurnContext,
                source: str) -> list[Mention]:
    """The age of a birth year, and the years in work since a year the job started."""
    now = datetime.date.today().year
    out: list[Mention] = []
    for n in years:
        since = now - int(n.value)
        clause = frames.clause_at(n.start)
        if BORN.search(low, 0, n.start) and 16 <= since <= 110:
            out.append(Mention("age", str(since), 0.9, n.start, n.end, source))
        elif (clause is not None and clause.work) or "employment_status" in frames.implied or \
                ctx.requested in ("employment_status", "employment_years"):
            out.append(Mention("employment_years", str(since), 0.85, n.start, n.end, source))
    return out


def price_less_deposit(frames: Frames, priced: Sequence[NumberSpan], source: str,
                        ctx: TurnContext) -> list[Mention]:
    """[the loan amount a price less the money put towards it leaves] when a turn gives one
    price and deposits or savings and no loan amount is known; else []."""
    if "loan_amount" in ctx.state:
        return []
    amounts = [n for n in priced if n.unit is None and float(n.value) >= 20]
    deposits = [n for i, n in enumerate(amounts) if _deposit(frames, n, amounts[i - 1] if i else None,
                                                              amounts[i + 1] if i + 1 < len(amounts) else None)]
    prices = [n for n in amounts if n not in deposits]
    if len(prices) != 1 or not deposits:
        return []
    left = prices[0].value - sum(n.value for n in deposits)
    if left <= 0:
        return []
    return [Mention("loan_amount", format_amount(left), 0.45, prices[0].start,
                    max(n.end for n in deposits), source)]


def _deposit(frames: Frames, n: NumberSpan, before: NumberSpan | None, after: NumberSpan | None) -> bool:
    """Whether a figure is money put towards the price: deposit words in its clause, between the
    figures beside it ("the flat is 425,000 and we have 60,000 deposit": one clause, one price)."""
    c = frames.clause_at(n.start)
    if c is None:
        return False
    start = max(c.start, before.end if before is not None else c.start)
    end = min(c.end, after.start if after is not None else c.end)
    return DEPOSIT.search(c.text[start - c.start:end - c.start].strip()) is not None
