"""Settings of the vision service (environment variables FINADVISOR_VISION_*)."""

from __future__ import annotations

import dataclasses

from finadvisor.shared.config import ServerSettings, env_field


@dataclasses.dataclass(frozen=True)
class VisionSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_VISION_"
    SERVICE = "vision"
    DEFAULT_PORT = 50054

    max_batch: int = env_field("MAX_BATCH", 32, "images decoded as one CNN batch", min=1,
                               max=256)
    batch_window_ms: float = env_field("BATCH_WINDOW_MS", 5.0, "how long a batch waits for "
                                       "more images", min=0, max=100)
    ocr_enabled: bool = env_field("OCR_ENABLED", True, "read document fields by OCR")
    ocr_engine: str = env_field("OCR_ENGINE", "auto", "OCR engine: auto (tesseract if installed, "
                                "else rapidocr), tesseract, rapidocr or none",
                                choices=("auto", "tesseract", "rapidocr", "none"))
    ocr_concurrency: int = env_field("OCR_CONCURRENCY", 2, "OCR runs at once (one "
                                     "thread each; about one per core)", min=1, max=64)
    pixels_in_flight: int = env_field("PIXELS_IN_FLIGHT", 40_000_000, "decoded pixels all "
                                      "concurrent calls may hold together (3 bytes each); "
                                      "calls beyond it wait their turn", min=1_000_000,
                                      max=2_000_000_000)
