"""Prometheus metrics: requests by route and status, job runner stats, extra gauges."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.app.runtime import Bosun

UNMATCHED = "unmatched"


class _RuntimeCollector(Collector):
    """Reads the job runner's counters and readiness at scrape time."""

    def __init__(self, bosun: Bosun) -> None:
        self.bosun = bosun

    def collect(self) -> Iterator[Metric]:
        stats = self.bosun.runner.stats
        for name, doc, value in (
            ("bosun_jobs_submitted", "Jobs submitted to the runner.", stats.submitted),
            ("bosun_jobs_succeeded", "Jobs that finished without error.", stats.succeeded),
            ("bosun_jobs_failed", "Jobs that raised an error.", stats.failed),
        ):
            yield CounterMetricFamily(name, doc, value=value)
        yield GaugeMetricFamily(
            "bosun_ready",
            "1 when first-start work is done, else 0.",
            value=1.0 if self.bosun.startup.ready.is_set() else 0.0,
        )


class ApiMetrics:
    """One app's metrics registry; other packages add their gauges through it."""

    def __init__(self, bosun: Bosun) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = _counter(self.registry)
        self.latency = _histogram(self.registry)
        self.registry.register(_RuntimeCollector(bosun))
        self._gauges: dict[str, Gauge] = {}

    def gauge(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Gauge:
        """Return the gauge of this name, creating it in this app's registry."""
        if name not in self._gauges:
            self._gauges[name] = Gauge(
                name, documentation, labelnames=labelnames, registry=self.registry
            )
        return self._gauges[name]

    def gauge_function(self, name: str, documentation: str, read: Callable[[], float]) -> Gauge:
        """Add a gauge whose value is read from a function at scrape time."""
        gauge = self.gauge(name, documentation)
        gauge.set_function(read)
        return gauge

    def add_collector(self, collector: Collector) -> None:
        """Register a custom collector (several metrics read at scrape time)."""
        self.registry.register(collector)

    def render(self) -> tuple[bytes, str]:
        """Return the exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


def _counter(registry: CollectorRegistry) -> Counter:
    return Counter(
        "bosun_http_requests",
        "HTTP requests by method, route template and status.",
        ("method", "route", "status"),
        registry=registry,
    )


def _histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "bosun_http_request_duration_seconds",
        "HTTP request latency by method and route template.",
        ("method", "route"),
        registry=registry,
    )


class MetricsMiddleware:
    """Time every HTTP request and count it by route template and status."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: ApiMetrics,
        resolve: Callable[[Scope], str | None] = lambda _scope: None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.resolve = resolve

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, then record it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            # path_format: the template without convertors ({fault_id}, not {fault_id:id}).
            path = getattr(route, "path_format", None) or getattr(route, "path", None)
            template = path or self.resolve(scope) or UNMATCHED
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - start)
