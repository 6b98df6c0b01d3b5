"""The chat widget on a plain page of another site, in headless Chromium."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.http.app import create_app
from records import Fault, Message, Role
from tests.api.conftest import Tenant, make_tenant
from tests.web.conftest import VIEWPORTS, LiveServer, serve

pytestmark = pytest.mark.slow


def _manual_pdf() -> bytes:
    """A three-page manual with bookmarks; the bleeding procedure is on page 2."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, PageBreak, Paragraph, SimpleDocTemplate

    class Manual(SimpleDocTemplate):
        def afterFlowable(self, flowable: Any) -> None:
            if isinstance(flowable, Paragraph) and flowable.style.name == "Heading1":
                key = f"h{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0)

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    story = [
        Paragraph("Main engine fuel system", styles["Title"]),
        Paragraph("1 General", styles["Heading1"]),
        Paragraph(
            "The fuel system feeds marine gas oil to the injection pumps. " * 8, styles["BodyText"]
        ),
        PageBreak(),
        Paragraph("2 Bleeding the fuel system", styles["Heading1"]),
        ListFlowable(
            [
                Paragraph("Open the vent screw on the fuel filter housing.", styles["BodyText"]),
                Paragraph(
                    "Run the hand priming pump until fuel without air bubbles comes out.",
                    styles["BodyText"],
                ),
                Paragraph(
                    "Close the vent screw and check the fuel pressure reads 7 bar.",
                    styles["BodyText"],
                ),
            ],
            bulletType="1",
        ),
        PageBreak(),
        Paragraph("3 Injection pumps", styles["Heading1"]),
        Paragraph("Replace the barrel O-rings every 8000 running hours. " * 6, styles["BodyText"]),
    ]
    Manual(out).build(story)
    return out.getvalue()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Bosun with a tenant and a manual, served; and another site that embeds the widget."""
    mp = pytest.MonkeyPatch()
    mp.setenv("BOSUN_EMBEDDER", "torch")  # no ONNX export for a test home
    bosun = open_bosun(Settings(home=Path(tmp_path_factory.mktemp("widget_home"))))
    bosun.startup.ready.set()
    tenant = make_tenant(bosun)
    server = serve(create_app(bosun))
    upload = httpx.post(
        f"{server.url}/v1/documents",
        headers=tenant.auth(Role.admin),
        files={"file": ("me-fuel-system.pdf", _manual_pdf(), "application/pdf")},
        data={"kind": "manual"},
        timeout=120,
    )
    assert upload.status_code == 201, upload.text
    emails = {role.value: _email(bosun, tenant, role) for role in (Role.crew, Role.officer)}
    site = serve(_host_site(server.url, tenant.keys[Role.admin], emails))
    yield {
        "bosun": bosun,
        "tenant": tenant,
        "server": server,
        "site": site,
        "document_id": upload.json()["document"]["id"],
    }
    site.stop()
    server.stop()
    bosun.close()
    mp.undo()


def _email(bosun: Bosun, tenant: Tenant, role: Role) -> str:
    from records import system_caller, users

    with bosun.db.transaction(tenant.org_id) as s:
        return users.get_user(s, system_caller(tenant.org_id), tenant.user_ids[role]).email


def _host_site(bosun_url: str, api_key: str, emails: dict[str, str]) -> Starlette:
    """Another site's page with the one tag, and its backend that fetches chat tokens."""

    async def page(request: Request) -> HTMLResponse:
        speech = ' data-speech="server"' if request.query_params.get("speech") else ""
        who = request.query_params.get("as", "crew")
        return HTMLResponse(
            "<!doctype html><html><head><meta name='viewport' "
            "content='width=device-width, initial-scale=1'><title>Fleet intranet</title></head>"
            "<body><h1>Fleet intranet</h1><p>Plain page of another site.</p>"
            f'<script src="{bosun_url}/widget.js" data-bosun-url="{bosun_url}" '
            f'data-token-url="/your-backend/bosun-token?as={who}"{speech}></script></body></html>'
        )

    async def token(request: Request) -> JSONResponse:
        user_email = emails[request.query_params.get("as", "crew")]
        async with httpx.AsyncClient() as client:
            issued = await client.post(
                f"{bosun_url}/v1/chat/tokens",
                headers={"Authorization": f"Bearer {api_key}"},
                json={"user": user_email, "ttl_s": 900},
            )
        return JSONResponse(issued.json(), status_code=issued.status_code)

    return Starlette(
        routes=[Route("/", page), Route("/your-backend/bosun-token", token, methods=["POST"])]
    )


def _open_page(browser: Any, site: LiveServer, size: str) -> tuple[Any, Any, list[dict[str, Any]]]:
    context = browser.new_context(**VIEWPORTS[size])
    page = context.new_page()
    frames: list[dict[str, Any]] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))),
    )
    page.goto(site.url)
    page.wait_for_function("window.Bosun !== undefined")
    return context, page, frames


