from __future__ import annotations

import pandas as pd
import pytest

from predictors import FeatureConfig, PredictorSettings


def test_settings_read_the_bosun_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOSUN_PREDICTORS_HORIZON", "7d")
    monkeypatch.setenv("BOSUN_PREDICTORS_WINDOWS", '["12h", "3d"]')
    monkeypatch.setenv("BOSUN_PREDICTORS_MIN_FAILURES", "8")
    settings = PredictorSettings()
    assert settings.horizon == "7d"
    assert settings.feature_config().windows == ("12h", "3d")
    assert settings.train_config().min_positive == 8
    assert settings.feature_config().history_needed() == pd.Timedelta(days=3)


def test_feature_config_round_trips_through_json_dict() -> None:
    config = FeatureConfig(windows=("6h",), baseline="10d", maintenance_kinds=("overhaul",))
    assert FeatureConfig.from_dict(config.to_dict()) == config
