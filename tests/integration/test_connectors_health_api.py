"""Connector health in /v1/connectors and /metrics while a source is unreachable."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from channels.http.app import create_app
from channels.services.connectors import ConnectorsThread
from channels.services.connectors_wiring import build_runtime
from connectors import ConnectorsSettings, load_config
from records import Role
from tests import factories
from tests.integration.test_connectors_to_records import REGISTER
from tests.waiting import wait_until


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_health_shows_a_dead_source_in_the_api_and_metrics(tmp_path: Path) -> None:
    bosun = open_bosun(Settings(home=tmp_path))
    bosun.startup.ready.set()
    org_id = factories.organization(bosun.db, "Health Co")
    factories.import_register(bosun.db, org_id, REGISTER)
    crew = factories.user(bosun.db, org_id, Role.crew, name="c", email="c@x.test")
    key = factories.api_key(bosun.db, org_id, crew.id, name="t")
    config = tmp_path / "connectors.yaml"
    config.write_text(f"""
vessel: "9800001"
sources:
  - name: engine-plc
    type: modbus
    host: 127.0.0.1
    port: {_closed_port()}
    unit: 1
    poll_interval_ms: 200
    registers:
      - {{address: 0, table: holding, type: float32, tag: ME1_EXH_T}}
""")
    app = create_app(bosun)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        assert client.get("/v1/connectors", headers=headers).json() == {
            "running": False,
            "sources": [],
        }
        tuning = ConnectorsSettings(home=tmp_path, backoff_initial_s=0.05, backoff_max_s=0.2)
        runtime, _ = build_runtime(bosun.settings, bosun.db, load_config(config), tuning)
        thread = ConnectorsThread(runtime)
        thread.start()
        bosun.connectors = runtime
        app.state.metrics.add_collector(runtime.metrics_collector())
        try:

            def failing_source() -> dict[str, Any] | None:
                body = client.get("/v1/connectors", headers=headers).json()
                return body if body["sources"] and body["sources"][0]["errors"] >= 2 else None

            body = wait_until(failing_source, timeout=10, what="two connection errors reported")
            source = body["sources"][0]
            assert body["running"] is True
            assert source["name"] == "engine-plc" and source["connected"] is False
            assert source["errors"] >= 2 and source["last_error"]
            metrics = client.get("/metrics").text
            assert 'bosun_connector_connected{source="engine-plc"' in metrics
        finally:
            thread.stop()
    bosun.close()