def _ask(page: Any, text: str) -> Any:
    before = page.locator(".msg.bot[data-outcome]").count()
    page.locator("textarea").fill(text)
    page.locator("button.send").click()
    page.wait_for_function(
        "n => document.querySelector('#bosun-widget').shadowRoot"
        ".querySelectorAll('.msg.bot[data-outcome]').length > n",
        arg=before,
        timeout=60_000,
    )
    return page.locator(".msg.bot[data-outcome]").nth(before)


def test_widget_answers_with_citations_and_confirms_a_fault(
    browser: Any, world: dict[str, Any], screenshot: Callable[[Any, str], Path]
) -> None:
    context, page, frames = _open_page(browser, world["site"], "desktop")
    page.locator("button.bubble").click()
    answer = _ask(page, "How do I bleed the fuel system?")
    assert answer.get_attribute("data-outcome") == "answer"
    assert "vent screw" in answer.inner_text().lower()
    kinds = [f["type"] for f in frames]
    assert kinds.count("delta") >= 2 and kinds.index("delta") < kinds.index("final")
    link = answer.locator("a.citation").first
    href = link.get_attribute("href")
    assert f"/v1/chat/documents/{world['document_id']}?token=bct." in href
    assert href.endswith("#page=2"), href
    opened = page.request.get(href.split("#")[0])
    assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
    screenshot(page, "widget-answer")

    page.locator("header button.link").click()
    code = page.locator(".note.link-code strong").inner_text()
    assert code.startswith("/link ") and len(code.split(" ")[1]) == 9  # ABCD-EFGH

    answer.locator("button.helpful").click()
    page.wait_for_function(
        "() => document.querySelector('#bosun-widget').shadowRoot"
        ".querySelector('button.helpful.chosen') !== null"
    )

    proposal = _ask(page, "ME1 is leaking fuel from the injection pump")
    assert proposal.get_attribute("data-outcome") == "proposed"
    proposal.locator("button.confirm").click()
    page.wait_for_function(
        "() => [...document.querySelector('#bosun-widget').shadowRoot"
        ".querySelectorAll('.msg.bot[data-outcome]')].some(m => m.dataset.outcome === 'done')",
        timeout=60_000,
    )
    assert proposal.locator("button.confirm").is_disabled()
    screenshot(page, "widget-confirmed-fault")
    context.close()

    bosun, tenant = world["bosun"], world["tenant"]
    with bosun.db.transaction(tenant.org_id) as s:
        filed = list(
            s.scalars(select(Fault).where(Fault.equipment_id == tenant.equipment_ids["601.1"]))
        )
        rated = list(s.scalars(select(Message).where(Message.feedback == "helpful")))
    assert len(filed) == 1 and filed[0].reported_via == "web"
    assert rated


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_widget_fits_tablets_and_phones(
    browser: Any, world: dict[str, Any], size: str, screenshot: Callable[[Any, str], Path]
) -> None:
    context, page, _ = _open_page(browser, world["site"], size)
    viewport = VIEWPORTS[size]["viewport"]
    bubble = page.locator("button.bubble").bounding_box()
    assert bubble["width"] >= 48 and bubble["height"] >= 48
    assert bubble["x"] + bubble["width"] <= viewport["width"]
    page.locator("button.bubble").tap()
    panel = page.locator("section.panel").bounding_box()
    assert panel["x"] >= 0 and panel["y"] >= 0
    assert panel["x"] + panel["width"] <= viewport["width"] + 0.5
    assert panel["y"] + panel["height"] <= viewport["height"] + 0.5
    for name in ("button.send", "button.mic", "button.attach", "button.close", "button.link"):
        box = page.locator(name).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (name, box)
    answer = _ask(page, "How do I bleed the fuel system?")
    assert answer.locator("a.citation").count() >= 1
    screenshot(page, f"widget-{size}")
    context.close()


def test_microphone_records_and_the_server_transcribes(
    playwright: Any, world: dict[str, Any], tmp_path: Path, screenshot: Callable[[Any, str], Path]
) -> None:
    """No browser recogniser offline: the widget records and sends the audio to Bosun."""

    from eval.speech_audio import espeak_problem, speak
    from tests.conftest import skip_or_fail
    from tests.web.conftest import CHROMIUM_ARGS, chromium_path

    problem = espeak_problem()
    if problem:
        skip_or_fail("espeak", problem)
    executable = chromium_path()
    clip = tmp_path / "report.wav"
    clip.write_bytes(speak("Main engine number one is leaking fuel."))
    fake_mic = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={clip}",
    ]
    browser = playwright.chromium.launch(
        executable_path=executable, headless=True, args=[*CHROMIUM_ARGS, *fake_mic]
    )
    try:
        context = browser.new_context(**VIEWPORTS["tablet"])
        context.grant_permissions(["microphone"])
        page = context.new_page()
        page.goto(world["site"].url + "/?speech=server")
        page.wait_for_function("window.Bosun !== undefined")
        page.locator("button.bubble").tap()
        page.locator("button.mic").tap()
        page.wait_for_function(
            "() => document.querySelector('#bosun-widget').shadowRoot"
            ".querySelector('button.mic.recording') !== null"
        )
        page.wait_for_timeout(4500)  # the fake microphone plays the clip
        page.locator("button.mic").tap()
        heard = page.locator(".msg.user .heard")
        heard.wait_for(timeout=90_000)
        said = page.locator(".msg.user").last.inner_text().lower()
        assert "leak" in said and ("engine" in said or "fuel" in said), said
        page.wait_for_function(
            "() => document.querySelector('#bosun-widget').shadowRoot"
            ".querySelector('.msg.bot[data-outcome]') !== null",
            timeout=90_000,
        )
        reply = page.locator(".msg.bot[data-outcome]").last
        assert reply.get_attribute("data-outcome") in ("proposed", "clarify"), reply.inner_text()
        screenshot(page, "widget-voice")
    finally:
        browser.close()


