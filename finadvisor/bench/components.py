"""Benchmarks of single components: the state store against redis-benchmark, the generator's
decoding modes and dynamic batching, and the in-process pipeline (no microservice split)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import numpy as np

from finadvisor.bench.load import DIALOGUE
from finadvisor.shared import paths

if TYPE_CHECKING:
    import grpc

    from finadvisor.bench.stack import StackHandle


async def store_rate(redis_url: str, turns: int = 4000, workers: int = 50) -> float:
    """Turns per second applied by the state store (one Lua script per turn + the index)."""
    from finadvisor.sessions import RedisStateStore, SessionSettings, SlotUpdate, TurnInput

    store = RedisStateStore(SessionSettings(url=redis_url))
    sessions = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(workers)]
    for sid in sessions:
        await store.create_session(sid, {}, {})
    counter = iter(range(turns))

    async def worker(sid: str) -> None:
        for n in counter:
            await store.apply_turn(TurnInput(
                session_id=sid, request_id=f"r{n}", text="actually make it 12000",
                text_source="text", intent="inform", intent_confidence=0.93,
                updates=[SlotUpdate("loan_amount", str(10000 + n), 0.95, "text")]))

    start = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in sessions))
    rate = turns / (time.perf_counter() - start)
    for sid in sessions:
        await store.erase(sid)
    await store.close()
    return rate


def _store_rate_child(redis_url: str, turns: int, workers: int, start_at: float) -> float:
    """One store process of ``store_rate_processes`` (spawned: a fresh interpreter)."""
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)  # every process starts its turns at the same moment
    return asyncio.run(store_rate(redis_url, turns=turns, workers=workers))


async def store_rate_processes(redis_url: str, processes: int = 2, turns: int = 4000,
                               workers: int = 50) -> float:
    """``store_rate`` summed over several processes (as several state replicas run), the same
    50 concurrent sessions in all."""
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 8.0  # time for the interpreters to import the store
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        futures = [pool.submit(_store_rate_child, redis_url, turns // processes,
                               max(1, workers // processes), start_at) for _ in range(processes)]
        rates = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
    return float(sum(rates))


async def redis_benchmark_rate(redis_url: str, requests: int = 20000, clients: int = 50) -> float:
    """redis-benchmark's rate for the same apply script by EVALSHA on the same server."""
    from finadvisor.sessions import (
        RedisStateStore,
        Script,
        SessionSettings,
        SlotUpdate,
        TurnInput,
        session_keys,
        turn_payload,
    )

    exe = shutil.which("redis-benchmark")
    if exe is None:
        raise RuntimeError("redis-benchmark not found (apt-get install redis-tools)")
    s = RedisStateStore(SessionSettings(url=redis_url))
    sid = f"bench-{uuid.uuid4().hex[:12]}"
    await s.create_session(sid, {}, {})
    apply = Script.named("apply")  # the very script the store runs, with the same payload
    await s.client.script_load(apply.source)
    sha = apply.sha
    payload = turn_payload(TurnInput(
        session_id=sid, request_id="r", text="actually make it 12000", text_source="text",
        intent="inform", intent_confidence=0.93,
        updates=[SlotUpdate("loan_amount", "12000", 0.95, "text")]))
    keys = session_keys(sid)
    u = urlsplit(redis_url)
    auth = ["--user", unquote(u.username), "-a", unquote(u.password or "")] if u.username else \
        (["-a", unquote(u.password)] if u.password else [])
    cmd = [exe, "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 6379), *auth,
           "-c", str(clients),
           "-n", str(requests), "-r", "100000000", "-q", "EVALSHA", sha, str(len(keys)),
           *keys, "req:__rand_int__", payload, str(24 * 3600 * 1000), "50", "256"]
    out = await asyncio.to_thread(subprocess.run, cmd, capture_output=True, text=True,
                                  timeout=300, check=True)
    await s.erase(sid)
    await s.close()
    import re

    # -q prints "<command>: <rate> requests per second, p50=..." (the command has our JSON)
    found = re.findall(r"([\d.]+) requests per second", out.stdout)
    if found:
        return float(found[-1])
    raise RuntimeError(f"unexpected redis-benchmark output: {out.stdout[-300:]}")


