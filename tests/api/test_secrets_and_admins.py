"""Secrets stay out of the audit log; /metrics is not for all; the last admin stays (issue 15)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from channels.app.runtime import Bosun
from channels.http.app import create_app
from records import ALL_TENANTS, AuditLog, Database, Role, migrate, register
from tests.api.conftest import Tenant, assert_problem
from tests.conftest import fresh_postgres_database

HASHES = ("password_hash", "key_hash", "code_hash")


def _audit_text(bosun: Bosun, org_id: int) -> str:
    with bosun.db.transaction(ALL_TENANTS) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.org_id == org_id))
        return json.dumps([[r.before, r.after] for r in rows])


def test_audit_log_holds_no_secret_or_hash(client: TestClient, bosun: Bosun, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    user = client.post(
        "/v1/users",
        json={"name": "Pat", "email": "pat@a.test", "role": "crew", "password": "first secret"},
        headers=admin,
    ).json()
    client.patch(f"/v1/users/{user['id']}", json={"password": "second secret"}, headers=admin)
    key = client.post(
        "/v1/api-keys", json={"name": "pat", "user_id": user["id"]}, headers=admin
    ).json()
    code = client.post(f"/v1/users/{user['id']}/link-codes", headers=admin).json()["code"]
    token = client.post("/v1/chat/tokens", json={"user": "pat@a.test"}, headers=admin).json()

    entries = client.get("/v1/audit-log", params={"limit": 500}, headers=admin).json()["items"]
    served = json.dumps(entries)
    stored = _audit_text(bosun, org_a.org_id)
    for text in (served, stored):
        assert key["secret"] not in text and key["secret"][-20:] not in text
        assert code.replace("-", "") not in text.replace("-", "")
        assert token["token"] not in text
        assert "scrypt$" not in text
    by_field = [
        (field, side[field])
        for row in entries
        for side in (row["before"] or {}, row["after"] or {})
        for field in HASHES
        if field in side
    ]
    assert by_field, "changes to secret columns are still recorded (as redacted)"
    assert {value for _, value in by_field} <= {"[redacted]", None}
    changed = [
        r
        for r in entries
        if r["entity"] == "users" and r["action"] == "update" and r["entity_id"] == user["id"]
    ]
    assert changed and changed[0]["after"] == {"password_hash": "[redacted]"}

    # The chat token's issue is audited with issuer and user (never the token).
    issued = [r for r in entries if r["action"] == "issue_chat_token"]
    assert issued and issued[0]["user_id"] == org_a.user_ids[Role.admin]
    assert issued[0]["entity_id"] == user["id"]
    assert issued[0]["after"]["issued_by"] == org_a.user_ids[Role.admin]


def _old_rows_are_redacted(url: str) -> None:
    """Rows written before redaction existed lose their secrets when migrated to head."""
    migrate(url, revision="0004_notification_routes")
    db = Database.from_url(url)
    try:
        with db.transaction(ALL_TENANTS) as s:
            org = register.get_or_create_organization(s, "Old audit org")
            s.add(
                AuditLog(
                    org_id=org.id,
                    channel="api",
                    action="create",
                    entity="api_keys",
                    after={"key_hash": "ab" * 32, "name": "k", "prefix": "1234"},
                )
            )
            s.add(
                AuditLog(
                    org_id=org.id,
                    channel="api",
                    action="update",
                    entity="users",
                    before={"password_hash": "scrypt$00$11", "name": "A"},
                    after={"password_hash": "scrypt$22$33", "name": "B"},
                )
            )
            s.add(
                AuditLog(
                    org_id=org.id,
                    channel="api",
                    action="create",
                    entity="link_codes",
                    after={"code_hash": "cd" * 32, "used_at": None},
                )
            )
        migrate(url)
        with db.transaction(ALL_TENANTS) as s:
            rows = list(s.scalars(select(AuditLog).where(AuditLog.org_id == org.id)))
        text = json.dumps([[r.before, r.after] for r in rows])
        assert "ab" * 32 not in text and "cd" * 32 not in text and "scrypt$" not in text
        assert rows[0].after == {"key_hash": "[redacted]", "name": "k", "prefix": "1234"}
        assert rows[1].before == {"password_hash": "[redacted]", "name": "A"}
        assert rows[2].after == {"code_hash": "[redacted]", "used_at": None}
    finally:
        db.dispose()


def test_migration_redacts_existing_audit_rows_sqlite(tmp_path: Path) -> None:
    _old_rows_are_redacted(f"sqlite:///{tmp_path / 'old.db'}")
    with sqlite3.connect(tmp_path / "old.db") as conn:
        raw = " ".join(str(r) for r in conn.execute("SELECT before, after FROM audit_log"))
    assert "scrypt$" not in raw


@pytest.mark.postgres
def test_migration_redacts_existing_audit_rows_postgres() -> None:
    with fresh_postgres_database("bosun_test_redact") as url:
        _old_rows_are_redacted(url)


def test_metrics_loopback_only_without_token(bosun: Bosun) -> None:
    app = create_app(bosun)
    remote = TestClient(app, client=("203.0.113.9", 40000))
    assert_problem(remote.get("/metrics"), 403, "forbidden")
    for host in ("127.0.0.1", "::1"):
        local = TestClient(app, client=(host, 40000))
        response = local.get("/metrics")
        assert response.status_code == 200 and "bosun_ready" in response.text


def test_metrics_token_needed_by_everyone(bosun: Bosun, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = bosun.settings.model_copy(update={"metrics_token": SecretStr("s3cret-scrape")})
    monkeypatch.setattr(bosun, "settings", settings)
    app = create_app(bosun)
    for host in ("127.0.0.1", "203.0.113.9"):
        caller = TestClient(app, client=(host, 40000))
        assert_problem(caller.get("/metrics"), 401, "unauthorized")
        wrong = {"Authorization": "Bearer nope"}
        assert_problem(caller.get("/metrics", headers=wrong), 401, "unauthorized")
        good = caller.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert good.status_code == 200 and "bosun_ready" in good.text


def test_last_admin_cannot_be_demoted_or_deactivated(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    me = org_a.user_ids[Role.admin]
    demote = assert_problem(
        client.patch(f"/v1/users/{me}", json={"role": "officer"}, headers=admin), 409, "conflict"
    )
    assert "last active admin" in demote["detail"]
    assert_problem(
        client.patch(f"/v1/users/{me}", json={"active": False}, headers=admin), 409, "conflict"
    )
    assert client.get(f"/v1/users/{me}", headers=admin).json()["role"] == "admin"
    # With a second admin, the first may step down; then the second is the last one.
    second = client.post(
        "/v1/users",
        json={"name": "Second admin", "email": "second@a.test", "role": "admin"},
        headers=admin,
    ).json()
    key = client.post(
        "/v1/api-keys", json={"name": "second", "user_id": second["id"]}, headers=admin
    ).json()["secret"]
    stepped = client.patch(f"/v1/users/{me}", json={"role": "officer"}, headers=admin)
    assert stepped.status_code == 200, stepped.text
    other = {"Authorization": f"Bearer {key}"}
    assert_problem(
        client.patch(f"/v1/users/{second['id']}", json={"active": False}, headers=other),
        409,
        "conflict",
    )
    # Another organization's admins do not count.
    assert client.patch(f"/v1/users/{me}", json={"role": "admin"}, headers=other).status_code == 200
