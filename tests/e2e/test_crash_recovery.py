"""``kill -9`` during an ingest: parser children die with the server, the document is
re-queued at the next start, and after a second interruption it is marked failed."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from bench.zip_bomb import build_docx_bomb
from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from records import Role
from tests import factories
from tests.e2e.bosun_process import bosun_env, bosun_up, free_port, wait_for
from tests.waiting import cpu_seconds, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def _parser_workers(pid: int, *, tracker: bool = False) -> list[int]:
    """Return the parser processes (multiprocessing spawn children) of a process.

    With `tracker`, multiprocessing's resource tracker too (it exits once they are gone).
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent != pid:
            continue
        if ("spawn_main" in cmdline and "resource_tracker" not in cmdline) or (
            tracker and "resource_tracker" in cmdline
        ):
            found.append(int(entry.name))
    return found


def _said(log: Path) -> str:
    """Return the server's output with the console's line wrapping undone."""
    return " ".join(log.read_text().split())


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_while_parsing(proc: object, log: Path) -> None:
    """Wait until the server's parser process works, kill -9 the server, check it is gone."""
    pid = proc.pid  # type: ignore[attr-defined]
    workers = wait_until(
        lambda: _parser_workers(pid),
        timeout=180,
        what=lambda: f"a parser process starting:\n{log.read_text()[-3000:]}",
    )
    # The parser is inside the document once it has worked for a while.
    wait_until(lambda: max(cpu_seconds(w) for w in workers) >= 2, timeout=60, what="parsing")
    workers = _parser_workers(pid, tracker=True)
    os.kill(pid, signal.SIGKILL)
    proc.wait(10)  # type: ignore[attr-defined]
    wait_until(
        lambda: not [w for w in workers if _alive(w)],
        timeout=10,
        what="the parser processes ending with the killed server",
    )


def test_kill_9_during_an_ingest_requeues_once_then_fails(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bosun = open_bosun(Settings(home=home))
    org_id = factories.organization(bosun.db, "Crash Test Shipping")
    admin = factories.user(bosun.db, org_id, Role.admin, name="Admin", email="admin@crash.test")
    key = factories.api_key(bosun.db, org_id, admin.id)
    bosun.close()
    # About a minute of parsing: time to kill the server in the middle of it.
    heavy = build_docx_bomb(tmp_path / "heavy.docx", 8, paragraphs=True, pages=1)
    env = bosun_env(home, BOSUN_EMBEDDER="torch")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
            httpx.post(
                f"{base}/v1/documents",
                headers=headers,
                files={"file": ("heavy.docx", heavy.read_bytes())},
                timeout=300,
            )

    with bosun_up(home, port, "--no-demo", env=env) as (proc, log):
        wait_for(f"{base}/readyz", 300, proc, log)
        threading.Thread(target=upload, daemon=True).start()
        _kill_while_parsing(proc, log)

    with bosun_up(home, port, "--no-demo", env=env) as (proc, log):
        wait_for(f"{base}/readyz", 300, proc, log)
        assert "1 interrupted ingest(s) re-queued" in _said(log)
        items = httpx.get(f"{base}/v1/documents", headers=headers, timeout=60).json()["items"]
        [doc] = [d for d in items if d["filename"] == "heavy.docx"]
        assert doc["status"] == "pending"
        _kill_while_parsing(proc, log)  # the re-queued ingest is interrupted too

    with bosun_up(home, port, "--no-demo", env=env) as (proc, log):
        wait_for(f"{base}/readyz", 300, proc, log)
        assert "1 failed after a second interruption" in _said(log)
        got = httpx.get(f"{base}/v1/documents/{doc['id']}", headers=headers, timeout=60).json()
        assert got["status"] == "failed"
        assert "interrupted twice" in got["error"]
        # Nothing may start in the next seconds: waiting is the check (no event says "never").
        time.sleep(2)
        assert _parser_workers(proc.pid) == []  # nothing re-queued a third time
