"""`bosun up` on a home with two organizations whose vessels share an IMO (issue 15).

One real server start, as an operator would run it: environment notice routes are refused
with the reason (1), the connectors step that cannot tell the vessels apart is a warning
and the server still gets ready (2), nothing under the home is readable by others (3), and
the CLI reaches the server with one key per organization (5).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from channels.app.home_files import loose_files
from tests.e2e.bosun_process import bosun_env, bosun_up, cli, free_port, wait_for

pytestmark = pytest.mark.slow

REGISTER = """organization: {org}
vessel: {{name: MV Twin, imo: "9811234", type: PSV}}
equipment:
  - code: "601"
    name: Main engines
    sensors:
      - {{tag: ME1_EXH_T, name: Exhaust gas temperature, unit: degC, high: 480}}
"""
CONNECTORS = """vessel: "9811234"
sources:
  - name: engine-plc
    type: modbus
    host: 127.0.0.1
    port: {port}
    unit: 1
    registers:
      - {{address: 0, table: holding, type: float32, tag: ME1_EXH_T}}
"""


def test_two_tenants_one_imo_cannot_stop_the_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = bosun_env(home, BOSUN_EMBEDDER="torch")
    for org in ("First Co", "Second Co"):
        register = tmp_path / f"{org.split()[0]}.yaml"
        register.write_text(REGISTER.format(org=org))
        done = cli(home, "import", "register", str(register), env=env)
        assert done.returncode == 0, done.stderr
    (home / "connectors.yaml").write_text(CONNECTORS.format(port=free_port()))
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    refused = cli(
        home, "up", "--no-demo", "--port", str(port),
        env={**env, "BOSUN_SLACK_NOTIFY": '{"*": "C0123ABC"}'},
    )  # fmt: skip
    assert refused.returncode != 0
    assert "BOSUN_SLACK_NOTIFY" in refused.stderr and "one organization" in refused.stderr

    with bosun_up(home, port, "--no-demo", env=env) as (proc, log):
        ready = wait_for(f"{base}/readyz", 300, proc, log).json()
        assert ready["ready"] is True and ready["error"] is None, ready
        [warning] = ready["warnings"]
        assert warning.startswith("connectors:") and "organization:" in warning, ready

        assert loose_files(home) == [], "everything under the home is the owner's alone"
        keys = sorted((home / "cli-keys").glob("*.key"))
        assert len(keys) == 2
        orgs = set()
        for key in keys:
            me = httpx.get(
                f"{base}/v1/me", headers={"Authorization": f"Bearer {key.read_text()}"}
            ).json()
            assert me["role"] == "admin" and str(me["org_id"]) == key.stem
            orgs.add(me["org_id"])
        assert len(orgs) == 2

        ambiguous = cli(home, "equipment", "list", "--json", env=env)
        assert ambiguous.returncode == 1 and "--organization" in ambiguous.stderr
        listed = cli(home, "equipment", "list", "--json", "--organization", "Second Co", env=env)
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)["vessel"]["imo"] == "9811234"
        added = cli(
            home, "users", "add", "--name", "Ola", "--email", "ola@second.test",
            "--role", "crew", "--vessel", "9811234", "--organization", "Second Co", env=env,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    assert proc.returncode == 0, log.read_text()
