"""Fleet mode: the same `bosun up`, with the database on PostgreSQL, in real subprocesses.

Two servers share one PostgreSQL database (and a Qdrant server when
``BOSUN_TEST_QDRANT_URL`` is set): the first seeds the demo with ``--demo``, the second
joins without it. A chat token from one is accepted by the other, an action proposed on one
and confirmed on both is executed once, and the rows sit in PostgreSQL behind row-level
security.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import conninfo, fresh_postgres_database, require_postgres
from tests.e2e.bosun_process import bosun_env, bosun_up, cli, demo_keys, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

READY_TIMEOUT_S = 420
"""First start on PostgreSQL (seed, embedding model, readings, training) on a loaded 2-core box."""
APP_ROLE = "bosun_app"
FAULT_TEXT = "ME2 fuel pump is leaking diesel onto the hot box"
CASES = Path(__file__).resolve().parents[2] / "eval" / "cases" / "manuals.jsonl"


def _manual_case() -> dict[str, Any]:
    """A question of the demo manuals' cases, with the document and page it must cite."""
    lines = CASES.read_text(encoding="utf-8").splitlines()
    case: dict[str, Any] = json.loads(lines[0])
    return case


def _rows_seen_as_app_role(url: str, tenant: str | None, sql: str, *params: Any) -> int:
    """Count rows as the application's role with ``bosun.org_id`` set to ``tenant``."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute(f'SET ROLE "{APP_ROLE}"')
        if tenant is not None:
            conn.execute("SELECT set_config('bosun.org_id', %s, false)", (tenant,))
        row = conn.execute(sql, params).fetchone()
        assert row is not None
        return int(row[0])


def _post(base: str, path: str, secret: str, **body: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base}{path}", headers={"Authorization": f"Bearer {secret}"}, json=body, timeout=120
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def run_fleet(tmp_path: Path, database_url: str, **extra_env: str) -> None:
    """Run two fleet servers on one database and check what they share."""
    shared_files = tmp_path / "shared-files"
    common = {
        "BOSUN_DATABASE_URL": database_url,
        "BOSUN_SECRET_KEY": secrets.token_urlsafe(48),
        "BOSUN_FILES_DIR": str(shared_files),
        **extra_env,
    }
    home_a, home_b = tmp_path / "server-a", tmp_path / "server-b"

    # A fleet server without the shared secret refuses to start, and says why.
    refused = cli(
        home_a,
        "up",
        "--port",
        str(free_port()),
        env=bosun_env(home_a, BOSUN_DATABASE_URL=database_url),
    )
    assert refused.returncode != 0 and "BOSUN_SECRET_KEY" in refused.stderr, refused

    port_a, port_b = free_port(), free_port()
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    started = time.monotonic()
    with bosun_up(home_a, port_a, "--demo", env=bosun_env(home_a, **common)) as (proc_a, log_a):
        assert wait_for(f"{a}/healthz", 120, proc_a, log_a).json()["status"] == "ok"
        wait_for(f"{a}/readyz", READY_TIMEOUT_S, proc_a, log_a)
        print(f"fleet mode: server A ready in {time.monotonic() - started:.0f} s on PostgreSQL")
        printed = log_a.read_text()
        assert re.search(r"Bosun is ready in \d+ s", printed) and "simulator serving" in printed
        assert "BOSUN_SECRET_KEY" not in printed and common["BOSUN_SECRET_KEY"] not in printed

        keys = demo_keys(home_a)
        assert set(keys) == {"crew", "officer", "chief_engineer", "shore", "admin"}
        assert keys["admin"] in printed, "the demo keys are printed once on first start"
        assert not (home_a / "bosun.db").exists(), "fleet mode keeps no SQLite database"
        assert list((shared_files / "models").rglob("v1.json")), "the trained model is shared"
        assert len(list((shared_files / "demo" / "manuals").glob("*.pdf"))) == 5

        # A question about a demo manual gets an answer citing the right page.
        case = _manual_case()
        answer = _post(a, "/v1/chat/turns", keys["chief_engineer"], text=case["question"])
        assert answer["outcome"] == "answer" and "[1]" in answer["reply"], answer
        chief = {"Authorization": f"Bearer {keys['chief_engineer']}"}
        cited = [
            (httpx.get(f"{a}/v1/documents/{c['document_id']}", headers=chief).json(), c["page"])
            for c in answer["citations"]
        ]
        manual = next(
            (doc for doc, page in cited if doc["filename"].startswith(case["document"])), None
        )
        assert manual is not None and (manual, case["page"]) in cited, (case, cited)

        # A second server joins the same database (no --demo: no seeding, no 2nd simulator).
        with bosun_up(home_b, port_b, env=bosun_env(home_b, **common)) as (proc_b, log_b):
            wait_for(f"{b}/readyz", READY_TIMEOUT_S, proc_b, log_b)
            joined = log_b.read_text()
            assert "demo: importing" not in joined and "simulator serving" not in joined
            assert keys["admin"] not in joined

            # The manual rendered by server A opens on server B (BOSUN_FILES_DIR is shared).
            pdf = httpx.get(f"{b}/v1/documents/{manual['id']}/file", headers=chief, timeout=30)
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:200]

            # A chat token issued by one server is good on the other (the shared secret).
            token = _post(a, "/v1/chat/tokens", keys["crew"])["token"]
            proposed = _post(b, "/v1/chat/turns", token, text=FAULT_TEXT, conversation="fleet")
            action = proposed["proposed_action"]
            assert proposed["outcome"] == "proposed" and action["kind"] == "report_fault"
            assert action["arguments"]["equipment_code"] == "601.2.10"

            # Confirmed on both servers: executed once.
            first = _post(a, f"/v1/chat/actions/{action['id']}/confirm", keys["crew"])
            again = _post(b, f"/v1/chat/actions/{action['id']}/confirm", token)
            assert first["executed"] and first["executed"]["fault_id"]
            fault_id = first["executed"]["fault_id"]
            assert again["outcome"] != "error", again
            listed = httpx.get(
                f"{b}/v1/faults",
                headers={"Authorization": f"Bearer {keys['crew']}"},
                params={"limit": 500},
            ).json()["items"]
            assert [f["id"] for f in listed if f["title"] == FAULT_TEXT] == [fault_id]
        assert proc_b.returncode == 0, log_b.read_text()
    assert proc_a.returncode == 0, log_a.read_text()

    # The rows are in PostgreSQL, walled off per tenant by row-level security.
    with psycopg.connect(conninfo(database_url)) as conn:
        found = conn.execute(
            "SELECT org_id, count(*) FROM faults WHERE title = %s GROUP BY org_id", (FAULT_TEXT,)
        ).fetchall()
        (other_org,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM organizations").fetchone()
    assert len(found) == 1 and found[0][1] == 1, found
    org = str(found[0][0])
    for table in ("faults", "work_orders", "users", "api_keys", "pending_actions", "equipment"):
        sql = f"SELECT count(*) FROM {table}"
        assert _rows_seen_as_app_role(database_url, org, sql) > 0, table
        assert _rows_seen_as_app_role(database_url, str(other_org), sql) == 0, table
        assert _rows_seen_as_app_role(database_url, None, sql) == 0, table
    by_title = "SELECT count(*) FROM faults WHERE title = %s"
    assert _rows_seen_as_app_role(database_url, org, by_title, FAULT_TEXT) == 1
    assert _rows_seen_as_app_role(database_url, str(other_org), by_title, FAULT_TEXT) == 0
    readings = "SELECT count(*) FROM tenant_readings"
    assert _rows_seen_as_app_role(database_url, str(other_org), readings) == 0
    assert _rows_seen_as_app_role(database_url, org, readings) > 100_000


def test_bosun_up_in_fleet_mode_on_postgresql(tmp_path: Path) -> None:
    with fresh_postgres_database("bosun_fleet") as url:
        run_fleet(tmp_path, url)


def test_bosun_up_in_fleet_mode_with_a_qdrant_server(tmp_path: Path) -> None:
    qdrant_url = os.environ.get("BOSUN_TEST_QDRANT_URL")
    if not qdrant_url:
        pytest.skip("no Qdrant server: set BOSUN_TEST_QDRANT_URL=http://host:6333 to run")
    require_postgres()
    from qdrant_client import QdrantClient

    collection = f"bosun_fleet_{uuid.uuid4().hex[:8]}"
    try:
        with fresh_postgres_database("bosun_fleet") as url:
            run_fleet(
                tmp_path, url, BOSUN_QDRANT_URL=qdrant_url, BOSUN_QDRANT_COLLECTION=collection
            )
        client = QdrantClient(url=qdrant_url)
        assert client.count(collection).count > 0, "the servers indexed into the Qdrant server"
    finally:
        QdrantClient(url=qdrant_url).delete_collection(collection)


__all__ = ["run_fleet"]
