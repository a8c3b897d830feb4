"""The bench's applicant dialogues: the fixed loan dialogue with figures of each applicant's own."""

from __future__ import annotations

import random
import re

from finadvisor.bench.load import DIALOGUE, applicant_dialogue


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def test_each_applicant_has_figures_of_their_own_and_the_draw_is_seeded() -> None:
    rng = random.Random(5)
    drawn = [applicant_dialogue(rng) for _ in range(20)]
    again = random.Random(5)
    assert drawn == [applicant_dialogue(again) for _ in range(20)]
    for texts in drawn:
        assert len(texts) == len(DIALOGUE)
        # The same dialogue, step by step: the figure-free turns are the fixed dialogue's own.
        for fixed, text in zip(DIALOGUE, texts, strict=True):
            if not numbers(fixed):
                assert text == fixed
            else:
                assert len(numbers(text)) == len(numbers(fixed))
        first, changed = numbers(texts[0])[0], numbers(texts[5])[0]
        assert 3000 <= first < 30000 and changed > first  # "actually make it" raises it
        income, debts = numbers(texts[4])
        assert 1800 <= income < 7000 and 0 <= debts < 900
    applicants = {tuple(numbers(" ".join(t))) for t in drawn}
    assert len(applicants) == len(drawn)  # no two alike
