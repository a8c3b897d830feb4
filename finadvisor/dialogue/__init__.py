"""The advisor's dialogue manager: what to say next, decided from the state (a library).

``manager`` decides an ordered list of acts for a turn, ``realise`` words acts with templates
(several paraphrases each), ``guard`` checks that a reply says exactly what its acts say, and
``evaluate`` measures the whole on hand-written and simulated dialogues. The gateway calls the
manager; the generator service words the acts (and falls back to ``realise``).
"""
