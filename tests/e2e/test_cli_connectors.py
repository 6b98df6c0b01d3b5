"""`bosun connectors check` and `bosun simulate` as commands."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BOSUN = str(Path(sys.executable).with_name("bosun"))
ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "records" / "demo" / "register.yaml"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOSUN_HOME": str(home)}
    env.pop("BOSUN_DATABASE_URL", None)
    return subprocess.run([BOSUN, *args], env=env, capture_output=True, text=True, timeout=180)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_check_against_the_simulator_then_a_dead_source_and_an_unknown_tag(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    assert run(home, "import", "register", str(REGISTER)).returncode == 0
    config = tmp_path / "connectors.yaml"
    env = {**os.environ, "BOSUN_HOME": str(home)}
    sim = subprocess.Popen(
        [
            BOSUN,
            "simulate",
            "--register",
            str(REGISTER),
            "--connectors-out",
            str(config),
            "--opcua-port",
            "0",
            "--modbus-port",
            "0",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sim.stdout is not None
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and line.strip() != "ready":
            line = sim.stdout.readline()
        assert line.strip() == "ready"
        good = run(home, "connectors", "check", str(config))
        assert good.returncode == 0, good.stdout + good.stderr
        assert "all sources and tags answered" in good.stdout
    finally:
        sim.send_signal(signal.SIGINT)
        sim.wait(20)

    dead = tmp_path / "dead.yaml"
    dead.write_text(f"""
vessel: "9700001"
sources:
  - name: engine-plc
    type: modbus
    host: 127.0.0.1
    port: {closed_port()}
    registers:
      - {{address: 0, type: float32, tag: ME1_EXH_T}}
""")
    failed = run(home, "connectors", "check", str(dead), "--timeout", "2")
    assert failed.returncode == 1 and "source failed" in failed.stdout

    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(dead.read_text().replace("ME1_EXH_T", "NO_SUCH_TAG"))
    refused = run(home, "connectors", "check", str(unknown))
    assert refused.returncode == 1 and "NO_SUCH_TAG" in refused.stderr
