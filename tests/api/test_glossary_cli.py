"""``bosun glossary list|add|remove`` on a home with two organizations (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from channels.cli.root import app as cli_app
from records import ALL_TENANTS, Organization
from tests.api.conftest import make_tenant

pytestmark = pytest.mark.slow(reason="runs the glossary commands over a server")

runner = CliRunner()


def test_glossary_commands_act_in_one_organization(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("BOSUN_HOME", str(home))
    monkeypatch.delenv("BOSUN_DATABASE_URL", raising=False)
    bosun = open_bosun(Settings(home=home))
    try:
        a, b = make_tenant(bosun), make_tenant(bosun)
        with bosun.db.transaction(ALL_TENANTS) as s:
            names = {o.id: o.name for o in s.scalars(select(Organization))}
    finally:
        bosun.close()
    org_a, org_b = ["--organization", names[a.org_id]], ["--organization", names[b.org_id]]

    added = runner.invoke(cli_app, ["glossary", "add", "PMS", "planned maintenance system", *org_a])
    assert added.exit_code == 0, added.output
    assert "PMS -> planned maintenance system (overrides the shipped entry)" in added.output
    added = runner.invoke(cli_app, ["glossary", "add", "GS pp", "general service pump", *org_a])
    assert added.exit_code == 0, added.output

    listed = runner.invoke(
        cli_app, ["glossary", "list", "--source", "organization", "--json", *org_a]
    )
    assert listed.exit_code == 0, listed.output
    assert [(i["term"], i["expansions"]) for i in json.loads(listed.output)] == [
        ("GS pp", ["general service pump"]),
        ("PMS", ["planned maintenance system"]),
    ]
    theirs = runner.invoke(cli_app, ["glossary", "list", "--json", *org_b])
    by_term = {i["term"]: i for i in json.loads(theirs.output)}
    assert by_term["PMS"]["expansions"] == ["power management system"]
    assert "GS pp" not in by_term and len(by_term) >= 150

    # B cannot remove A's term; A can (any case), and then has none left to remove
    refused = runner.invoke(cli_app, ["glossary", "remove", "PMS", *org_b])
    assert refused.exit_code != 0 and "shipped entries cannot be removed" in refused.output
    removed = runner.invoke(cli_app, ["glossary", "remove", "pms", *org_a])
    assert removed.exit_code == 0 and "removed PMS" in removed.output
    again = runner.invoke(cli_app, ["glossary", "remove", "PMS", *org_a])
    assert again.exit_code != 0
    bad = runner.invoke(cli_app, ["glossary", "add", "--", "--", "x", *org_a])
    assert bad.exit_code != 0
    table = runner.invoke(cli_app, ["glossary", "list", *org_a])
    assert table.exit_code == 0 and "lube oil" in table.output
