"""The ``bosun`` CLI through a running server, for every organization (issue 15, finding 5).

The real app serves on loopback (uvicorn in a thread) over a home holding two
organizations whose vessels share an IMO; the commands run in-process as typed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from channels.app.local_server import CLI_KEYS_DIR, write_server_file
from channels.app.logs import NO_PROGRESS_BARS
from channels.app.runtime import Bosun, open_bosun
from channels.app.serve import _ensure_cli_keys
from channels.app.settings import Settings
from channels.cli.context import RoleName
from channels.cli.root import app as cli_app
from channels.http.app import create_app
from records import ALL_TENANTS, AuditLog, Conversation, Organization, Role, User, Vessel
from tests.api.conftest import Tenant, make_tenant
from tests.telegram.bot_api import serving

pytestmark = pytest.mark.slow(reason="runs CLI commands against an app served by uvicorn")

runner = CliRunner()


@dataclass
class Served:
    """A served home with two organizations."""

    bosun: Bosun
    home: Path
    url: str
    a: Tenant
    b: Tenant
    names: dict[int, str]


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    home = tmp_path / "home"
    monkeypatch.setenv("BOSUN_HOME", str(home))
    monkeypatch.delenv("BOSUN_DATABASE_URL", raising=False)
    monkeypatch.setenv("BOSUN_EMBEDDER", "torch")
    for name, value in NO_PROGRESS_BARS.items():  # as the bosun command sets them first
        monkeypatch.setenv(name, value)
    bosun = open_bosun(Settings(home=home))
    bosun.startup.ready.set()
    a, b = make_tenant(bosun), make_tenant(bosun)
    with bosun.db.transaction(ALL_TENANTS) as s:
        names = {o.id: o.name for o in s.scalars(select(Organization))}
    _ensure_cli_keys(bosun)
    try:
        with serving(create_app(bosun)) as url:
            write_server_file(home, url)
            yield Served(bosun, home, url, a, b, names)
    finally:
        bosun.close()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(cli_app, list(args), input=stdin)
    return result.exit_code, result.output


def test_one_admin_cli_key_per_organization(served: Served) -> None:
    folder = served.home / CLI_KEYS_DIR
    assert folder.stat().st_mode & 0o777 == 0o700
    keys = {int(p.stem): p for p in folder.glob("*.key")}
    assert set(keys) == {served.a.org_id, served.b.org_id}
    for org_id, path in keys.items():
        assert path.stat().st_mode & 0o777 == 0o600
        me = httpx.get(
            f"{served.url}/v1/me", headers={"Authorization": f"Bearer {path.read_text()}"}
        ).json()
        assert me["org_id"] == org_id and me["role"] == "admin"  # no cross-tenant key
    before = {k: p.read_text() for k, p in keys.items()}
    _ensure_cli_keys(served.bosun)  # the next start keeps working keys
    assert {int(p.stem): p.read_text() for p in folder.glob("*.key")} == before


def test_a_command_needs_organization_when_there_are_several(served: Served) -> None:
    code, output = _run("users", "add", "--name", "X", "--email", "x@x.test", "--role", "crew")
    assert code == 1 and "--organization" in output and "2 organizations" in output
    code, output = _run("equipment", "list", "--organization", "Nobody Inc")
    assert code == 1 and "no organization 'Nobody Inc'" in output


def test_users_add_resolves_imos_within_the_organization(served: Served) -> None:
    org_b = served.names[served.b.org_id]
    code, output = _run(
        "users", "add", "--name", "Bo", "--email", "bo@b.test", "--role", "officer",
        "--vessel", "9700001", "--organization", org_b,
    )  # fmt: skip
    assert code == 0, output
    with served.bosun.db.transaction(ALL_TENANTS) as s:
        user = s.scalar(select(User).where(User.email == "bo@b.test"))
    assert user is not None and user.org_id == served.b.org_id
    assert user.vessel_ids == [served.b.vessel_id]  # B's vessel 9700001, not A's
    code, output = _run(
        "users", "add", "--name", "Cy", "--email", "cy@b.test", "--role", "crew",
        "--vessel", "1111111", "--organization", org_b,
    )  # fmt: skip
    assert code == 1 and "1111111" in output


def test_keys_create_calls_the_api_keys_route(served: Served) -> None:
    org_a = served.names[served.a.org_id]
    email = "crew@" + org_a[4:] + ".test"
    code, output = _run("keys", "create", "--email", email, "--organization", str(served.a.org_id))
    assert code == 0, output
    secret = output.strip().splitlines()[-1]
    me = httpx.get(f"{served.url}/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["user_id"] == served.a.user_ids[Role.crew] and me["org_id"] == served.a.org_id


def test_register_naming_an_unknown_organization_is_refused(served: Served, tmp_path: Path) -> None:
    register = tmp_path / "register.yaml"
    text = (
        'vessel: {{name: "MV New", imo: "9811111"}}\n{org}'
        'equipment:\n  - {{code: "1", name: "Hull"}}\n'
    )
    register.write_text(text.format(org="organization: Other\n"))
    code, output = _run("import", "register", str(register))
    assert code == 1 and "no organization 'Other'" in output
    org_b = served.names[served.b.org_id]
    register.write_text(text.format(org=f"organization: {org_b}\n"))
    code, output = _run("import", "register", str(register))
    assert code == 0, output
    with served.bosun.db.transaction(ALL_TENANTS) as s:
        found = list(s.scalars(select(Vessel).where(Vessel.imo == "9811111")))
    assert [v.org_id for v in found] == [served.b.org_id]


def test_ask_as_a_user_runs_under_that_users_role_and_is_audited(served: Served) -> None:
    org_a = served.names[served.a.org_id]
    crew = "crew@" + org_a[4:] + ".test"
    code, output = _run(
        "ask", "--user", crew, "--organization", org_a, "--json", "which faults are open?"
    )
    assert code == 0, output
    assert set(json.loads(output)) == {"reply", "citations", "proposed_action"}
    with served.bosun.db.transaction(ALL_TENANTS) as s:
        talks = list(s.scalars(select(Conversation).where(Conversation.org_id == served.a.org_id)))
        issued = list(s.scalars(select(AuditLog).where(AuditLog.action == "issue_chat_token")))
    assert [c.user_id for c in talks] == [served.a.user_ids[Role.crew]]
    [entry] = issued
    assert entry.org_id == served.a.org_id and entry.entity_id == served.a.user_ids[Role.crew]
    cli_admin = entry.user_id
    assert cli_admin is not None and cli_admin != served.a.user_ids[Role.crew]
    assert entry.after is not None and entry.after["issued_by"] == cli_admin

    code, output = _run("ask", "--user", "nobody@nowhere.test", "--organization", org_a, "hello")
    assert code == 1 and "no active user" in output


def test_chat_works_beside_the_server(served: Served) -> None:
    org_b = served.names[served.b.org_id]
    officer = "officer@" + org_b[4:] + ".test"
    code, output = _run(
        "chat", "--user", officer, "--organization", org_b, stdin="which faults are open?\n"
    )
    assert code == 0, output
    assert "bosun up is running" not in output and "you>" in output
    with served.bosun.db.transaction(ALL_TENANTS) as s:
        talks = list(s.scalars(select(Conversation).where(Conversation.org_id == served.b.org_id)))
    assert [c.user_id for c in talks] == [served.b.user_ids[Role.officer]]


def test_role_names_match_the_records_roles() -> None:
    assert [r.value for r in RoleName] == [r.value for r in Role]


def test_the_api_never_imports_a_register_into_another_organization(served: Served) -> None:
    """A register naming organization B, sent with A's key, is refused (nothing written)."""
    org_b = served.names[served.b.org_id]
    body = {
        "filename": "register.yaml",
        "content": f'organization: {org_b}\nvessel: {{name: "MV X", imo: "9822222"}}\n'
        'equipment:\n  - {code: "1", name: "Hull"}\n',
    }
    refused = httpx.post(
        f"{served.url}/v1/register/import", json=body, headers=served.a.auth(Role.admin)
    )
    assert refused.status_code == 422, refused.text
    assert org_b in refused.json()["detail"]
    with served.bosun.db.transaction(ALL_TENANTS) as s:
        assert not list(s.scalars(select(Vessel).where(Vessel.imo == "9822222")))
