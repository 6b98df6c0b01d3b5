"""Backfilled history → features from records → XGBoost model in the registry → predictions."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from channels.demo.history import write_history
from channels.services.predictors import load_frames, measurement_keys, score_vessel, train_class
from connectors import load_register, simulate_history
from records import (
    Sensor,
    model_registry,
    register,
    system_caller,
)
from tests import factories
from tests.integration.test_connectors_to_records import REGISTER

pytestmark = pytest.mark.slow


def test_train_registers_a_model_and_scoring_writes_predictions(tmp_path: Path) -> None:
    reg = tmp_path / "register.yaml"
    reg.write_text(REGISTER)
    bosun = open_bosun(Settings(home=tmp_path))
    org_id = factories.organization(bosun.db, "Train Co")
    vessel_id = factories.import_register(bosun.db, org_id, REGISTER).vessel_id
    history = simulate_history(
        load_register(reg), days=120, seed=3, mean_days_between_degradations=12
    )
    written = write_history(bosun.db, org_id, vessel_id, history)
    assert written.faults >= 4 and written.readings > 50_000
    caller = system_caller(org_id, "test")

    frames = load_frames(bosun, caller, vessel_id, equipment_class="main_engine")
    assert set(frames.readings["equipment_id"]) == {"601.1"}
    assert "running_hours" in set(frames.readings["tag"])

    outcome = train_class(bosun, caller, vessel_id, "main_engine", horizon="7d", progress=False)
    # The seeded history has enough failures to train on: a refusal here is a failure.
    assert outcome.problem is None, f"training refused the simulated history: {outcome.problem}"
    assert outcome.version == 1 and outcome.metrics and "pr_auc" in outcome.metrics
    assert score_vessel(bosun, caller, vessel_id) >= 1
    with bosun.db.transaction(caller) as s:
        me1 = register.get_equipment_by_code(s, caller, vessel_id, "601.1")
        prediction = model_registry.latest_prediction(s, caller, me1.id)
        assert prediction is not None and 0.0 <= prediction.risk <= 1.0
        assert prediction.factors and all("text" in f for f in prediction.factors)
        active = model_registry.active_model(s, caller, "main_engine")
        assert active is not None and Path(active.artifact_path).exists()
    second = train_class(bosun, caller, vessel_id, "main_engine", horizon="7d", progress=False)
    assert second.version == 2
    with bosun.db.transaction(caller) as s:
        assert model_registry.roll_back(s, caller, "main_engine").version == 1
    bosun.close()


def test_sister_equipment_share_measurement_keys() -> None:
    def sensor(id_: int, equipment: int, tag: str, name: str, counter: str | None = None) -> Sensor:
        return Sensor(id=id_, equipment_id=equipment, tag=tag, name=name, counter=counter)

    keys = measurement_keys(
        [
            sensor(1, 10, "ME1_LO_P", "Lube oil pressure"),
            sensor(2, 20, "ME2_LO_P", "Lube oil pressure"),
            sensor(3, 10, "ME1_RH", "Running hours", counter="running_hours"),
            sensor(4, 10, "ME1_EGT_A", "Exhaust gas temp."),
            sensor(5, 10, "ME1_EGT_B", "Exhaust gas temp."),
        ]
    )
    assert keys[1] == keys[2] == "lube_oil_pressure"  # one feature for both engines
    assert keys[3] == "running_hours"
    assert (keys[4], keys[5]) == ("ME1_EGT_A", "ME1_EGT_B")  # ambiguous on one unit: tags