async def generator_figures(clients: int = 16, requests: int = 64) -> dict[str, float]:
    """Tokens per second: greedy and beam-4 one at a time, and greedy with dynamic batching."""
    from finadvisor.services.generator.engine import GeneratorEngine
    from finadvisor.services.generator.inputs import GenerationInput

    engine = await asyncio.to_thread(GeneratorEngine.load, paths.models_dir() / "generator")
    reqs = [GenerationInput(
        context=[("user", DIALOGUE[i % len(DIALOGUE)])], intent="apply_loan",
        slots={"loan_amount": str(5000 + 1000 * (i % 9)), "currency": "EUR",
               "loan_purpose": "renovation"}, num_beams=1, n_best=1) for i in range(requests)]

    def tokens(outs: list) -> int:
        return sum(len(engine.tokenizer(o.delexicalized)["input_ids"]) for o in outs)

    async def sequential(beams: int) -> float:
        outs = []
        start = time.perf_counter()
        for r in reqs[:24]:
            outs.append(await engine.generate(GenerationInput(**{**r.__dict__,
                                                                 "num_beams": beams})))
        return tokens(outs) / (time.perf_counter() - start)

    async def concurrent() -> float:
        queue = iter(reqs)
        outs: list = []

        async def client() -> None:
            for r in queue:
                outs.append(await engine.generate(r))

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return tokens(outs) / (time.perf_counter() - start)

    await sequential(1)  # warm-up
    greedy = await sequential(1)
    beam4 = await sequential(4)
    batched = await concurrent()
    engine.close()
    return {"greedy_tokens_per_s": round(greedy, 1), "beam4_tokens_per_s": round(beam4, 1),
            f"batched_{clients}_clients_tokens_per_s": round(batched, 1),
            "generator_batching_gain": round(batched / greedy, 2)}


def credit_figures(applicants: int = 40) -> dict[str, float]:
    """One credit assessment (ms, p50) of the served model on distinct applicants, scored from
    plain rows (``risk/compiled.py``) and through scikit-learn, and their ratio. The bench's
    dialogues repeat one applicant, whose assessment the gateway keeps, so their turns do not
    show this cost; a bank's applicants differ."""
    import statistics

    from finadvisor.services.gateway.risk import ApplicantFields, CreditRiskModel

    served = CreditRiskModel.load(paths.models_dir() / "risk")
    plain = CreditRiskModel(served.estimator, served.config, served.policy)
    plain.compiled = None
    fields = [ApplicantFields.from_slots({
        "loan_amount": str(3000 + 517 * i), "loan_term_months": str(12 + 6 * (i % 9)),
        "loan_purpose": ("car", "renovation", "education", "other")[i % 4],
        "monthly_income": str(1800 + 133 * i), "monthly_debt": str(50 * (i % 7)),
        "age": str(21 + i), "employment_status": "employed",
        "employment_years": str(i % 12), "housing": ("rent", "own")[i % 2],
        "dependents": str(i % 3)}, {}) for i in range(applicants)]

    def p50(model: CreditRiskModel) -> float:
        times = []
        for f in fields:
            start = time.perf_counter()
            model.assess(f)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    p50(served)  # warm-up
    compiled, sklearn = p50(served), p50(plain)
    return {"assessment_p50_ms": round(compiled, 2),
            "assessment_p50_ms_scikit_learn": round(sklearn, 2),
            "speedup": round(sklearn / compiled, 1),
            "compiled": served.compiled is not None}


async def in_process_text_p50(redis_url: str, turns: int = 64) -> float:
    """The text turn without the split: the gateway's turn with every service's code called
    directly in one process.

    The same steps as ``Converser.converse`` on a text turn, in the same order and with the
    same inputs: the stored-answer check, understanding and the atomic state update, the
    context of the last turns (user and advisor), credit scoring once the state asks for it,
    the generator (its dynamic batcher included) on the request the gateway would send, the
    reply into the history, then audit and the stored answer. What is missing is exactly the
    split: gRPC, TLS, protobuf between processes, the gateway's auth and per-session bound.
    """
    import torch

    from finadvisor.common.v1 import common_pb2
    from finadvisor.gateway.v1 import gateway_pb2
    from finadvisor.generator.v1 import generator_pb2
    from finadvisor.services.gateway.audit import AuditEntry, AuditLog, sha256_hex
    from finadvisor.services.gateway.converse import CONTEXT_TURNS
    from finadvisor.services.gateway.credit import CreditScorer
    from finadvisor.services.gateway.risk.model import CreditRiskModel
    from finadvisor.services.generator.engine import GeneratorEngine
    from finadvisor.services.generator.servicer import output_to_proto, request_to_input
    from finadvisor.services.state.nlu import Understanding
    from finadvisor.services.state.servicer import history_to_proto, state_to_proto
    from finadvisor.services.state.tracker import DialogueTracker
    from finadvisor.sessions import RedisStateStore, SessionSettings

    torch.set_num_threads(1)  # as the generator service runs
    models = paths.models_dir()
    nlu = await asyncio.to_thread(Understanding.load, models / "nlu")
    engine = await asyncio.to_thread(GeneratorEngine.load, models / "generator")
    credit = CreditScorer(await asyncio.to_thread(CreditRiskModel.load, models / "risk"))
    store = RedisStateStore(SessionSettings(url=redis_url))
    tracker = DialogueTracker(store, nlu)
    audit = AuditLog(store.client)
    latencies: list[float] = []
    sid = ""
    for n in range(turns + 8):
        step = n % len(DIALOGUE)
        if step == 0:
            sid = f"inproc-{uuid.uuid4().hex[:12]}"
            await store.create_session(sid, {}, {})
        start = time.perf_counter()
        rid = f"p{n}"
        text = DIALOGUE[step]
        if await store.get_response(sid, rid) is not None:
            raise RuntimeError("a fresh request id was answered before")
        applied = await tracker.apply(sid, rid, text, history_limit=CONTEXT_TURNS)
        snap = applied.result.context
        assert snap is not None
        state = state_to_proto(applied.result.state)
        assessment = None
        if credit.should_assess(state, False):
            assessment = credit.cached_state(state, snap.profile)
            if assessment is None:
                assessment = await asyncio.to_thread(credit.assess_state, state, snap.profile)
        context = []
        for h in (history_to_proto(e) for e in snap.history):
            if h.text:
                context.append(generator_pb2.ContextTurn(speaker="user", text=h.text))
            if h.reply:
                context.append(generator_pb2.ContextTurn(speaker="advisor", text=h.reply))
        gen_req = generator_pb2.GenerateRequest(context=context, state=state,
                                                findings=common_pb2.Findings(), num_beams=1,
                                                n_best=0, return_attention=True, request_id=rid)
        if assessment is not None:
            gen_req.credit.CopyFrom(assessment)
        gen = output_to_proto(await engine.generate(request_to_input(gen_req)))
        resp = gateway_pb2.ConverseResponse(reply=gen.reply, state=state, session_id=sid,
                                            request_id=rid, turn=applied.result.turn)
        resp.attention.CopyFrom(gen.attention)
        if assessment is not None:
            resp.credit.CopyFrom(assessment)
        entries = [AuditEntry(session_id=sid, request_id=rid, kind="turn",
                              input_hashes={"text": sha256_hex(text)})]
        if assessment is not None:
            entries.append(AuditEntry(session_id=sid, request_id=rid, kind="credit_decision",
                                      decision=assessment.decision))
        await asyncio.gather(  # as the gateway finishes a turn
            store.finish_turn(sid, rid, gen.reply, resp.SerializeToString()),
            audit.append_many(entries))
        if n >= 8:
            latencies.append((time.perf_counter() - start) * 1000)
    engine.close()
    await store.close()
    return float(np.percentile(latencies, 50))


