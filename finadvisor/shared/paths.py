"""Where models, generated data and local state live.

Models: ``FINADVISOR_MODELS_DIR``, else the ``models/`` folder shipped inside the package (the
default models are committed there, small and reproducible by ``finadvisor train``).
Generated data (corpus, rendered images, synthesised audio): ``FINADVISOR_DATA_DIR``, else
``$XDG_DATA_HOME/finadvisor/data``. Local state of ``finadvisor up`` (Redis data, dev
certificates, logs): ``FINADVISOR_HOME``, else ``$XDG_DATA_HOME/finadvisor``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BUNDLED_MODELS_DIR = PACKAGE_DIR / "models"


def _xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def home_dir() -> Path:
    return Path(os.environ.get("FINADVISOR_HOME") or _xdg_data_home() / "finadvisor")


def models_dir() -> Path:
    return Path(os.environ.get("FINADVISOR_MODELS_DIR") or BUNDLED_MODELS_DIR)


def data_dir() -> Path:
    return Path(os.environ.get("FINADVISOR_DATA_DIR") or home_dir() / "data")
