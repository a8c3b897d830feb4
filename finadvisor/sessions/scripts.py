"""The Lua scripts of the session store, loaded from ``scripts/*.lua`` (package data): the
store's turn logic, and the scripts the gateway runs on a session's keys (turn slot, rate
limits, audit log), so every script that touches those keys lives here.

The scripts ARE the turn logic: each write is one script over keys that share the hash tag
``{<session_id>}``, so a turn is applied atomically and on a single Cluster slot. Every script
checks before it writes (a Lua error after a write would leave a partial change) and refreshes
the TTL of all seven keys after any write so they expire together.

A script file may start with ``-- requires: a b``: the fragments ``a.lua`` and ``b.lua`` (local
Lua functions shared by several scripts) are put before it, in that order.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

_REQUIRES = "-- requires:"

#: The scripts the store runs (a file each under scripts/); fragments are not listed.
STORE_SCRIPT_NAMES = ("create", "apply", "record_reply", "finish_turn", "get", "erase",
                      "store_response", "get_response", "index_touch")
#: The scripts the gateway runs on a session's keys and beside them: the per-client rate
#: limit, the turn slot (owner, turn rate, turns in flight) and the audit log's writes.
GATEWAY_SCRIPT_NAMES = ("token_bucket", "turn_slot", "release_turn", "audit_index",
                        "audit_append")
#: Every script run on the keys of :mod:`finadvisor.sessions.types`.
SCRIPT_NAMES = STORE_SCRIPT_NAMES + GATEWAY_SCRIPT_NAMES


def _read(name: str) -> str:
    return (resources.files("finadvisor.sessions") / "scripts" / f"{name}.lua").read_text("utf-8")


@functools.cache
def script_source(name: str) -> str:
    """The full source of script ``name``: its required fragments, then its own body."""
    if name not in SCRIPT_NAMES:
        raise KeyError(f"no session store script named {name!r}")
    body = _read(name)
    first = body.split("\n", 1)[0]
    fragments = first[len(_REQUIRES):].split() if first.startswith(_REQUIRES) else []
    return "".join(_read(f) for f in fragments) + body


class Script:
    """A Lua script run by EVALSHA, falling back to EVAL (which also caches it) on NOSCRIPT.

    EVAL rather than SCRIPT LOAD for the fallback: on a cluster it is routed by the keys to the
    node that needs the script, and it runs the script in the same round trip.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        # SHA-1 is what EVALSHA names a script by, not a security measure.
        self.sha = hashlib.sha1(source.encode("utf-8"), usedforsecurity=False).hexdigest()

    @classmethod
    def named(cls, name: str) -> Script:
        """The script ``name`` (one of :data:`SCRIPT_NAMES`)."""
        return cls(script_source(name))

    async def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)


#: Runs one Lua script: ``(script, keys, args)`` -> its reply. ``RedisStateStore.run_script``
#: is one (through the store's auto-pipeline); ``run_on(client)`` is the plain one.
ScriptRunner = Callable[[Script, Sequence[str], Sequence[Any]], Awaitable[Any]]


def run_on(client: Any) -> ScriptRunner:
    """A runner that sends each script as one call on ``client``."""

    def run(script: Script, keys: Sequence[str], args: Sequence[Any]) -> Awaitable[Any]:
        return script(client, keys, args)

    return run
