from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictors import (
    FeatureConfig,
    FrameSchemaError,
    PlantFrames,
    build_features,
    limit_monotonicity,
    parse_feature,
)
from predictors.features import feature_names

T0 = pd.Timestamp("2026-03-01", tz="UTC")
HOUR = pd.Timedelta("1h")


def tiny_plant() -> PlantFrames:
    values = [1.0, 2.0, 4.0, 8.0, 3.0, 5.0]
    readings = pd.DataFrame(
        {
            "equipment_id": "E1",
            "tag": "temp",
            "time": [T0 + i * HOUR for i in range(len(values))],
            "value": values,
        }
    )
    hours = pd.DataFrame(
        {
            "equipment_id": "E1",
            "tag": "running_hours",
            "time": [T0, T0 + 5 * HOUR],
            "value": [100.0, 105.0],
        }
    )
    return PlantFrames.build(
        readings=pd.concat([readings, hours]),
        equipment=pd.DataFrame(
            [
                {"equipment_id": "E1", "installed_at": T0 - pd.Timedelta(days=10)},
                {"equipment_id": "E1-child", "parent_id": "E1"},
            ]
        ),
        sensors=pd.DataFrame(
            [
                {"equipment_id": "E1", "tag": "temp", "low_limit": 1.5, "high_limit": 4.5},
                {"equipment_id": "E1", "tag": "running_hours"},
            ]
        ),
        faults=pd.DataFrame(
            {
                "equipment_id": ["E1", "E1-child", "E1"],
                "opened_at": [
                    T0 - pd.Timedelta(days=40),
                    T0 - pd.Timedelta(days=5),
                    T0 + 10 * HOUR,
                ],
            }
        ),
        maintenance=pd.DataFrame(
            {
                "equipment_id": ["E1", "E1"],
                "done_at": [T0 - pd.Timedelta(days=2), T0 + HOUR],
                "kind": ["preventive", "corrective"],
            }
        ),
    )


def features_at(plant: PlantFrames, at: pd.Timestamp, config: FeatureConfig) -> pd.Series:
    frame = build_features(plant, pd.DataFrame({"equipment_id": ["E1"], "as_of": [at]}), config)
    return frame.iloc[0]


def test_window_statistics_match_hand_computation() -> None:
    row = features_at(tiny_plant(), T0 + 5 * HOUR, FeatureConfig(windows=("3h",)))
    window = np.array([8.0, 3.0, 5.0])  # readings at hours 3, 4, 5: (2h, 5h]
    assert row["s__temp__last"] == 5.0
    assert row["s__temp__mean__3h"] == pytest.approx(window.mean())
    assert row["s__temp__std__3h"] == pytest.approx(window.std())
    assert row["s__temp__min__3h"] == 3.0
    assert row["s__temp__max__3h"] == 8.0
    # least-squares slope -1.5 per hour = -36 per day
    assert row["s__temp__slope__3h"] == pytest.approx(-36.0)
    assert row["s__temp__frac_above_high__3h"] == pytest.approx(2 / 3)
    assert row["s__temp__frac_below_low__3h"] == 0.0
    # outside, inside, outside: one entry into the outside region inside the window
    assert row["s__temp__crossings__3h"] == 1.0


def test_window_between_readings_and_empty_window() -> None:
    row = features_at(tiny_plant(), T0 + 4.5 * HOUR, FeatureConfig(windows=("2h", "20min")))
    assert row["s__temp__last"] == 3.0
    assert row["s__temp__mean__2h"] == pytest.approx(5.5)  # hours 3 and 4
    assert row["s__temp__slope__2h"] == pytest.approx(-5.0 * 24)
    assert np.isnan(row["s__temp__mean__20min"])  # no reading in (4h10, 4h30]
    assert np.isnan(row["s__temp__slope__20min"])
    first = features_at(tiny_plant(), T0, FeatureConfig(windows=("2h",)))
    assert first["s__temp__last"] == 1.0
    assert np.isnan(first["s__temp__slope__2h"])  # one point has no slope