def peak_rss_mb(pids: dict[str, int]) -> dict[str, float]:
    """VmHWM (peak resident set) of each service process, in MiB."""
    out: dict[str, float] = {}
    for name, pid in sorted(pids.items()):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[name] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            continue
    return out


@contextlib.asynccontextmanager
async def monolith(stack: StackHandle) -> AsyncIterator[grpc.aio.Channel]:
    """The gateway with every service in its process (``finadvisor.bench.monolith``), served on
    its own port with the stack's TLS certificate, API keys and Redis: a channel to it once it
    is SERVING; the process is stopped on leaving."""
    import os
    import sys

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from finadvisor.bench.stack import GATEWAY_LIMITS
    from finadvisor.bench.stack import StackHandle as Handle
    from finadvisor.shared.redis_local import free_port

    assert stack.home is not None
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({
        "FINADVISOR_HOME": str(stack.home), "REDIS_URL": stack.redis_url,
        "FINADVISOR_TLS_DIR": str(stack.home / "tls"),
        "FINADVISOR_CREDENTIALS_FILE": str(stack.home / "credentials" / "clients.json"),
        "FINADVISOR_GATEWAY_PORT": str(port), "FINADVISOR_GATEWAY_METRICS_PORT": "0",
        "FINADVISOR_LOG_LEVEL": "WARNING",
    })
    env.update(GATEWAY_LIMITS)  # the split stack's limits: a difference is the split's own
    proc = subprocess.Popen(  # noqa: ASYNC220 - returns once the child runs; never waited on here
        [sys.executable, "-m", "finadvisor.bench.monolith"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    handle = Handle(gateway=f"127.0.0.1:{port}", ca=stack.ca, api_key=stack.api_key)
    try:
        async with handle.channel() as channel:
            health = health_pb2_grpc.HealthStub(channel)
            deadline = time.monotonic() + 180
            while True:  # the models load first: poll readiness until SERVING, bounded
                if proc.poll() is not None:
                    raise RuntimeError("monolith exited: " + (proc.stderr.read()[-500:] if proc.stderr else ""))
                try:
                    got = await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
                    if got.status == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.aio.AioRpcError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("monolith did not become ready")
                await asyncio.sleep(0.2)
            yield channel
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


async def monolith_text(stack: StackHandle, turns: int) -> dict[str, dict[str, float]]:
    """Text turns at 1 and 8 clients against the gateway with every service in its process
    (``monolith``): the split's baseline when the turn still arrives over the network."""
    from finadvisor.bench.load import Inputs, run_load

    async with monolith(stack) as channel:
        await run_load(channel, "text", Inputs(), clients=2, turns=16)  # warm-up
        out = {}
        for clients in (1, 8):
            res = await run_load(channel, "text", Inputs(), clients, max(turns, clients * 2))
            out[str(clients)] = res.summary()
        return out
