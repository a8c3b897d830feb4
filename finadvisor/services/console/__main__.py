"""`python -m finadvisor.services.console`: run the analyst console (HTTP)."""

import asyncio
import sys

from finadvisor.services.console.app import serve
from finadvisor.services.console.config import ConsoleSettings
from finadvisor.shared.config import load_settings
from finadvisor.shared.errors import ConfigError
from finadvisor.shared.logging import setup_logging


def main() -> int:
    try:
        settings = load_settings(ConsoleSettings)
        settings.check_transport()
    except ConfigError as exc:
        print(f"finadvisor console: {exc}", file=sys.stderr)
        return 2
    setup_logging("console", settings.log_level)
    try:
        asyncio.run(serve(settings))
    except OSError as exc:
        print(f"finadvisor console: cannot serve on port {settings.bind_port()}: {exc}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
