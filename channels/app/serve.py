"""``bosun up``: serve the API at once, do first-start work in the background."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import uvicorn
from rich.console import Console
from sqlalchemy.engine import make_url

from channels.app.home_files import private_umask, secure_home
from channels.app.local_server import (
    CLI_KEYS_DIR,
    LEGACY_CLI_KEY_FILE,
    acquire_home,
    read_cli_keys,
    remove_server_file,
    write_cli_key,
    write_cli_organizations,
    write_server_file,
)
from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.demo.live import DEMO_LIVE_STEPS
from channels.demo.seed import DEMO_KEYS_FILE, is_seeded, seed_demo
from records import (
    ALL_TENANTS,
    BosunError,
    ErrorCode,
    Role,
    SystemState,
    register,
    system_caller,
    users,
)

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
FirstStartStep = Callable[[Bosun, Progress], None]
EXTRA_FIRST_START: list[tuple[str, FirstStartStep]] = [*DEMO_LIVE_STEPS]
"""Later first-start work (indexing manuals, training) registers itself here."""
MIN_SECRET_KEY_CHARS = 32


def _demo_manuals(bosun: Bosun, progress: Callable[[str], None]) -> None:
    """Render and ingest the demo manuals when the demo vessel is in the database."""
    from channels.demo.ingest import demo_manuals_step

    demo_manuals_step(bosun, progress)


EXTRA_FIRST_START.append(("demo manuals", _demo_manuals))


def _has_organizations(bosun: Bosun) -> bool:
    with bosun.db.transaction(ALL_TENANTS) as s:
        return register.has_organizations(s)


def _demo_started(bosun: Bosun) -> bool:
    with bosun.db.transaction(ALL_TENANTS) as s:
        return s.get(SystemState, "demo") is not None


def _ensure_cli_keys(bosun: Bosun) -> None:
    """Give the local CLI one admin key per organization, so it can reach this server.

    Each key belongs to that organization's ``cli@bosun.local`` admin: no key crosses tenants.
    """
    home = bosun.settings.home
    existing = read_cli_keys(home)
    with bosun.db.transaction(ALL_TENANTS) as s:
        names = {o.id: o.name for o in register.list_organizations(s)}
        valid: set[int] = set()
        for org_id, secret in existing.items():
            try:
                found = users.authenticate_key(s, secret)
                if found.org_id == org_id and found.role is Role.admin:
                    valid.add(org_id)
            except BosunError:
                pass
        legacy = home / LEGACY_CLI_KEY_FILE
        if legacy.exists():  # the one key of earlier versions: revoked, replaced per organization
            users.revoke_key_with_secret(s, legacy.read_text(encoding="utf-8").strip())
    for org_id in names:
        if org_id in valid:
            continue
        caller = system_caller(org_id, "cli")
        with bosun.db.transaction(org_id) as s:
            user = users.find_user_by_email(s, caller, CLI_EMAIL) or users.create_user(
                s, caller, name="Local command line", email=CLI_EMAIL, role=Role.admin
            )
            s.flush()
            if user.role is not Role.admin or not user.active:
                bosun.startup.warn(
                    f"cli keys: {CLI_EMAIL} of organization {names[org_id]!r} is not an active "
                    "admin; the command line cannot reach this server for it"
                )
                (home / CLI_KEYS_DIR / f"{org_id}.key").unlink(missing_ok=True)
                continue
            issued = users.create_api_key(s, caller, user=user, name="local cli")
            write_cli_key(home, org_id, issued.secret)
    for org_id in set(existing) - set(names):
        (home / CLI_KEYS_DIR / f"{org_id}.key").unlink(missing_ok=True)
    write_cli_organizations(home, names)
    (home / LEGACY_CLI_KEY_FILE).unlink(missing_ok=True)


CLI_EMAIL = "cli@bosun.local"


def check_fleet_settings(settings: Settings) -> None:
    """Refuse a fleet server (on PostgreSQL) that would sign tokens with a key of its own.

    Chat tokens, signed document links and admin sessions issued by one server must be
    accepted by every other, so a fleet shares ``BOSUN_SECRET_KEY``; a per-server key in
    ``BOSUN_HOME`` would make them fail at random behind a load balancer.
    """
    if settings.is_embedded:
        return
    key = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if len(key) < MIN_SECRET_KEY_CHARS:
        raise BosunError(
            ErrorCode.invalid,
            "on PostgreSQL (fleet mode) set BOSUN_SECRET_KEY to the same secret of at least "
            f"{MIN_SECRET_KEY_CHARS} characters on every server, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'",
        )


def serve(settings: Settings, *, demo: bool | None, console: Console) -> None:
    """Run Bosun until interrupted; what it starts stops in reverse order (``Components``)."""
    from channels.http.app import create_app
    from channels.services.notifications import check_notify_settings

    check_fleet_settings(settings)
    private_umask()
    with contextlib.ExitStack() as stack:
        if settings.is_embedded:
            stack.callback(acquire_home(settings.home).close)
        started = Started(time.monotonic(), datetime.now(UTC), console)
        bosun = open_bosun(settings)
        stack.callback(bosun.close)
        if settings.is_embedded:
            secure_home(settings.home)
            stack.callback(remove_server_file, settings.home)
        check_notify_settings(bosun)
        bosun.demo_requested = _wants_demo(bosun, demo)
        app = create_app(bosun)
        bosun.runner.start()
        bosun.scheduler.start()
        first = partial(_first_start, bosun, app, started)
        threading.Thread(target=first, name="bosun-first-start", daemon=True).start()
        console.print(
            f"Bosun serving on {_url(settings)} ({_where_data_is(settings)})", soft_wrap=True
        )
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            log_config=None,  # uvicorn logs where Bosun's records go (bosun up: the log file)
            lifespan="on",
        )
        try:
            uvicorn.Server(config).run()
        except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: a normal stop
            console.print("Bosun stopped")


@dataclass(frozen=True)
class Started:
    """When ``bosun up`` started, and the terminal its progress goes to."""

    at: float
    wall: datetime
    console: Console

    def progress(self, bosun: Bosun, text: str) -> None:
        """Record a first-start step and print it with the seconds since the start."""
        bosun.startup.step(text)
        elapsed = time.monotonic() - self.at
        self.console.print(f"[dim]{elapsed:5.0f} s[/] {text}", highlight=False, soft_wrap=True)


def _url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}"


def _wants_demo(bosun: Bosun, demo: bool | None) -> bool:
    """``--demo``/``--no-demo``, else seed a new (or half-seeded) embedded home."""
    if demo is not None:
        return demo
    return bosun.settings.is_embedded and (
        not _has_organizations(bosun) or (_demo_started(bosun) and not is_seeded(bosun.db))
    )


def _first_start(bosun: Bosun, app: Any, started: Started) -> None:
    """Seed, index, train and start the live parts, in the background; then say ready."""
    console, settings = started.console, bosun.settings
    progress = partial(started.progress, bosun)
    try:
        if bosun.demo_requested:
            result = seed_demo(
                bosun.db, progress=progress, keys_file=settings.home / DEMO_KEYS_FILE
            )
            if result.keys:
                _print_keys(console, result.keys)
        _demo_admin_password(bosun, console)
        _start_knowledge(bosun, progress, started.wall)
        from channels.services.predictors import wire_scoring

        wire_scoring(bosun)
        for name, step in EXTRA_FIRST_START:
            bosun.startup.step(f"first start: {name}")
            _step_or_warn(bosun, console, name, partial(step, bosun, progress))
        for name, start in _LIVE_PARTS:
            _step_or_warn(bosun, console, name, partial(start, bosun, app, progress))
        if settings.is_embedded:
            _step_or_warn(bosun, console, "cli keys", lambda: _ensure_cli_keys(bosun))
            write_server_file(settings.home, _url(settings))
            secure_home(settings.home)
        bosun.startup.ready.set()
        url = _url(settings)
        console.print(
            f"[bold green]Bosun is ready[/] in {time.monotonic() - started.at:.0f} s: "
            f"{url}  (API docs {url}/docs, health {url}/healthz)",
            soft_wrap=True,
        )
        _print_where(console, url)
        _warm_speech(bosun)
    except Exception as err:  # shown on /readyz and in the terminal; serving continues
        bosun.startup.error = f"{type(err).__name__}: {err}"
        console.print(
            f"[bold red]first-start work failed:[/] {bosun.startup.error}; "
            "fix the cause and restart bosun up (finished steps are kept)"
        )


def _start_knowledge(bosun: Bosun, progress: Progress, started_at: datetime) -> None:
    """Open the knowledge base, resume interrupted ingests, index the fault history."""
    from channels.services.knowledge import (
        index_all_fault_history,
        open_knowledge,
        resume_interrupted_ingests,
        watch_fault_changes,
    )

    knowledge = open_knowledge(bosun)
    requeued, given_up = resume_interrupted_ingests(knowledge, before=started_at)
    if requeued or given_up:
        progress(
            f"knowledge: {requeued} interrupted ingest(s) re-queued, "
            f"{given_up} failed after a second interruption"
        )
    progress("knowledge: loading the embedding model and indexing fault history")
    indexed = index_all_fault_history(knowledge, on_failure=bosun.startup.warn)
    progress(f"knowledge: {indexed} fault-history passages searchable")
    watch_fault_changes(bosun)


def _start_connectors(bosun: Bosun, app: Any, progress: Progress) -> None:
    from channels.services.connectors import start_connectors

    if start_connectors(bosun) is not None and bosun.connectors is not None:
        app.state.metrics.add_collector(bosun.connectors.metrics_collector())
        progress(f"connectors: reading {len(bosun.connectors.config.sources)} source(s)")


def _start_slack(bosun: Bosun, app: Any, progress: Progress) -> None:
    if app.state.slack.start_socket_mode():
        bosun.components.add("slack", app.state.slack.stop)
        progress("slack: connecting over Socket Mode")


def _start_telegram(bosun: Bosun, app: Any, progress: Progress) -> None:
    from channels.chat.wire_telegram import start_telegram
    from channels.services.chat import telegram_bot

    polling = start_telegram(partial(telegram_bot, bosun), bosun.settings.public_url, progress)
    if polling is not None:
        bosun.components.add("telegram", polling.stop)


def _start_notices(bosun: Bosun, app: Any, progress: Progress) -> None:
    from channels.services.notifications import start_notifications

    platforms = start_notifications(bosun)
    if platforms:
        progress(f"notifications: {', '.join(platforms)}, along each organization's routes")


_LIVE_PARTS: list[tuple[str, Callable[[Bosun, Any, Progress], None]]] = [
    ("connectors", _start_connectors),
    ("slack", _start_slack),
    ("telegram", _start_telegram),
    ("notifications", _start_notices),
]
"""What first start connects once the data is in: each one's failure is only a warning."""


