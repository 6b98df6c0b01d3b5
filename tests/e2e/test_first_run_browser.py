"""The first run, as a chief engineer evaluating Bosun sees it: `bosun up` on an empty home
in a subprocess, then the start page's chat widget in headless Chromium."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_bosun_up import bosun_up, free_port, wait_for
from tests.web.conftest import VIEWPORTS

pytestmark = pytest.mark.slow
CASES = Path(__file__).resolve().parents[2] / "eval" / "cases" / "manuals.jsonl"
SHADOW = "document.querySelector('#bosun-widget').shadowRoot"


def _manual_case() -> dict[str, Any]:
    """The bleeding question of the demo manuals' cases (document title and page expected)."""
    for line in CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if "bleed" in case["question"].lower():
            return case
    raise AssertionError(f"no bleeding question in {CASES}")


def _ask(page: Any, text: str) -> Any:
    before = page.locator(".msg.bot[data-outcome]").count()
    page.locator("textarea").fill(text)
    page.locator("button.send").click()
    page.wait_for_function(
        f"n => {SHADOW}.querySelectorAll('.msg.bot[data-outcome]').length > n",
        arg=before,
        timeout=120_000,
    )
    return page.locator(".msg.bot[data-outcome]").nth(before)


def test_first_run_in_the_browser(
    tmp_path: Path, browser: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    home = tmp_path / "home"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    case = _manual_case()
    started = time.monotonic()
    with bosun_up(home, port) as (proc, log):
        wait_for(f"{base}/healthz", 60, proc, log)
        wait_for(f"{base}/readyz", 420, proc, log)
        ready_s = time.monotonic() - started
        keys = dict(
            line.split("\t")[0:3:2]
            for line in (home / "demo-keys.txt").read_text().splitlines()
            if "\t" in line
        )
        chief = {"Authorization": f"Bearer {keys['chief_engineer']}"}

        context = browser.new_context(**VIEWPORTS["tablet"])
        page = context.new_page()
        page.goto(base)
        page.wait_for_function("window.Bosun !== undefined")
        page.locator("button.bubble").click()

        # A question about a demo manual: answered with a citation to the right page.
        answer = _ask(page, case["question"])
        answered_s = time.monotonic() - started
        assert answer.get_attribute("data-outcome") == "answer", answer.inner_text()
        links = answer.locator("a.citation")
        assert links.count() >= 1
        cited = [
            (links.nth(i).inner_text(), links.nth(i).get_attribute("href"))
            for i in range(links.count())
        ]
        hits = []
        for text, href in cited:
            doc_id = href.split("/v1/chat/documents/")[1].split("?")[0]
            doc = httpx.get(f"{base}/v1/documents/{doc_id}", headers=chief).json()
            hits.append((doc["filename"], href.rsplit("#page=", 1)[-1], text))
        assert any(
            name.startswith(case["document"]) and page == str(case["page"])
            for name, page, _ in hits
        ), (case, hits)
        pdf = page.request.get(cited[0][1].split("#")[0])
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        screenshot(page, "first-run-manual-answer")

        # A fault reported by chat and confirmed: in the database once.
        before = httpx.get(f"{base}/v1/faults", headers=chief, params={"limit": 500}).json()
        proposal = _ask(page, "ME2 fuel pump is leaking")
        assert proposal.get_attribute("data-outcome") == "proposed", proposal.inner_text()
        proposal.locator("button.confirm").click()
        page.wait_for_function(
            f"() => [...{SHADOW}.querySelectorAll('.msg.bot[data-outcome]')]"
            ".some(m => m.dataset.outcome === 'done')",
            timeout=60_000,
        )
        screenshot(page, "first-run-fault-confirmed")
        after = httpx.get(f"{base}/v1/faults", headers=chief, params={"limit": 500}).json()
        new = [f for f in after["items"] if f["id"] not in {b["id"] for b in before["items"]}]
        assert len(new) == 1 and "leak" in new[0]["title"].lower(), new
        assert new[0]["reported_via"] == "web"

        # The degrading equipment: its risk and main factor.
        health = _ask(page, "How is main engine No. 1 doing?")
        text = health.inner_text()
        assert "risk" in text.lower() and "main factor" in text.lower(), text
        assert "lube oil pressure" in text.lower(), text
        screenshot(page, "first-run-equipment-health")
        context.close()
    print(f"first run: ready in {ready_s:.0f} s, first cited answer at {answered_s:.0f} s")
