from __future__ import annotations

import numpy as np
import pandas as pd

from predictors import PlantFrames, failure_labels, rul_labels

T0 = pd.Timestamp("2026-01-01", tz="UTC")
DAY = pd.Timedelta(days=1)


def plant() -> PlantFrames:
    readings = pd.DataFrame(
        {"equipment_id": "M1", "tag": "x", "time": [T0 + i * DAY for i in range(61)], "value": 1.0}
    )
    return PlantFrames.build(
        readings=readings,
        equipment=pd.DataFrame({"equipment_id": ["M1", "M1-pump"], "parent_id": [None, "M1"]}),
        faults=pd.DataFrame(
            {
                "equipment_id": ["M1-pump", "M1"],
                "opened_at": [T0 + 20 * DAY, T0 + 40 * DAY],
                "is_failure": [True, False],
            }
        ),
    )


def grid(days: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"equipment_id": "M1", "as_of": [T0 + d * DAY for d in days]})


def test_child_failure_within_horizon_labels_parent() -> None:
    out = failure_labels(plant(), grid([0, 5, 6, 19, 20, 30, 46, 50]), horizon="14d")
    by_day = dict(zip((out["as_of"] - T0).dt.days, out["label"], strict=True))
    # failure at day 20: (t, t+14] holds it for t in [6, 19]; the non-failure fault never counts
    assert by_day == {0: 0, 5: 0, 6: 1, 19: 1, 20: 0, 30: 0, 46: 0}
    # day 50 + 14 runs past the last reading (day 60): unknown, dropped


def test_censored_rows_kept_as_nan_when_asked() -> None:
    out = failure_labels(plant(), grid([50]), horizon="14d", drop_censored=False)
    assert np.isnan(out["label"].iloc[0])


def test_remaining_useful_life_and_cap() -> None:
    out = rul_labels(plant(), grid([0, 15, 20, 25]), cap_days=18)
    assert list(out["rul_days"]) == [18.0, 5.0, 0.0]  # day 25 has no later failure


def test_rows_while_the_equipment_is_down_have_no_label() -> None:
    frames = plant()
    faults = frames.faults.assign(resolved_at=[T0 + 23 * DAY, pd.NaT])
    down = PlantFrames.build(readings=frames.readings, equipment=frames.equipment, faults=faults)
    out = failure_labels(down, grid([19, 20, 22, 23, 30]), horizon="14d", drop_censored=False)
    by_day = dict(zip((out["as_of"] - T0).dt.days, out["label"], strict=True))
    # failed on day 20, back in service on day 23: days 20-22 are neither at risk nor healthy
    assert by_day[19] == 1 and by_day[23] == 0 and by_day[30] == 0
    assert np.isnan(by_day[20]) and np.isnan(by_day[22])
    kept = failure_labels(down, grid([19, 20, 22, 23, 30]), horizon="14d")
    assert sorted((kept["as_of"] - T0).dt.days) == [19, 23, 30]
