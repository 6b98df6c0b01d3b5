"""Fuzz the REST API with schemathesis as admin, officer and crew on a throwaway demo home.

    python -m bench.fuzz                      # what .ci/run runs (schemathesis.toml as is)
    python -m bench.fuzz --max-examples 60    # a longer local run
    python -m bench.fuzz --postgres postgresql://postgres@127.0.0.1:5432/postgres

Seeds the demo into a temporary ``BOSUN_HOME``, serves the API on a free loopback port and
runs ``schemathesis run`` with the committed ``schemathesis.toml`` (checks, seed, examples)
once per role, each as a fuzz user of its own. Operations that change the caller (its user,
its keys) run in a second pass as a throwaway user of the same role, so the main pass keeps
its key. Prints requests, failures and server errors per role; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "schemathesis.toml"
ROLES = ("admin", "officer", "crew")
CALLER_CHANGING = frozenset({("PATCH", "/v1/users/{user_id}"), ("DELETE", "/v1/api-keys/{key_id}")})
"""Operations that can take the caller's own access away: run on a throwaway user."""


@dataclass
class Outcome:
    """What schemathesis reported for one role."""

    role: str
    requests: int = 0
    failures: int = 0
    server_errors: int = 0
    seconds: float = 0.0
    exit_code: int = 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _prepare(home: Path, database_url: str | None) -> tuple[Any, dict[str, tuple[str, str]]]:
    """Seed the demo and make a fuzz user and a throwaway user per role; return their keys."""
    from channels.app.runtime import open_bosun
    from channels.app.settings import Settings
    from channels.demo.seed import DEMO_KEYS_FILE, seed_demo
    from records import Role, system_caller, users

    bosun = open_bosun(Settings(home=home, database_url=database_url))
    demo = seed_demo(bosun.db, keys_file=home / DEMO_KEYS_FILE)
    system = system_caller(demo.org_id)
    keys: dict[str, tuple[str, str]] = {}
    with bosun.db.transaction(demo.org_id) as session:
        for role in ROLES:
            pair = []
            for purpose in ("fuzz", "throwaway"):
                user = users.create_user(
                    session,
                    system,
                    name=f"{purpose} {role}",
                    email=f"{purpose}-{role}@fuzz.test",
                    role=Role(role),
                    vessel_ids=[] if role == "admin" else [demo.vessel_id],
                )
                session.flush()
                pair.append(users.create_api_key(session, system, user=user, name=purpose).secret)
            keys[role] = (pair[0], pair[1])
    return bosun, keys


def _serve(bosun: Any, port: int) -> Any:
    import uvicorn

    from channels.http.app import create_app

    app = create_app(bosun)
    bosun.startup.ready.set()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, name="fuzz-server", daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("fuzz: the server did not start in 60 s")
        time.sleep(0.05)
    return server, app


def _operation_ids(app: Any, wanted: frozenset[tuple[str, str]]) -> list[str]:
    ids = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if (method.upper(), path) in wanted:
                ids.append(operation["operationId"])
    return sorted(ids)


def _schemathesis(
    url: str, key: str, report: Path, filters: list[str], extra: list[str]
) -> tuple[int, str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{url}/openapi.json",
        "--header",
        f"Authorization: Bearer {key}",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        *filters,
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    return done.returncode, done.stdout + done.stderr


def _count(report: Path, outcome: Outcome) -> None:
    """Add a run's requests, failed checks and 5xx responses from its ndjson events."""
    if not report.exists():
        return
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        for interaction in (recorder.get("interactions") or {}).values():
            response = interaction.get("response")
            outcome.requests += 1
            if response and response.get("status_code", 0) >= 500:
                outcome.server_errors += 1
        for check_list in (recorder.get("checks") or {}).values():
            outcome.failures += sum(
                1 for check in check_list if str(check.get("status")).lower() == "failure"
            )


def run(args: argparse.Namespace) -> list[Outcome]:
    """Seed, serve and fuzz each role; return what schemathesis found per role."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # The packaged model loads without the int8 export that bosun up makes once.
    os.environ.setdefault("BOSUN_EMBEDDER", "torch")
    with tempfile.TemporaryDirectory(prefix="bosun-fuzz-") as tmp:
        home = Path(tmp) / "home"
        os.environ["BOSUN_HOME"] = str(home)
        bosun, keys = _prepare(home, args.database_url)
        port = _free_port()
        server, app = _serve(bosun, port)
        url = f"http://127.0.0.1:{port}"
        changing = _operation_ids(app, CALLER_CHANGING)
        extra = []
        if args.max_examples:
            extra += ["--max-examples", str(args.max_examples)]
        if args.seed is not None:
            extra += ["--seed", str(args.seed)]
        logs = Path(args.logs)
        logs.mkdir(parents=True, exist_ok=True)

        def fuzz(role: str) -> Outcome:
            outcome = Outcome(role)
            started = time.monotonic()
            main_key, throwaway_key = keys[role]
            passes = [
                (main_key, [a for op in changing for a in ("--exclude-operation-id", op)]),
                (throwaway_key, [a for op in changing for a in ("--include-operation-id", op)]),
            ]
            for number, (key, filters) in enumerate(passes, start=1):
                report = logs / f"{role}-{number}.ndjson"
                report.unlink(missing_ok=True)
                code, output = _schemathesis(url, key, report, filters, extra)
                (logs / f"{role}-{number}.log").write_text(output)
                outcome.exit_code = max(outcome.exit_code, code)
                _count(report, outcome)
            outcome.seconds = time.monotonic() - started
            print(
                f"fuzz: {role:<8} {outcome.requests:6,} requests, {outcome.failures} failed "
                f"checks, {outcome.server_errors} server errors, {outcome.seconds:.0f} s "
                f"(schemathesis exit {outcome.exit_code}; log {logs}/{role}-*.log)",
                flush=True,
            )
            return outcome

        roles = args.roles.split(",")
        try:
            # The roles run side by side: each schemathesis process mostly waits on replies.
            with ThreadPoolExecutor(max_workers=len(roles)) as pool:
                outcomes = list(pool.map(fuzz, roles))
        finally:
            server.should_exit = True
            time.sleep(0.5)
            bosun.close()
    return outcomes


@contextmanager
def _fresh_database(server: str | None) -> Iterator[str | None]:
    """Yield the URL of a new, empty database on a PostgreSQL server (dropped afterwards)."""
    if not server:
        yield None
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"bosun_fuzz_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Parse the command line, run, and exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--roles", default=",".join(ROLES), help="Comma-separated roles.")
    parser.add_argument("--max-examples", type=int, default=None, help="Override the toml.")
    parser.add_argument("--seed", type=int, default=None, help="Override the toml's seed.")
    parser.add_argument("--logs", default=str(REPO / "tests" / "artifacts" / "fuzz"))
    parser.add_argument(
        "--postgres",
        default=None,
        help="Admin URL of a PostgreSQL server: fuzz a new database there.",
    )
    args = parser.parse_args()
    started = time.monotonic()
    with _fresh_database(args.postgres) as args.database_url:
        outcomes = run(args)
    total = sum(o.requests for o in outcomes)
    bad = [o for o in outcomes if o.failures or o.server_errors or o.exit_code]
    print(f"fuzz: {total:,} requests in {time.monotonic() - started:.0f} s; ", end="")
    print("FAILED: " + ", ".join(o.role for o in bad) if bad else "0 failures")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
