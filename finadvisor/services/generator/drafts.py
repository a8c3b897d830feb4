"""Drafts for greedy decoding: what followed the same few tokens in the replies decoded before.

The advisor words the same acts again and again ("I can't give a final answer yet: your
application needs a review by one of our team. The main reason: ..."), so the decoder mostly
writes token runs it has written before. A draft is the run that followed the last ``KEY``
tokens the last time they were decoded; the greedy search (search.py) checks a draft in one pass
(``GeneratorModel.check_draft``: the GRU steps one by one, attention and output layer for all
positions at once) and keeps the tokens up to the first one the model would not have written,
plus the model's own token there. Each row of a batch keeps what its own draft got right (a
row without one writes the model's one token), so rows advance by different counts. The reply
is the greedy reply either way (the same tokens; scores equal to float rounding); a right draft
makes a token about two and a half times cheaper (30 against 80 us at one row, bundled model),
a wrong one costs one check. This is prompt-lookup / n-gram speculative decoding, with the
service's own recent replies as the look-up text.

The table holds delexicalised token ids only (a reply's figures and names are placeholders
until lexicalisation), bounded by ``max_keys``: no customer data.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

#: tokens of context that select a draft
KEY = 3
#: longest draft checked at once
DRAFT_TOKENS = 16
#: n-grams remembered (least recently written forgotten first)
MAX_KEYS = 20_000
#: greedy steps the rows take when none of them has a draft, before they look again
PROBE_STEPS = 4
#: most rows drafted together: in a wider batch many rows lack a draft (they write one token a
#: check), and the compiled loop serves them better (rows leave a batch as they finish)
DRAFT_ROWS = 8


class DraftTable:
    """n-gram -> the tokens that followed it in the latest decoded reply that had it."""

    def __init__(self, draft_tokens: int = DRAFT_TOKENS, max_keys: int = MAX_KEYS) -> None:
        if draft_tokens < 1 or max_keys < 1:
            raise ValueError("draft_tokens and max_keys must be positive")
        self.draft_tokens = draft_tokens
        self.max_keys = max_keys
        self._next: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._lock = threading.Lock()  # the engine's decode workers learn and look up at once
        self.checked = 0  # drafts checked
        self.drafted = 0  # draft tokens proposed
        self.accepted = 0  # draft tokens the model agreed with

    def __len__(self) -> int:
        return len(self._next)

    def lookup(self, written: Sequence[int]) -> tuple[int, ...]:
        """The draft after ``written`` (the decoder start token, then the reply so far): what
        followed its last ``KEY`` tokens, or, after a reply's first token, what followed that
        first token."""
        if len(written) < KEY - 1:
            return ()
        return self._next.get(tuple(written[-KEY:]), ())

    def learn(self, written: Sequence[int]) -> None:
        """Remember the runs of a decoded reply (start token, tokens, EOS)."""
        seq = list(written)
        with self._lock:
            for i in range(KEY - 1, len(seq)):
                key = tuple(seq[max(0, i - KEY) : i])  # (start, first token), then KEY-grams
                self._next.pop(key, None)  # re-inserted last: the newest run, forgotten last
                self._next[key] = tuple(seq[i : i + self.draft_tokens])
            while len(self._next) > self.max_keys:
                del self._next[next(iter(self._next))]

    def batch_draft(self, written: Sequence[Sequence[int]], room: int,
                    ) -> tuple[list[list[int]], list[int]] | None:
        """Drafts for rows that wrote ``written``, checked together: one length (the longest
        draft, at most ``room``), a row with a shorter draft or none filled up with its last
        token; and each row's real draft length. None when no row has a draft."""
        found = [self.lookup(row)[: max(room, 0)] for row in written]
        size = max(len(d) for d in found)
        if size < 1:
            return None
        return ([[*d, *[row[-1]] * (size - len(d))] for d, row in zip(found, written)],
                [len(d) for d in found])

    def kept(self, best: Sequence[Sequence[int]], draft: Sequence[Sequence[int]],
             lengths: Sequence[int], eos: int) -> list[int]:
        """How many positions of a checked draft each row keeps: ``best`` (b, d + 1), the
        model's token after each input. A row keeps up to its first token the draft got wrong
        (the model's token there included), or its whole real draft (``lengths``) and the
        model's token after it; and never past its EOS."""
        kept = []
        for got, want, real in zip(best, draft, lengths):
            k = next((i + 1 for i, (g, w) in enumerate(zip(got[:real], want)) if g != w), real + 1)
            if eos in got[:k]:
                k = list(got).index(eos) + 1
            kept.append(k)
        with self._lock:
            self.checked += 1
            self.drafted += sum(lengths)
            self.accepted += sum(g == w for got, want, k, real in zip(best, draft, kept, lengths)
                                 for g, w in zip(got[:k], want[:real]))
        return kept

    @property
    def stats(self) -> dict[str, int]:
        return {"drafts_checked": self.checked, "draft_tokens": self.drafted,
                "draft_tokens_accepted": self.accepted, "draft_keys": len(self._next)}
