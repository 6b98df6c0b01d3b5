"""connectors.yaml names its organization; no tenant can stop the start (issue 15, finding 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from channels.app.runtime import open_bosun
from channels.app.serve import _step_or_warn
from channels.app.settings import Settings
from channels.cli.connectors import build_runtime
from channels.http.app import create_app
from channels.services.connectors import start_connectors
from connectors import ConfigError, load_config
from records import ALL_TENANTS, register_import, system_caller
from tests.integration.test_connectors_to_records import REGISTER

SOURCES = """
sources:
  - name: engine-plc
    type: modbus
    host: 127.0.0.1
    port: 1
    unit: 1
    poll_interval_ms: 200
    registers:
      - {address: 0, table: holding, type: float32, tag: ME1_EXH_T}
"""


def _two_tenants_same_imo(tmp_path: Path) -> tuple[object, dict[str, int]]:
    reg = tmp_path / "register.yaml"
    reg.write_text(REGISTER)
    bosun = open_bosun(Settings(home=tmp_path / "home"))
    spec = register_import.load_file(reg)
    orgs: dict[str, int] = {}
    for name in ("First Co", "Second Co"):
        with bosun.db.transaction(ALL_TENANTS) as s:
            orgs[name] = register_import.resolve_organization(s, name).id
        with bosun.db.transaction(orgs[name]) as s:
            register_import.import_register(s, spec, caller=system_caller(orgs[name], "import"))
    return bosun, orgs


def test_vessel_is_looked_up_within_the_named_organization(tmp_path: Path) -> None:
    bosun, orgs = _two_tenants_same_imo(tmp_path)
    try:
        config = tmp_path / "connectors.yaml"
        config.write_text('organization: "Second Co"\nvessel: "9800001"\n' + SOURCES)
        _, sensors = build_runtime(bosun.settings, bosun.db, load_config(config))
        assert sensors.org_id == orgs["Second Co"]  # type: ignore[attr-defined]

        config.write_text('vessel: "9800001"\n' + SOURCES)
        with pytest.raises(ConfigError) as missing:
            build_runtime(bosun.settings, bosun.db, load_config(config))
        assert "organization:" in str(missing.value)

        config.write_text('organization: "Nobody"\nvessel: "9800001"\n' + SOURCES)
        with pytest.raises(ConfigError) as unknown:
            build_runtime(bosun.settings, bosun.db, load_config(config))
        assert "no organization named 'Nobody'" in str(unknown.value)
    finally:
        bosun.close()


def test_a_failing_connectors_step_is_a_warning_and_the_server_gets_ready(tmp_path: Path) -> None:
    """The step bosun up runs: two vessels for one IMO no longer keep /readyz at 503."""
    bosun, _ = _two_tenants_same_imo(tmp_path)
    try:
        config = tmp_path / "connectors.yaml"
        config.write_text('vessel: "9800001"\n' + SOURCES)
        bosun.settings.connectors_config = config
        app = create_app(bosun)
        _step_or_warn(bosun, Console(quiet=True), "connectors", lambda: start_connectors(bosun))
        bosun.startup.ready.set()
        body = TestClient(app).get("/readyz")
        assert body.status_code == 200
        assert body.json()["ready"] is True and body.json()["error"] is None
        [warning] = body.json()["warnings"]
        assert warning.startswith("connectors: ") and "organization:" in warning
        assert "connectors" not in bosun.extras
    finally:
        bosun.close()


class _HistoryIndexer:
    """Indexes fault history, except for one organization whose data makes it fail."""

    def __init__(self, bosun: object, broken_org: int) -> None:
        self.bosun, self.broken_org, self.done = bosun, broken_org, []

    def index_fault_history(self, org_id: int, vessel_id: int) -> int:
        if org_id == self.broken_org:
            raise ValueError("a passage the embedder cannot take")
        self.done.append(vessel_id)
        return 1


def test_one_tenants_fault_history_failing_is_a_warning(tmp_path: Path) -> None:
    from channels.services.knowledge import index_all_fault_history

    bosun, orgs = _two_tenants_same_imo(tmp_path)
    try:
        indexer = _HistoryIndexer(bosun, orgs["First Co"])
        warnings: list[str] = []
        assert index_all_fault_history(indexer, on_failure=warnings.append) == 1  # type: ignore[arg-type]
        [warning] = warnings
        assert "9800001" in warning and "cannot take" in warning
        assert len(indexer.done) == 1
        with pytest.raises(ValueError):
            index_all_fault_history(indexer)  # type: ignore[arg-type]
    finally:
        bosun.close()
