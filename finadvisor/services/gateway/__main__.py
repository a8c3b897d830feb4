"""`python -m finadvisor.services.gateway`: run the public gateway."""

import sys

from finadvisor.services.gateway.config import GatewaySettings
from finadvisor.services.gateway.server import GatewayApp
from finadvisor.shared.server import main_for


def main() -> int:
    return main_for(GatewaySettings, GatewayApp)


if __name__ == "__main__":
    sys.exit(main())
