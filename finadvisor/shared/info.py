"""ServiceInfo messages (GetInfo RPC of every service)."""

from __future__ import annotations

from collections.abc import Mapping

from finadvisor import __version__
from finadvisor.common.v1 import common_pb2


def service_info(
    name: str,
    model_versions: Mapping[str, str] | None = None,
    capabilities: Mapping[str, tuple[bool, str]] | None = None,
) -> common_pb2.ServiceInfo:
    return common_pb2.ServiceInfo(
        name=name,
        version=__version__,
        model_versions=dict(model_versions or {}),
        capabilities=[
            common_pb2.Capability(name=k, available=ok, detail=detail)
            for k, (ok, detail) in sorted((capabilities or {}).items())
        ],
    )
