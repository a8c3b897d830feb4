"""`python -m finadvisor.services.generator`: run the generator service."""

import sys

from finadvisor.services.generator.config import GeneratorSettings
from finadvisor.services.generator.server import GeneratorApp
from finadvisor.shared.server import main_for


def main() -> int:
    return main_for(GeneratorSettings, GeneratorApp)


if __name__ == "__main__":
    sys.exit(main())