def _step_or_warn(bosun: Bosun, console: Console, name: str, step: Callable[[], object]) -> None:
    """Run one start step; a failure is a ``/readyz`` warning, and the start goes on."""
    try:
        step()
    except Exception as err:  # one vessel's or platform's trouble stops nobody else
        text = f"{name}: {type(err).__name__}: {err}"
        bosun.startup.warn(text)
        console.print(f"[bold yellow]warning:[/] {text}", soft_wrap=True, highlight=False)


def _where_data_is(settings: Settings) -> str:
    """Say where this server keeps its data (the home, or the fleet's shared stores)."""
    if settings.is_embedded:
        return f"home {settings.home}"
    from knowledge import KnowledgeSettings

    index = KnowledgeSettings().qdrant_url or (
        f"an embedded index in {settings.home} (one server only: a fleet sets BOSUN_QDRANT_URL)"
    )
    database = make_url(settings.url).render_as_string(hide_password=True)
    return f"database {database}, files {settings.files}, knowledge {index}"


def _demo_admin_password(bosun: Bosun, console: Console) -> None:
    """Give the demo admin a password for the admin pages and show it once."""
    from channels.http.admin import ensure_admin_password
    from records.demo import demo_users

    admin = next(u for u in demo_users() if u.role == "admin")
    password = ensure_admin_password(bosun, admin.email)
    if password is None:
        return
    keys_file = bosun.settings.home / DEMO_KEYS_FILE
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # owner only
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(f"admin pages: {admin.email} password {password}\n")
    console.print(
        f"[bold]Admin pages[/] sign-in: {admin.email}  password {password}",
        soft_wrap=True,
        highlight=False,
    )


