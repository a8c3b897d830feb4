"""`python -m finadvisor.services.voice`: run the voice service."""

import sys

from finadvisor.services.voice.config import VoiceSettings
from finadvisor.services.voice.server import VoiceApp
from finadvisor.shared.server import main_for


def main() -> int:
    return main_for(VoiceSettings, VoiceApp)


if __name__ == "__main__":
    sys.exit(main())
