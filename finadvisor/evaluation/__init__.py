"""Measuring finadvisor on people: hand-written turns and dialogues, played through the code
that serves them (``harness``), scored by ``understanding``."""
