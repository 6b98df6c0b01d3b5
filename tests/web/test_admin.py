"""The admin pages in headless Chromium: login, upload with progress, disable; CSRF; roles."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from channels.http.app import create_app
from channels.services.chat import open_gateway
from records import Role, system_caller, users
from tests.api.conftest import make_tenant
from tests.web.conftest import VIEWPORTS, serve

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"
MANUAL = b"""# Purifier sludge discharge

## Manual discharge

1. Open the operating water valve.
2. Watch the sludge tank level rise.
3. Check the bowl closes: the back-pressure returns to 1.5 bar.
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("BOSUN_EMBEDDER", "torch")
    bosun = open_bosun(Settings(home=Path(tmp_path_factory.mktemp("admin_home"))))
    bosun.startup.ready.set()
    tenant = make_tenant(bosun)
    emails = {}
    with bosun.db.transaction(tenant.org_id) as s:
        caller = system_caller(tenant.org_id)
        for role in (Role.admin, Role.officer):
            user = users.get_user(s, caller, tenant.user_ids[role])
            users.update_user(s, caller, user, password=PASSWORD)
            emails[role] = user.email
    server = serve(create_app(bosun))
    yield {"bosun": bosun, "tenant": tenant, "url": server.url, "emails": emails}
    server.stop()
    bosun.close()
    mp.undo()


def _login(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/admin")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_admin_uploads_a_document_and_disables_it(
    browser: Any, world: dict[str, Any], screenshot: Callable[[Any, str], Path], tmp_path: Path
) -> None:
    url, emails, tenant = world["url"], world["emails"], world["tenant"]
    context = browser.new_context(**VIEWPORTS["desktop"])
    page = context.new_page()
    _login(page, url, emails[Role.admin], "wrong password!")
    assert "Wrong email or password" in page.locator(".flash.error").inner_text()
    _login(page, url, emails[Role.officer], PASSWORD)
    assert "admin role" in page.locator(".flash.error").inner_text()
    _login(page, url, emails[Role.admin], PASSWORD)
    page.wait_for_url(f"{url}/admin/documents")

    manual = tmp_path / "purifier.md"
    manual.write_bytes(MANUAL)
    page.set_input_files("input[type=file]", str(manual))
    page.fill("input[name=tags]", "purifier, separator")
    with page.expect_navigation(url="**/admin/documents?msg=*", timeout=60_000):
        # The submit handler shows the progress bar at once and uploads in the background.
        hidden = page.evaluate(
            "() => { document.querySelector('#upload button[type=submit]').click();"
            " return document.getElementById('upload-progress').hidden; }"
        )
    assert hidden is False
    assert "purifier.md: indexed" in page.locator(".flash").inner_text()
    row = page.locator("#documents tbody tr", has_text="purifier")
    assert "indexed" in row.inner_text() and "separator" in row.inner_text()
    screenshot(page, "admin-documents")

    search = {"q": "how do I discharge the purifier sludge"}
    auth = tenant.auth(Role.crew)
    hits = httpx.get(f"{url}/v1/knowledge/search", headers=auth, params=search).json()["items"]
    assert hits and "operating water valve" in hits[0]["text"]

    row.locator("a").click()
    assert page.locator("pre.chunk").count() >= 1
    page.click("#disable")
    page.wait_for_url("**msg=Disabled*")
    assert page.locator("#doc-status").inner_text() == "disabled"
    hits = httpx.get(f"{url}/v1/knowledge/search", headers=auth, params=search).json()["items"]
    assert not any("operating water valve" in h["text"] for h in hits)

    for path in ("/admin/review", "/admin/register", "/admin/maintenance", "/admin/models"):
        page.goto(url + path)
        assert page.locator("h2, table").count() >= 1, path

    # A link code for a crew member's Telegram account, redeemed once.
    page.goto(url + "/admin/users")
    page.locator("#users tr", has_text=emails[Role.officer]).locator("button").click()
    flash = page.locator(".flash").inner_text()
    code = flash.split("/link ")[1].split(" ")[0]
    gateway = open_gateway(world["bosun"])
    speaker = gateway.link("telegram", "777001", code)
    assert speaker.email == emails[Role.officer]
    context.close()


def test_admin_pages_refuse_without_login_or_csrf(world: dict[str, Any]) -> None:
    url, emails = world["url"], world["emails"]
    with httpx.Client(base_url=url, follow_redirects=False) as anonymous:
        page = anonymous.get("/admin/documents")
        assert page.status_code == 303 and page.headers["location"].startswith("/admin/login")
        post = anonymous.post("/admin/documents/1/disable", data={"csrf": "x"})
        assert post.status_code == 303 and "/admin/login" in post.headers["location"]
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        login_page = client.get("/admin/login")
        token = login_page.text.split('name="csrf" value="')[1].split('"')[0]
        done = client.post(
            "/admin/login",
            data={"csrf": token, "email": emails[Role.admin], "password": PASSWORD},
        )
        assert done.status_code == 303 and done.headers["location"] == "/admin/documents"
        forged = client.post(
            "/admin/documents/upload",
            files={"file": ("x.md", io.BytesIO(b"# x"), "text/markdown")},
            data={"csrf": "not-the-token"},
        )
        assert forged.status_code == 403
        cross = client.post(
            "/admin/logout", data={"csrf": "x"}, headers={"Origin": "https://evil.example"}
        )
        assert cross.status_code == 403
        tampered = httpx.get(
            f"{url}/admin/documents",
            cookies={"bosun_admin": client.cookies["bosun_admin"] + "x"},
            follow_redirects=False,
        )
        assert tampered.status_code == 303