def _warm_speech(bosun: Bosun) -> None:
    """Assemble and load the speech model in the background: the first voice note is quick."""
    from channels.services.speech import open_transcriber

    def warm() -> None:
        try:
            load = getattr(open_transcriber(bosun), "load", None)
            if callable(load):
                load()
        except Exception as err:  # speech to text stays unavailable; chat works without it
            log.warning("speech to text unavailable: %s", err)

    thread = threading.Thread(target=warm, name="bosun-warm-speech", daemon=True)
    thread.start()
    # Joined before the process exits: CTranslate2 aborts the whole process if it is torn
    # down while a model loads.
    bosun.components.add("speech model", partial(thread.join, timeout=120))


def _print_where(console: Console, url: str) -> None:
    """Tell where everything is and how to connect the chat platforms."""
    console.print(
        f"  chat (start page)  {url}/\n"
        f"  admin pages        {url}/admin\n"
        f"  REST API           {url}/docs\n"
        f'  widget for a page  <script src="{url}/widget.js" data-bosun-url="{url}" '
        'data-token-url="/your-backend/bosun-token"></script>\n'
        "  Slack:    set BOSUN_SLACK_BOT_TOKEN and BOSUN_SLACK_SIGNING_SECRET (events at "
        "/slack/events), or BOSUN_SLACK_APP_TOKEN for Socket Mode\n"
        "  Telegram: set BOSUN_TELEGRAM_BOT_TOKEN (long polling), or also "
        "BOSUN_TELEGRAM_WEBHOOK_SECRET for the webhook at /telegram/webhook\n"
        "  Link a chat account: bosun users link-code EMAIL, then send /link CODE to the bot",
        soft_wrap=True,
        highlight=False,
    )


def _print_keys(console: Console, keys: list[tuple[str, str, str]]) -> None:
    console.print("[bold]Demo users' API keys[/] (shown once; also in BOSUN_HOME/demo-keys.txt):")
    for email, role, secret in keys:
        console.print(f"  {role:<15} {email:<40} {secret}", soft_wrap=True, highlight=False)


__all__ = ["EXTRA_FIRST_START", "MIN_SECRET_KEY_CHARS", "check_fleet_settings", "serve"]
