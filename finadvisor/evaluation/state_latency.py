"""p50/p90 of one ApplyTurn through the state service (gRPC on loopback, real Redis), per turn.

Plays the hand-written dialogues' turns (each dialogue in a session of its own, the advisor's
replies not recorded) ``rounds`` times against a state service in this process and reports the
latency of each ApplyTurn as the client sees it. Used to check that understanding in context
(one extra read of the session before the NLU) keeps the state service's p50 within 2x of the
context-free tracker's; the figures are in the issue-16 report and the model card.

    python -m finadvisor.evaluation.state_latency [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path


async def measure(rounds: int = 3) -> dict[str, float]:
    from finadvisor.services.state.config import StateSettings
    from finadvisor.services.state.server import StateApp
    from finadvisor.shared.client import make_channel
    from finadvisor.shared.config import load_settings
    from finadvisor.shared.redis_local import LocalRedis
    from finadvisor.shared.server import create_server
    from finadvisor.state.v1 import state_pb2, state_pb2_grpc

    root = Path(__file__).resolve().parents[2]  # noqa: ASYNC240 - set-up before any turn is timed
    dialogues = [json.loads(line) for line in (root / "tests/data/handwritten/dialogues.jsonl").read_text().splitlines()  # read once before any turn is timed
                 if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        redis = LocalRedis(Path(tmp) / "r", persist=False).start()
        try:
            env = {"REDIS_URL": redis.url, "FINADVISOR_INSECURE": "1", "FINADVISOR_LOG_LEVEL": "WARNING"}
            srv = await create_server(StateApp(load_settings(StateSettings, env)), "127.0.0.1:0")
            await srv.start_app()
            channel = make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=10)
            stub = state_pb2_grpc.StateTrackerStub(channel)
            times: list[float] = []
            for r in range(rounds + 1):  # the first round warms up and is not counted
                for d in dialogues:
                    sid = uuid.uuid4().hex
                    await stub.CreateSession(state_pb2.CreateSessionRequest(session_id=sid), timeout=10)
                    for text in d["turns"]:
                        t0 = time.perf_counter()
                        await stub.ApplyTurn(state_pb2.ApplyTurnRequest(
                            session_id=sid, request_id=uuid.uuid4().hex, text=text, history_limit=6), timeout=10)
                        if r:
                            times.append((time.perf_counter() - t0) * 1000)
            await channel.close()
            await srv.stop(0)
        finally:
            redis.stop()
    q = statistics.quantiles(times, n=10)
    return {"turns": len(times), "p50_ms": round(statistics.median(times), 3), "p90_ms": round(q[8], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    print(json.dumps(asyncio.run(measure(parser.parse_args().rounds))))


if __name__ == "__main__":
    main()
