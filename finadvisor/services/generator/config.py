"""Settings of the generator service (environment variables FINADVISOR_GENERATOR_*)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finadvisor.services.generator.drafts import DRAFT_TOKENS
from finadvisor.shared.config import ServerSettings, env_field


@dataclasses.dataclass(frozen=True)
class GeneratorSettings(ServerSettings):
    ENV_PREFIX = "FINADVISOR_GENERATOR_"
    SERVICE = "generator"
    DEFAULT_PORT = 50053

    max_batch: int = env_field("MAX_BATCH", 16, "requests decoded as one batch", min=1, max=256)
    batch_wait_ms: float = env_field("BATCH_WAIT_MS", 0.0, "how long a batch waits for more "
                                     "requests (0: it takes what queued while the previous "
                                     "batch decoded)", min=0, max=100)
    decode_workers: int = env_field("DECODE_WORKERS", 1, "batches decoded at the same time "
                                    "(threads; the greedy loop runs in TorchScript without the "
                                    "GIL). One: with drafted decoding a batch's rows are checked "
                                    "together, and on 2 cores a second decode thread only took "
                                    "CPU from the other services (text p99 at 8 clients 73-83 "
                                    "ms with one, 92-105 with two; bench README)",
                                    min=1, max=16)
    draft_tokens: int = env_field("DRAFT_TOKENS", DRAFT_TOKENS, "longest draft of a greedy reply checked "
                                  "in one pass (drafts.py: what followed the same tokens in "
                                  "earlier replies; the same tokens either way); 0: off",
                                  min=0, max=64)
    torch_threads: int = env_field("TORCH_THREADS", 1, "CPU threads of one decode (batching "
                                   "gives the parallelism)", min=1, max=64)
    policy_file: Path | None = env_field("POLICY_FILE", None, "compliance policy (JSON); "
                                         "default: the shipped policy")
