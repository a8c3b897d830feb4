"""Turn load through the gateway: asyncio gRPC clients, each playing its own dialogue."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import numpy as np

from finadvisor.common.v1 import common_pb2
from finadvisor.gateway.v1 import gateway_pb2, gateway_pb2_grpc

#: Texts a client cycles through (a loan dialogue, then a fresh session).
DIALOGUE = [
    "Hi, I'd like to borrow 12000 euros to renovate my home",
    "over 3 years please",
    "I am 38 and have been employed for 7 years",
    "I rent and have one dependent",
    "my monthly income is 4200 euros and I pay 300 a month on other debts",
    "actually make it 15000",
    "what interest rate would I get?",
    "thank you",
]


def applicant_dialogue(rng: random.Random) -> list[str]:
    """``DIALOGUE`` with figures of its own (amount, term, age, years employed, income, debts,
    the changed amount) drawn from ``rng``. Every session of ``DIALOGUE`` is the same applicant,
    whom the gateway scores once and then finds in its cache of assessments; a bank's
    applicants differ, and each one's application is scored when it is complete."""
    amount = rng.randrange(3000, 30000, 500)
    return [
        f"Hi, I'd like to borrow {amount} euros to renovate my home",
        f"over {rng.randrange(2, 6)} years please",
        f"I am {rng.randrange(22, 64)} and have been employed for {rng.randrange(1, 15)} years",
        DIALOGUE[3],
        f"my monthly income is {rng.randrange(1800, 7000, 50)} euros and I pay "
        f"{rng.randrange(0, 900, 25)} a month on other debts",
        f"actually make it {amount + rng.randrange(1000, 8000, 500)}",
        DIALOGUE[6],
        DIALOGUE[7],
    ]


@dataclass
class Inputs:
    image: bytes | None = None
    audio: bytes | None = None


@dataclass
class LoadResult:
    scenario: str
    clients: int
    turns: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def summary(self) -> dict[str, float]:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.array([float("nan")])
        return {
            "clients": self.clients,
            "turns": self.turns,
            "errors": self.errors,
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1),
            "turns_per_s": round(self.turns / self.seconds, 2) if self.seconds else 0.0,
        }


def request_factory(scenario: str, inputs: Inputs) -> Callable[[str, str, int], gateway_pb2.ConverseRequest]:
    def make(session_id: str, request_id: str, step: int) -> gateway_pb2.ConverseRequest:
        req = gateway_pb2.ConverseRequest(session_id=session_id, request_id=request_id)
        if scenario in ("text", "image", "full"):
            req.text = DIALOGUE[step % len(DIALOGUE)] if scenario == "text" else "here you go"
        if scenario in ("image", "full") and inputs.image:
            req.image.CopyFrom(common_pb2.Attachment(data=inputs.image, mime_type="image/png"))
        if scenario in ("audio", "full") and inputs.audio:
            req.audio.CopyFrom(common_pb2.Attachment(data=inputs.audio, mime_type="audio/wav"))
        return req

    return make


async def _turn(stub: gateway_pb2_grpc.AdvisoryGatewayStub, request: gateway_pb2.ConverseRequest,
                timeout_s: float, latencies: list[float]) -> bool:
    """One Converse call; its latency (ms) goes into ``latencies``; False when it failed."""
    start = time.perf_counter()
    try:
        await stub.Converse(request, timeout=timeout_s)
    except grpc.aio.AioRpcError:
        return False
    latencies.append((time.perf_counter() - start) * 1000)
    return True


async def run_load(channel: grpc.aio.Channel, scenario: str, inputs: Inputs, clients: int,
                   turns: int, timeout_s: float = 30.0, applicants: int | None = None,
                   ) -> LoadResult:
    """``turns`` turns spread over ``clients`` concurrent clients; latency of each.

    ``applicants`` (text only): a seed; each session then plays ``applicant_dialogue``, an
    applicant of its own, instead of ``DIALOGUE``."""
    stub = gateway_pb2_grpc.AdvisoryGatewayStub(channel)
    make = request_factory(scenario, inputs)
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0
    rng = random.Random(applicants)

    async def client(cid: int) -> None:
        nonlocal errors
        session = ""
        step = 0
        texts = DIALOGUE
        while (n := next(counter)) < turns:
            if not session or step >= len(DIALOGUE):
                try:
                    session = (await stub.StartSession(gateway_pb2.StartSessionRequest(),
                                                       timeout=timeout_s)).session_id
                except grpc.aio.AioRpcError:
                    errors += 1  # the turn this session was for is lost: counted, not hidden
                    session = ""
                    continue
                step = 0
                if applicants is not None:
                    texts = applicant_dialogue(rng)
            request = make(session, f"b{cid}-{n}", step)
            if applicants is not None:
                request.text = texts[step]
            if not await _turn(stub, request, timeout_s, latencies):
                errors += 1
            step += 1

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return LoadResult(scenario, clients, len(latencies), errors, time.perf_counter() - start,
                      latencies)


async def run_dialogues(channel: grpc.aio.Channel, rate_per_s: float, seconds: float,
                        timeout_s: float = 30.0) -> LoadResult:
    """Open loop: a text dialogue starts every ``1 / rate_per_s`` seconds for ``seconds`` and
    plays its turns back to back, however many dialogues are running by then.

    The offered load (``len(DIALOGUE) * rate_per_s`` turns/s) does not depend on how fast the
    stack answers. With ``run_load``'s closed loop a faster stack is also sent more turns per
    second, so two versions' tails are measured at different loads; here they are measured at
    the same one. ``clients`` in the result is the number of dialogues started; every turn of a
    dialogue whose session could not start counts as an error."""
    stub = gateway_pb2_grpc.AdvisoryGatewayStub(channel)
    make = request_factory("text", Inputs())
    latencies: list[float] = []
    errors = 0

    async def dialogue(k: int) -> None:
        nonlocal errors
        try:
            session = (await stub.StartSession(gateway_pb2.StartSessionRequest(),
                                               timeout=timeout_s)).session_id
        except grpc.aio.AioRpcError:
            errors += len(DIALOGUE)
            return
        for step in range(len(DIALOGUE)):
            if not await _turn(stub, make(session, f"o{k}-{step}", step), timeout_s, latencies):
                errors += 1

    started: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    while (due := len(started) / rate_per_s) < seconds:  # the k-th dialogue starts at k / rate
        wait = due - (time.perf_counter() - start)
        if wait > 0:
            await asyncio.sleep(wait)
        started.append(asyncio.create_task(dialogue(len(started))))
    await asyncio.gather(*started)
    return LoadResult("text", len(started), len(latencies), errors, time.perf_counter() - start,
                      latencies)
