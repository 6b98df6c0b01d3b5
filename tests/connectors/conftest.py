from __future__ import annotations

import socket
from pathlib import Path

import pytest

from connectors import ConnectorsSettings
from tests.conftest import skip_or_fail


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def settings(tmp_path: Path) -> ConnectorsSettings:
    return ConnectorsSettings(
        home=tmp_path,
        flush_interval_s=0.05,
        backoff_initial_s=0.05,
        backoff_max_s=0.4,
        sink_timeout_s=2.0,
        running_hours_interval_s=0.0,
    )


@pytest.fixture
def mosquitto() -> tuple[str, int]:
    if not reachable("127.0.0.1", 1883):
        skip_or_fail(
            "mosquitto", "Mosquitto is not listening on 127.0.0.1:1883 (start it: mosquitto -d)"
        )
    return ("127.0.0.1", 1883)