def test_equipment_features_by_hand() -> None:
    row = features_at(tiny_plant(), T0 + 5 * HOUR, FeatureConfig(windows=("3h",)))
    assert row["e__age_days"] == pytest.approx(10 + 5 / 24)
    assert row["e__running_hours"] == 105.0
    # the child's fault 5 days ago counts; the one 40 days ago only in 90 days; the future not
    assert row["e__faults_30d"] == 1.0
    assert row["e__faults_90d"] == 2.0
    assert row["e__days_since_preventive"] == pytest.approx(2 + 5 / 24)
    assert row["e__days_since_corrective"] == pytest.approx(4 / 24)
    assert row["e__running_hours_since_corrective"] == pytest.approx(5.0)  # 105 - 100
    assert np.isnan(row["e__days_since_inspection"])
    assert "s__running_hours__last" not in row.index


def test_fixed_feature_list_for_scoring() -> None:
    names = ["s__temp__mean__3h", "s__missing__last", "e__faults_30d"]
    frame = build_features(
        tiny_plant(),
        pd.DataFrame({"equipment_id": ["E1"], "as_of": [T0 + 5 * HOUR]}),
        FeatureConfig(),  # windows come from the names, as when scoring a stored model
        features=names,
    )
    assert list(frame.columns) == ["equipment_id", "as_of", *names]
    assert np.isnan(frame.loc[0, "s__missing__last"])
    assert frame.loc[0, "s__temp__mean__3h"] == pytest.approx(16 / 3)


def test_feature_names_round_trip() -> None:
    spec = parse_feature("s__lube_oil__pressure__slope__24h")
    assert (spec.tag, spec.stat, spec.window) == ("lube_oil__pressure", "slope", "24h")
    assert parse_feature("e__days_since_preventive").kind == "preventive"
    assert parse_feature("e__faults_30d").kind == "30"


def test_bad_frames_and_windows_raise() -> None:
    with pytest.raises(FrameSchemaError, match="value"):
        PlantFrames.build(
            readings=pd.DataFrame({"equipment_id": ["a"], "tag": ["t"], "time": [T0]}),
            equipment=pd.DataFrame({"equipment_id": ["a"]}),
        )
    with pytest.raises(FrameSchemaError, match="positive duration"):
        FeatureConfig(windows=("yesterday",))


def test_limit_monotonicity_follows_the_sensor_limits() -> None:
    frames = PlantFrames.build(
        readings=pd.DataFrame(
            {"equipment_id": "E", "tag": ["p", "t", "v", "f"], "time": T0, "value": 1.0}
        ),
        equipment=pd.DataFrame({"equipment_id": ["E"]}),
        sensors=pd.DataFrame(
            {
                "equipment_id": "E",
                "tag": ["p", "t", "v", "f"],
                "low_limit": [3.5, None, 1.0, None],
                "high_limit": [None, 95.0, 9.0, None],
            }
        ),
    )
    names = feature_names(["f", "p", "t", "v"], FeatureConfig(), limit_tags={"p", "t", "v"})
    directions = limit_monotonicity(frames, [*names, "e__age_days"])
    assert directions["s__p__last"] == -1 and directions["s__p__min__24h"] == -1
    assert directions["s__p__slope__7d"] == -1  # falling pressure only raises the risk
    assert directions["s__t__max__7d"] == 1 and directions["s__t__mean__24h"] == 1
    assert directions["s__p__frac_below_low__24h"] == 1 and directions["s__t__crossings__7d"] == 1
    assert directions["s__v__frac_above_high__7d"] == 1
    # two-sided and unlimited sensors, spreads and equipment features stay free
    free = ["s__v__last", "s__v__mean__24h", "s__f__last", "s__p__std__7d", "e__age_days"]
    assert not set(free) & set(directions)
