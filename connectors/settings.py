"""Tunables of the connectors runtime, read from BOSUN_CONNECTORS_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConnectorsSettings(BaseSettings):
    """Runtime settings; build once at the edge and pass to `ConnectorRuntime`."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_CONNECTORS_", extra="ignore")

    home: Path = Field(
        default=Path("~/.local/share/bosun").expanduser(),
        validation_alias=AliasChoices("BOSUN_HOME", "home"),
        description="Bosun's data folder; the buffer file is <home>/connectors-buffer.sqlite3.",
    )
    buffer_max_readings: Annotated[int, Field(gt=0)] = 5_000_000
    batch_size: Annotated[int, Field(gt=0)] = 2_000
    flush_interval_s: Annotated[float, Field(gt=0)] = 1.0
    replay_batch: Annotated[int, Field(gt=0)] = 5_000
    sink_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    backoff_initial_s: Annotated[float, Field(gt=0)] = 1.0
    backoff_max_s: Annotated[float, Field(gt=0)] = 60.0
    alarm_hysteresis_fraction: Annotated[float, Field(ge=0, le=0.5)] = 0.02
    running_hours_interval_s: Annotated[float, Field(ge=0)] = 60.0

    @property
    def buffer_path(self) -> Path:
        """Return the buffer file's path."""
        return self.home / "connectors-buffer.sqlite3"
