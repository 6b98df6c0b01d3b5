"""The AI4I evaluation derives its physics features by hand-checkable formulas, never leaks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from eval.predictors_ai4i import CANDIDATES, FORBIDDEN, TARGET, load

HEADER = (
    "UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],"
    "Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF"
)
ROWS = [
    "1,L47181,L,298.0,306.0,1300,50.0,230,1,0,1,0,1,0",
    "2,H29424,H,300.0,310.0,1500,20.0,10,1,0,0,1,0,0",
]


@pytest.fixture()
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "ai4i2020.csv"
    path.write_text("\r\n".join([HEADER, *ROWS]) + "\r\n")
    return path


def test_margins_follow_the_documented_limits(csv: Path) -> None:
    data = load(str(csv))
    overstrained, underpowered = data.iloc[0], data.iloc[1]
    # Row 1: 8.0 K difference (< 8.6) and 1300 rpm (< 1380): heat dissipation region.
    assert overstrained["hdf_margin"] == pytest.approx(max(8.0 - 8.6, (1300 - 1380) / 100))
    assert overstrained["hdf_margin"] < 0
    # 230 min x 50 Nm = 11,500 above the type-L limit of 11,000.
    assert overstrained["strain_min_nm"] == pytest.approx(11_500)
    assert overstrained["osf_margin"] == pytest.approx(11_500 / 11_000 - 1)
    power = 50.0 * 1300 * 2 * math.pi / 60
    assert overstrained["power_w"] == pytest.approx(power)
    assert overstrained["pwf_margin"] == pytest.approx(min(power - 3500, 9000 - power) / 1000)
    # Row 2: 20 Nm at 1500 rpm is about 3142 W, below the 3500 W band: power region.
    assert underpowered["pwf_margin"] == pytest.approx(
        (20.0 * 1500 * 2 * math.pi / 60 - 3500) / 1000
    )
    assert underpowered["pwf_margin"] < 0
    assert underpowered["hdf_margin"] == pytest.approx(10.0 - 8.6)
    assert underpowered["osf_margin"] == pytest.approx(200 / 13_000 - 1)


def test_no_candidate_uses_a_leaking_column(csv: Path) -> None:
    data = load(str(csv))
    assert not set(FORBIDDEN) & set(data.columns)
    for cand in CANDIDATES:
        assert TARGET not in cand["features"]
        assert set(cand["features"]) <= set(data.columns)
