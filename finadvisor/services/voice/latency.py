"""Voice-note latency and throughput of the voice service alone, over a real gRPC channel.

Why beside ``finadvisor bench``: the bench times whole turns through the gateway with every
service on the same cores; this isolates the voice service (decode, recognition, RNN, prosody),
so a change to the recogniser's queue shows in its own figures. Usage:

    python -m finadvisor.services.voice.latency [--clients 1 8] [--notes 24] [--json]

An in-process voice server (insecure loopback, port 0) with the default settings answers
``AnalyzeAudio`` calls from N concurrent clients, each sending notes in turn (people's turns
spoken by dev-set voices, 1-6 s, different notes so nothing is cached); reported per level:
p50/p99 wall time per call, notes per second, and notes per second per core (the cores this
process may use: on a shared machine the figure is what this process got, not the hardware).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import numpy as np


def _notes(n: int) -> list[bytes]:
    """``n`` WAV notes of hand-written turns spoken by the dev-set voices."""
    from finadvisor.services.voice import devset
    from finadvisor.services.voice.synth import DEVSET_VARIANTS, synthesize, to_wav_bytes
    from finadvisor.services.voice.text import spoken_form

    turns, _note = devset.load_turns()
    turns = [t for t in turns if t.origin == "handwritten"] or turns
    out = []
    for i in range(n):
        t = turns[(i * 7) % len(turns)]
        samples, sr = synthesize(spoken_form(t.text), DEVSET_VARIANTS[i % len(DEVSET_VARIANTS)], seed=i)
        out.append(to_wav_bytes(samples, sr))
    return out


async def _level(stub: Any, notes: list[bytes], clients: int, per_client: int) -> dict[str, float]:
    from finadvisor.common.v1 import common_pb2
    from finadvisor.voice.v1 import voice_pb2

    times: list[float] = []
    errors = 0

    async def client(k: int) -> None:
        nonlocal errors
        for j in range(per_client):
            data = notes[(k * per_client + j) % len(notes)]
            req = voice_pb2.AnalyzeAudioRequest(audio=common_pb2.Attachment(data=data, mime_type="audio/wav"))
            t = time.perf_counter()
            try:
                await stub.AnalyzeAudio(req, timeout=60)
                times.append(time.perf_counter() - t)
            except Exception:  # noqa: BLE001 - counted, the figures say how many failed
                errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    wall = time.perf_counter() - t0
    from finadvisor.services.voice.engine import cpu_cores

    arr = np.array(times) * 1000.0
    return {
        "clients": clients,
        "notes": len(times),
        "errors": errors,
        "p50_ms": round(float(np.percentile(arr, 50)), 1) if arr.size else 0.0,
        "p99_ms": round(float(np.percentile(arr, 99)), 1) if arr.size else 0.0,
        "notes_per_second": round(len(times) / wall, 3),
        "notes_per_second_per_core": round(len(times) / wall / cpu_cores(), 3),
    }


async def measure(levels: tuple[int, ...] = (1, 8), notes_per_level: int = 24) -> dict[str, Any]:
    import grpc

    from finadvisor.services.voice.config import VoiceSettings
    from finadvisor.services.voice.engine import cpu_cores
    from finadvisor.services.voice.server import VoiceApp
    from finadvisor.shared.config import load_settings
    from finadvisor.shared.server import create_server
    from finadvisor.voice.v1 import voice_pb2_grpc

    app = VoiceApp(load_settings(VoiceSettings, {"FINADVISOR_INSECURE": "1"}))
    srv = await create_server(app, "127.0.0.1:0")
    await srv.start_app()
    port = srv.port
    notes = _notes(max(notes_per_level, 8))
    out: dict[str, Any] = {"cores": cpu_cores(), "levels": {}}
    try:
        async with grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 8 << 20)]) as channel:
            stub = voice_pb2_grpc.VoiceNotesStub(channel)
            await _level(stub, notes, 2, 2)  # warm-up
            for clients in levels:
                per_client = max(2, notes_per_level // clients)
                out["levels"][str(clients)] = await _level(stub, notes, clients, per_client)
        caps = app.engine.capabilities() if app.engine else {}
        out["asr"] = caps.get("asr", {}).get("detail", "")
        out["workers"], out["max_batch"] = caps.get("workers"), caps.get("max_batch")
    finally:
        await srv.stop(0)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--notes", type=int, default=24, help="notes per level")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(tuple(args.clients), args.notes))
    if args.json:
        print(json.dumps(result))
        return
    for k, v in result["levels"].items():
        print(f"{k:>3} clients: p50 {v['p50_ms']:8.1f} ms  p99 {v['p99_ms']:8.1f} ms  "
              f"{v['notes_per_second']:.2f} notes/s ({v['notes_per_second_per_core']:.2f} per core)"
              f"  errors {v['errors']}")


if __name__ == "__main__":
    main()