def test_an_alarm_waits_in_the_widget_with_confirm_and_cancel(
    browser: Any, world: dict[str, Any], screenshot: Callable[[Any, str], Path]
) -> None:
    from datetime import UTC, datetime

    from records import pending, system_caller

    bosun, tenant = world["bosun"], world["tenant"]
    system = system_caller(tenant.org_id, "connectors")
    with bosun.db.transaction(tenant.org_id) as s:
        action = pending.propose(
            s,
            system,
            kind="report_fault",
            arguments={
                "equipment_id": tenant.equipment_ids["601.1"],
                "title": "Exhaust gas temperature above its high limit",
                "priority": "high",
            },
            summary="Alarm: ME1 exhaust gas 497 degC, above its high limit 480. File a fault?",
            addressed_to_role=Role.officer,
            idempotency_key=f"alarm:ME1_EXH_T:high:{datetime.now(UTC).isoformat()}",
        )
        s.flush()
        action_id = action.id
    context = browser.new_context(**VIEWPORTS["tablet"])
    page = context.new_page()
    page.goto(world["site"].url + "/?as=officer")
    page.wait_for_function("window.Bosun !== undefined")
    page.locator("button.bubble").tap()
    notice = page.locator(f'.msg.notice[data-notice="{action_id}"]')
    notice.wait_for(timeout=30_000)
    assert "497" in notice.inner_text()
    screenshot(page, "widget-alarm")
    notice.locator("button.confirm").tap()
    page.wait_for_function(
        "() => [...document.querySelector('#bosun-widget').shadowRoot"
        ".querySelectorAll('.msg.bot[data-outcome]')].some(m => m.dataset.outcome === 'done')",
        timeout=60_000,
    )
    context.close()
    with bosun.db.transaction(tenant.org_id) as s:
        decided = pending.get_action(s, system, action_id)
        assert decided.status.value == "executed", decided.status
        filed = list(
            s.scalars(select(Fault).where(Fault.title.like("Exhaust gas temperature above%")))
        )
    assert len(filed) == 1 and filed[0].priority.value == "high"


PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"
"""Chromium's built-in PDF viewer: it opens only for PDFs served inline and not sandboxed."""


def test_a_cited_pdf_page_opens_in_the_browser_and_html_downloads(
    browser: Any, world: dict[str, Any]
) -> None:
    context, page, _frames = _open_page(browser, world["site"], "tablet")
    page.locator("button.bubble").tap()
    answer = _ask(page, "How do I bleed the fuel system?")
    link = answer.locator("a.citation").first
    with context.expect_page() as opened:
        link.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert viewer.url.endswith("#page=2") and "/v1/chat/documents/" in viewer.url
    assert viewer.evaluate("document.contentType") == "application/pdf"
    deadline = 100
    while deadline and not any(f.url.startswith(PDF_VIEWER) for f in viewer.frames):
        viewer.wait_for_timeout(100)
        deadline -= 1
    assert any(f.url.startswith(PDF_VIEWER) for f in viewer.frames), [f.url for f in viewer.frames]

    # An uploaded HTML page is never rendered from Bosun's origin: it downloads.
    server, tenant = world["server"], world["tenant"]
    upload = httpx.post(
        f"{server.url}/v1/documents",
        headers=tenant.auth(Role.admin),
        files={
            "file": (
                "steering.html",
                b"<html><body><h1>Steering gear</h1><p>Check "
                b"the oil.</p><script>document.title='owned'</script></body></html>",
            )
        },
        timeout=120,
    )
    assert upload.status_code == 201, upload.text
    token = link.get_attribute("href").split("token=")[1].split("#")[0]
    url = f"{server.url}/v1/chat/documents/{upload.json()['document']['id']}?token={token}"
    other = context.new_page()
    with other.expect_download() as download, pytest.raises(Exception, match="Download is"):
        other.goto(url)
    assert download.value.suggested_filename == "steering.html"
    context.close()


def test_start_and_admin_pages_run_under_their_csp(browser: Any, world: dict[str, Any]) -> None:
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    response = page.goto(world["server"].url + "/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split(";")[1]
    page.wait_for_function("window.Bosun !== undefined")  # widget.js ran
    login = page.goto(world["server"].url + "/admin/login")
    assert "script-src 'self' 'nonce-" in login.headers["content-security-policy"]
    assert not [m for m in console if "Content Security Policy" in m], console
    context.close()
