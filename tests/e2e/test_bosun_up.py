"""`bosun up` on an empty home, in a real subprocess, as a newcomer would run it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.bosun_process import BOSUN, bosun_up, cli, free_port, wait_for
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
__all__ = ["BOSUN", "bosun_up", "cli", "free_port", "wait_for"]  # shared with other e2e tests
VIEWPORT = {"viewport": {"width": 1280, "height": 800}, "has_touch": True}


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


def test_bosun_up_on_an_empty_home_serves_the_demo(
    tmp_path: Path, browser: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    """The first run as an evaluator sees it, ending in the start page's chat in Chromium."""
    home = tmp_path / "home"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    case = _manual_case()
    started = time.monotonic()
    with bosun_up(home, port) as (proc, log):
        wait_for(f"{base}/healthz", 60, proc, log)
        # Seeding, fault history and the demo manuals (render + ingest): about 3 minutes idle.
        ready = wait_for(f"{base}/readyz", 420, proc, log)
        ready_s = time.monotonic() - started
        assert ready.status_code == 200
        keys = dict(
            line.split("\t")[0:3:2]
            for line in (home / "demo-keys.txt").read_text().splitlines()
            if "\t" in line
        )
        assert set(keys) == {"crew", "officer", "chief_engineer", "shore", "admin"}
        printed = log.read_text()
        assert keys["admin"] in printed, "the demo keys are printed once on first start"
        headers = {"Authorization": f"Bearer {keys['chief_engineer']}"}
        vessels = httpx.get(f"{base}/v1/vessels", headers=headers).json()
        assert [v["name"] for v in vessels["items"]] == ["MV Northern Bosun"]
        faults = httpx.get(f"{base}/v1/faults", headers=headers, params={"limit": 200}).json()
        assert len(faults["items"]) > 100
        assert httpx.get(f"{base}/v1/vessels").status_code == 401
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        docs = httpx.get(f"{base}/v1/documents", headers=admin, params={"limit": 100}).json()
        manuals = [d for d in docs["items"] if "demo" in d["tags"] and d["kind"] != "fault_history"]
        assert len(manuals) == 5, docs
        assert all(d["status"] == "indexed" and d["pages"] for d in manuals), manuals
        assert sum(d["pages"] for d in manuals) >= 40
        chief = headers

        context = browser.new_context(**VIEWPORT)
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
            name.startswith(case["document"]) and at == str(case["page"]) for name, at, _ in hits
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

        # While the server runs, the CLI goes through its local API, not the home.
        listing = cli(home, "equipment", "list", "--json")
        assert listing.returncode == 0, listing.stderr
        register = json.loads(listing.stdout)
        assert register["vessel"]["imo"] == "9700001"
        assert any(e["code"].startswith("6") for e in register["equipment"])
        second = cli(home, "up", "--port", str(free_port()))
        assert second.returncode != 0 and "another bosun up" in second.stderr
        faults = httpx.get(f"{base}/v1/faults", headers=headers, params={"limit": 500}).json()
    assert proc.returncode == 0, log.read_text()
    assert not (home / "server.json").exists()
    print(f"first run: ready in {ready_s:.0f} s, first cited answer at {answered_s:.0f} s")

    # A second start neither reseeds nor prints keys again.
    with bosun_up(home, port) as (proc, log):
        wait_for(f"{base}/readyz", 60, proc, log)
        assert keys["admin"] not in log.read_text()
        headers = {"Authorization": f"Bearer {keys['admin']}"}
        again = httpx.get(f"{base}/v1/faults", headers=headers, params={"limit": 500}).json()
        assert len(again["items"]) == len(faults["items"])


def test_an_interrupted_first_start_finishes_on_the_next(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with bosun_up(home, port) as (proc, log):
        wait_until(lambda: "generating" in log.read_text(), timeout=120, what="the demo generating")
        proc.kill()  # no clean shutdown: as if the power went
        proc.wait(10)
    with bosun_up(home, port) as (proc, log):
        wait_for(f"{base}/readyz", 420, proc, log)
        text = log.read_text()
        assert "generating" in text and "importing the register" not in text
    # Stopped as soon as it was ready, while the speech model may still be loading: a clean
    # exit (a native model torn down mid-load used to abort the process).
    assert proc.returncode == 0, log.read_text()
    result = cli(home, "equipment", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["vessel"]["name"] == "MV Northern Bosun"
