"""Prometheus metrics, served on a port of their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)

RPC_REQUESTS = Counter(
    "finadvisor_rpc_requests_total", "RPCs handled", ["service", "method", "code"],
    registry=REGISTRY,
)
RPC_LATENCY = Histogram(
    "finadvisor_rpc_latency_seconds", "RPC handling time", ["service", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
RPC_IN_FLIGHT = Gauge(
    "finadvisor_rpc_in_flight", "RPCs being handled", ["service"], registry=REGISTRY
)
HTTP_REQUESTS = Counter(
    "finadvisor_http_requests_total", "HTTP requests served", ["service", "route", "status"],
    registry=REGISTRY,
)
GENERATOR_BATCH_SIZE = Histogram(
    "finadvisor_generator_batch_size", "Requests decoded together by the generator's batcher",
    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32, 64), registry=REGISTRY,
)
READY = Gauge("finadvisor_ready", "1 when the service is SERVING", ["service"], registry=REGISTRY)


def serve_metrics(port: int, host: str = "127.0.0.1") -> int:
    """Start the metrics endpoint (0 = off); return the port."""
    if port <= 0:
        return 0
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return server.server_port
