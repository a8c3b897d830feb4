"""The session store on Redis: a standalone server, a Cluster or a Sentinel-managed master.

- Async all the way (``redis.asyncio``); no blocking Redis call inside the event loop.
- No ``KEYS``/``SCAN`` on the serving path: every key name of a session is derived from its id
  (:func:`session_keys`), so erasure deletes exactly those names.
- Bounded everything: the turn history, the request-id window used for idempotency, the stored
  gateway responses and the global index of recent sessions are trimmed on every write.
- Each write is ONE Lua script (``scripts/*.lua``) over keys that share the hash tag
  ``{<session_id>}``: a turn is applied atomically and on a single Cluster slot. Scripts run by
  EVALSHA and fall back to EVAL on NOSCRIPT (a restarted or failed-over node has an empty cache).
- Redis down or slow -> :class:`StoreUnavailableError` within ``op_timeout_s``: short socket
  timeouts, one reconnect retry, and an overall deadline per operation. Retrying a turn after
  such an error is safe because ``apply_turn`` is idempotent by ``request_id``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from finadvisor.sessions.base import StateStore
from finadvisor.sessions.config import SessionSettings
from finadvisor.sessions.pipeline import AutoPipeline
from finadvisor.sessions.scripts import Script
from finadvisor.sessions.types import (
    INDEX_KEY,
    PROFILE_TURN,
    SLOT_FIELD_PREFIX,
    SessionListing,
    SessionSnapshot,
    SessionState,
    TurnInput,
    TurnResult,
    dumps,
    flat_to_dict,
    now_ms,
    session_keys,
    snapshot_from,
    state_from_hash,
    to_str,
)
from finadvisor.sessions.urls import STANDALONE_SCHEMES, build_client
from finadvisor.shared.errors import SessionNotFoundError, StoreUnavailableError

#: The error the scripts raise for a session that does not exist (or expired).
_NO_SESSION = "FA_NOSESSION"
T = TypeVar("T")


def turn_payload(turn: TurnInput) -> str:
    """The JSON the apply script reads as ARGV[2] (the benchmark sends the same bytes)."""
    return dumps(
        {
            "text": turn.text,
            "text_source": turn.text_source,
            "intent": turn.intent,
            "intent_confidence": float(turn.intent_confidence),
            "timestamp_ms": turn.timestamp_ms,
            "updates": [
                {
                    "slot": u.slot,
                    "value": u.value,
                    "confidence": float(u.confidence),
                    "source": u.source,
                    **({} if u.turn is None else {"turn": u.turn}),
                }
                for u in turn.updates
            ],
        }
    )


class RedisStateStore(StateStore):
    """The store on a standalone Redis, a Redis Cluster or a Sentinel-managed master."""

    def __init__(self, config: SessionSettings, client: Any | None = None) -> None:
        super().__init__(config)
        own_client = client
        if client is None:
            client, self._sentinel = build_client(config)
        else:
            self._sentinel = None
        self._client = client
        self._create = Script.named("create")
        self._apply = Script.named("apply")
        self._reply = Script.named("record_reply")
        self._get = Script.named("get")
        self._erase_script = Script.named("erase")
        self._store_resp = Script.named("store_response")
        self._get_resp = Script.named("get_response")
        self._finish = Script.named("finish_turn")
        self._index = Script.named("index_touch")
        self._index_touched: OrderedDict[str, float] = OrderedDict()
        from redis import exceptions as rx

        self._rx = rx
        # Auto-pipelining on a standalone Redis; a cluster client routes each call itself.
        scheme = urlsplit(config.url).scheme.lower()
        self._pipeline: AutoPipeline | None = None
        self._pipeline_client: Any = None
        if config.auto_pipeline and scheme in STANDALONE_SCHEMES:
            # A pool of its own without a per-read socket timer: every pipeline is bounded by
            # op_timeout_s as a whole, and a cancelled read drops its connection.
            self._pipeline_client = (own_client if own_client is not None
                                     else build_client(config, read_timeout=False)[0])
            self._pipeline = AutoPipeline(self._pipeline_client, config.op_timeout_s)

    def _eval(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Awaitable[Any]:
        """Run one script: through the auto-pipeline when there is one, else on its own."""
        if self._pipeline is not None:
            return self._pipeline.call(script, keys, args)
        return script(self._client, keys, args)

    def run_script(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Awaitable[Any]:
        """Run one Lua script of a caller beside the store (the gateway's limits and audit
        index) the way the store runs its own: through the auto-pipeline when there is one,
        so it shares the store's round trips instead of paying one of its own. Redis errors
        come back as they are (the caller maps them)."""
        return self._eval(script, keys, args)

    @property
    def client(self) -> Any:
        """The underlying ``redis.asyncio`` client (tests inspect keys through it)."""
        return self._client

    async def _call(self, op: Callable[[], Awaitable[T]], pipelined: bool = False) -> T:
        """Run one store operation under the deadline, mapping backend errors.

        ``pipelined``: the operation's Redis calls all go through the auto-pipeline, which
        bounds every round trip by ``op_timeout_s`` itself; a second timer per call is skipped
        (it was a fifth of a turn's Python time in the store benchmark).
        """
        rx = self._rx
        try:
            if pipelined and self._pipeline is not None:
                return await op()
            async with asyncio.timeout(self.config.op_timeout_s):
                return await op()
        except TimeoutError:
            raise StoreUnavailableError("session store timed out") from None
        except (rx.ClusterDownError, rx.TryAgainError, rx.ReadOnlyError) as exc:
            raise StoreUnavailableError("session store unavailable") from exc
        except rx.ResponseError as exc:
            if _NO_SESSION in str(exc):
                raise SessionNotFoundError("session not found") from None
            raise
        except (rx.ConnectionError, rx.TimeoutError, rx.RedisClusterException, OSError) as exc:
            raise StoreUnavailableError("session store unavailable") from exc

    async def ping(self) -> bool:
        try:
            return bool(await self._call(self._client.ping))
        except Exception:  # noqa: BLE001 - health must answer, not raise
            return False

    async def close(self) -> None:
        clients = [self._client]
        if self._pipeline_client is not None and self._pipeline_client is not self._client:
            clients.append(self._pipeline_client)
        if self._sentinel is not None:
            clients += list(self._sentinel.sentinels)
        for c in clients:
            closer = getattr(c, "aclose", None) or c.close
            await closer()

    def _index_due(self, session_id: str) -> bool:
        """True when this session's turns have not refreshed the index lately (bounded memory)."""
        now = time.monotonic()
        last = self._index_touched.get(session_id)
        if last is not None and now - last < self.config.index_refresh_s:
            return False
        self._index_touched[session_id] = now
        self._index_touched.move_to_end(session_id)
        while len(self._index_touched) > 100_000:
            self._index_touched.popitem(last=False)
        return True

    async def _touch_index(self, session_id: str, now_ms: int) -> None:
        if self.config.index_max == 0:
            return
        await self._eval(
            self._index,
            [INDEX_KEY],
            [session_id, now_ms, self.config.index_max, self.config.ttl_s * 1000],
        )

    async def _create_session(
        self, session_id: str, profile: dict[str, str], profile_slots: dict[str, str], now_ms: int
    ) -> SessionState:
        args: list[Any] = [self.config.ttl_s * 1000, now_ms, dumps(profile)]
        for slot, value in sorted(profile_slots.items()):
            record = {"value": value, "confidence": 1.0, "source": "backend", "turn": PROFILE_TURN}
            args += [SLOT_FIELD_PREFIX + slot, dumps(record)]

        async def op() -> SessionState:
            created, flat = await self._eval(self._create, session_keys(session_id), args)
            if created:
                await self._touch_index(session_id, now_ms)
            return state_from_hash(flat_to_dict(flat))

        return await self._call(op)

    async def _apply_turn(self, turn: TurnInput, history_limit: int = 0) -> TurnResult:
        payload = turn_payload(turn)
        args = [
            turn.request_id,
            payload,
            self.config.ttl_s * 1000,
            self.config.history_max,
            self.config.request_window,
        ]
        if history_limit:
            args.append(history_limit)

        async def op() -> TurnResult:
            replayed, raw, *context = await self._eval(self._apply, session_keys(turn.session_id),
                                                       args)
            if not replayed and self._index_due(turn.session_id):
                await self._touch_index(turn.session_id, int(turn.timestamp_ms or now_ms()))
            result = json.loads(to_str(raw))
            h = result["h"] if isinstance(result["h"], dict) else {}
            state = state_from_hash(h)
            snapshot = None
            if context:
                history, profile_json, created_ms, pttl = context
                snapshot = snapshot_from(state, history, profile_json, created_ms, pttl)
            return TurnResult(state=state, turn=int(result["turn"]), replayed=bool(replayed),
                              context=snapshot)

        return await self._call(op, pipelined=True)

    async def _record_reply(
        self, session_id: str, request_id: str, reply: str, degraded: list[str], image_type: str,
        acts_json: str = "[]",
    ) -> bool:
        args = [request_id, reply, dumps(degraded), image_type, self.config.ttl_s * 1000,
                acts_json]

        async def op() -> bool:
            return bool(await self._eval(self._reply, session_keys(session_id), args))

        return await self._call(op, pipelined=True)

    async def _finish_turn(self, session_id: str, request_id: str, reply: str,
                           degraded: list[str], image_type: str, payload: bytes,
                           acts_json: str = "[]") -> bool:
        args = [request_id, reply, dumps(degraded), image_type, self.config.ttl_s * 1000,
                payload, self.config.request_window, acts_json]

        async def op() -> bool:
            return bool(await self._eval(self._finish, session_keys(session_id), args))

        return await self._call(op, pipelined=True)

    async def _get_state(self, session_id: str, history_limit: int) -> SessionSnapshot:
        keys = session_keys(session_id)[:3]

        async def op() -> SessionSnapshot:
            flat_state, flat_meta, history, pttl = await self._eval(
                self._get, keys, [history_limit]
            )
            meta = flat_to_dict(flat_meta)
            return snapshot_from(state_from_hash(flat_to_dict(flat_state)), history,
                             meta.get("profile") or "{}", meta.get("created_ms") or 0, pttl)

        return await self._call(op, pipelined=True)

    async def _erase(self, session_id: str) -> int:
        async def op() -> int:
            deleted = int(await self._eval(self._erase_script, session_keys(session_id), []))
            await self._client.zrem(INDEX_KEY, session_id)
            return deleted

        return await self._call(op)

    async def _list_sessions(self, limit: int) -> list[SessionListing]:
        if limit == 0:
            return []
        min_score = now_ms() - self.config.ttl_s * 1000

        async def op() -> list[SessionListing]:
            rows = await self._client.zrevrangebyscore(
                INDEX_KEY, "+inf", min_score, start=0, num=limit, withscores=True
            )
            return [SessionListing(to_str(m), int(score)) for m, score in rows]

        return await self._call(op)

    async def _store_response(self, session_id: str, request_id: str, payload: bytes) -> None:
        args = [request_id, payload, self.config.ttl_s * 1000, self.config.request_window]

        async def op() -> None:
            await self._eval(self._store_resp, session_keys(session_id), args)

        await self._call(op)

    async def _get_response(self, session_id: str, request_id: str) -> bytes | None:
        keys = session_keys(session_id)
        meta, responses = keys[1], keys[5]

        async def op() -> bytes | None:
            (payload,) = await self._eval(self._get_resp, [meta, responses], [request_id])
            return payload if payload else None

        return await self._call(op, pipelined=True)


