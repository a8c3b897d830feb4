"""`python -m finadvisor.services.state`: run the state service."""

import sys

from finadvisor.services.state.config import StateSettings
from finadvisor.services.state.server import StateApp
from finadvisor.shared.server import main_for


def main() -> int:
    return main_for(StateSettings, StateApp)


if __name__ == "__main__":
    sys.exit(main())
