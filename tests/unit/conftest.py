"""Fixtures shared by the unit tests of one component (each defined next to its helpers)."""

from tests.unit.understanding_cases import nlu  # noqa: F401 - a fixture, registered by this import
from tests.unit.vision_tiny import tiny_folder  # noqa: F401 - a fixture, registered by this import
