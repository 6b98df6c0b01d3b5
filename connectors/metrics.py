"""Prometheus metrics of the connectors, collected from health snapshots at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from connectors.models import SourceHealth


class ConnectorsCollector(Collector):
    """A prometheus_client collector reading `health()` on every scrape."""

    def __init__(self, health: Callable[[], Iterable[SourceHealth]]) -> None:
        self._health = health

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """Yield one family per health field, labelled by source and type."""
        labels = ["source", "type"]
        up = GaugeMetricFamily(
            "bosun_connector_connected", "1 when the source is connected", labels=labels
        )
        last = GaugeMetricFamily(
            "bosun_connector_last_value_timestamp_seconds", "time of the last value", labels=labels
        )
        reads = CounterMetricFamily("bosun_connector_reads", "values read", labels=labels)
        errors = CounterMetricFamily("bosun_connector_errors", "source errors", labels=labels)
        reconnects = CounterMetricFamily(
            "bosun_connector_reconnects", "reconnections", labels=labels
        )
        depth = GaugeMetricFamily(
            "bosun_connector_buffer_depth", "readings waiting in the durable buffer", labels=labels
        )
        dropped = CounterMetricFamily(
            "bosun_connector_dropped", "readings dropped by the buffer bound", labels=labels
        )
        for h in self._health():
            lv = [h.name, h.type]
            up.add_metric(lv, 1.0 if h.connected else 0.0)
            if h.last_value_time is not None:
                last.add_metric(lv, h.last_value_time.timestamp())
            reads.add_metric(lv, h.reads)
            errors.add_metric(lv, h.errors)
            reconnects.add_metric(lv, h.reconnects)
            depth.add_metric(lv, h.buffer_depth)
            dropped.add_metric(lv, h.dropped)
        yield from (up, last, reads, errors, reconnects, depth, dropped)
