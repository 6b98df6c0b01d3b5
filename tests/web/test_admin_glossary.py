"""The admin glossary page: list, add and remove an organization's terms (CSRF, nonce CSP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.http.app import create_app
from records import Role, glossary, system_caller, users
from tests.api.conftest import Tenant, make_tenant

PASSWORD = "correct horse battery"


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[tuple[TestClient, Bosun, Tenant]]:
    bosun = open_bosun(Settings(home=tmp_path / "home"))
    bosun.startup.ready.set()
    tenant, other = make_tenant(bosun), make_tenant(bosun)
    with bosun.db.transaction(tenant.org_id) as s:
        caller = system_caller(tenant.org_id)
        admin = users.get_user(s, caller, tenant.user_ids[Role.admin])
        users.update_user(s, caller, admin, password=PASSWORD)
        email = admin.email
    with bosun.db.transaction(other.org_id) as s:
        glossary.set_entry(s, system_caller(other.org_id), "GS", "theirs only")
    try:
        with TestClient(create_app(bosun), follow_redirects=False) as client:
            page = client.get("/admin/login")
            token = page.text.split('name="csrf" value="')[1].split('"')[0]
            done = client.post(
                "/admin/login", data={"csrf": token, "email": email, "password": PASSWORD}
            )
            assert done.status_code == 303
            yield client, bosun, tenant
    finally:
        bosun.close()


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def test_admin_adds_and_removes_a_term(signed_in: tuple[TestClient, Bosun, Tenant]) -> None:
    client, bosun, tenant = signed_in
    page = client.get("/admin/glossary")
    assert page.status_code == 200
    assert "nonce-" in page.headers["content-security-policy"]
    assert "lube oil" in page.text and "None yet" in page.text
    assert "theirs only" not in page.text  # another organization's entry
    assert "onclick" not in page.text and "onsubmit" not in page.text

    forged = client.post("/admin/glossary", data={"csrf": "x", "term": "PMS", "expansion": "y"})
    assert forged.status_code == 403
    saved = client.post(
        "/admin/glossary",
        data={"csrf": _csrf(page.text), "term": "PMS", "expansion": "planned maintenance system"},
    )
    assert saved.status_code == 303 and "PMS%20added" in saved.headers["location"]
    bad = client.post(
        "/admin/glossary", data={"csrf": _csrf(page.text), "term": "--", "expansion": "x"}
    )
    assert bad.status_code == 303 and "error=1" in bad.headers["location"]

    page = client.get("/admin/glossary")
    assert "(overrides shipped)" in page.text and "planned maintenance system" in page.text
    with bosun.db.transaction(tenant.org_id) as s:
        (entry,) = glossary.list_entries(s, system_caller(tenant.org_id))
    removed = client.post(f"/admin/glossary/{entry.id}/delete", data={"csrf": _csrf(page.text)})
    assert removed.status_code == 303 and "PMS%20removed" in removed.headers["location"]
    with bosun.db.transaction(tenant.org_id) as s:
        assert glossary.list_entries(s, system_caller(tenant.org_id)) == []


def test_glossary_page_needs_a_login(tmp_path: Path) -> None:
    bosun = open_bosun(Settings(home=tmp_path / "home"))
    bosun.startup.ready.set()
    try:
        with TestClient(create_app(bosun), follow_redirects=False) as client:
            page = client.get("/admin/glossary")
            assert page.status_code == 303 and "/admin/login" in page.headers["location"]
            post = client.post("/admin/glossary", data={"csrf": "x"})
            assert post.status_code == 303 and "/admin/login" in post.headers["location"]
    finally:
        bosun.close()
