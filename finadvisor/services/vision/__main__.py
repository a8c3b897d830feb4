"""`python -m finadvisor.services.vision`: run the vision service."""

import sys

from finadvisor.services.vision.config import VisionSettings
from finadvisor.services.vision.server import VisionApp
from finadvisor.shared.server import main_for


def main() -> int:
    return main_for(VisionSettings, VisionApp)


if __name__ == "__main__":
    sys.exit(main())
