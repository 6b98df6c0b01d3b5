"""The ``bosun`` command line.

While ``bosun up`` serves a home, commands that touch the home reach it through the local
API (the embedded stores allow one process); without a running server they open the home
directly, creating and migrating it when needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from channels.cli.console import err, fail, out
from channels.cli.context import OrganizationOption, RoleName, open_home
from channels.cli.context import settings as _settings
from channels.cli.home import RegisterOptions, errors, reach

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Bosun maintenance assistant.")
import_app = typer.Typer(no_args_is_help=True, help="Import data into Bosun.")
equipment_app = typer.Typer(no_args_is_help=True, help="The equipment register.")
users_app = typer.Typer(no_args_is_help=True, help="Users and their roles.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(import_app, name="import")
app.add_typer(equipment_app, name="equipment")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")


def _register_extensions() -> None:
    from channels.cli.backup import backup, restore
    from channels.cli.connectors import connectors_app, simulate
    from channels.cli.glossary import glossary_app
    from channels.cli.knowledge import ask, chat, documents_app, import_faults, ingest
    from channels.cli.predictors import models_app, train

    app.add_typer(connectors_app, name="connectors")
    app.add_typer(documents_app, name="documents")
    app.add_typer(glossary_app, name="glossary")
    app.command("simulate")(simulate)
    app.command("ingest")(ingest)
    app.command("ask")(ask)
    app.command("train")(train)
    app.add_typer(models_app, name="models")
    app.command("chat")(chat)
    import_app.command("faults")(import_faults)
    app.command("backup")(backup)
    app.command("restore")(restore)


_register_extensions()


@app.command()
def up(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default 8000).")] = None,
    demo: Annotated[
        bool | None,
        typer.Option("--demo/--no-demo", help="Seed the demo vessel (default: into a new home)."),
    ] = None,
) -> None:
    """Start Bosun: the API, the chat, the admin pages and background work."""
    from channels.app.logs import log_to_file
    from channels.app.serve import serve
    from records import BosunError

    settings = _settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    log_to_file(settings.home)
    try:
        serve(settings, demo=demo, console=out)
    except BosunError as error:
        raise fail(error.message) from error
    except RuntimeError as error:
        raise fail(str(error)) from error


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from records import migrate as run

    settings = _settings()
    if settings.is_embedded:
        settings.home.mkdir(parents=True, exist_ok=True)
    run(settings.url)
    out.print(f"database at {settings.url.split('@')[-1]} is up to date")


@app.command()
def demo(
    manuals: Annotated[
        bool,
        typer.Option(help="Also render the demo manuals to PDF and ingest them."),
    ] = True,
) -> None:
    """Load the demo vessel (register, users, parts, plans, six months of history, manuals)."""
    from channels.app.local_server import running_server_url
    from channels.demo.seed import DEMO_KEYS_FILE, seed_demo

    settings = _settings()
    if settings.is_embedded and running_server_url(settings.home):
        raise fail("bosun up is running on this home and seeds the demo itself; stop it first")
    bosun = open_home(settings)
    result = seed_demo(
        bosun.db,
        progress=lambda s: err.print(s),
        keys_file=settings.home / DEMO_KEYS_FILE,
    )
    _print_keys(result.keys)
    out.print(f"demo vessel loaded (organization {result.org_id}, vessel {result.vessel_id})")
    if manuals:
        from channels.demo.ingest import ingest_demo_manuals

        try:
            ingest_demo_manuals(bosun, progress=lambda s: err.print(s))
        finally:
            if bosun.knowledge is not None:
                bosun.knowledge.close()


def _print_keys(keys: list[tuple[str, str, str]]) -> None:
    if keys:
        out.print("[bold]API keys[/] (shown once; keep them):")
    for email, role, secret in keys:
        out.print(f"  {role:<15} {email:<40} {secret}", soft_wrap=True, highlight=False)


@import_app.command("register")
def import_register(
    file: Annotated[Path, typer.Argument(help="Register file: .yaml/.yml or .csv")],
    vessel_name: Annotated[str | None, typer.Option(help="Vessel name (CSV).")] = None,
    imo: Annotated[str | None, typer.Option(help="Vessel IMO number (CSV).")] = None,
    organization: OrganizationOption = None,
    sensors: Annotated[Path | None, typer.Option(help="Sensors CSV (with a CSV register).")] = None,
    prune: Annotated[bool, typer.Option(help="Delete equipment missing from the file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Create or update a vessel and its equipment tree from a register file."""
    from records import BosunError, register_import

    try:
        spec = register_import.load_file(
            file, vessel_name=vessel_name, imo=imo, organization=organization, sensors_path=sensors
        )
    except BosunError as error:
        raise fail(error.message) from error
    named = organization or spec.organization
    options = RegisterOptions(file, sensors, vessel_name, imo, named, prune)
    try:
        report = reach(named).import_register(spec, options)
    except errors() as error:
        raise fail(getattr(error, "message", str(error))) from error
    if as_json:
        out.print_json(json.dumps(report))
        return
    out.print(
        f"vessel {spec.vessel.name} ({spec.vessel.imo}): {report['created']} created, "
        f"{report['updated']} updated, {report['unchanged']} unchanged; sensors "
        f"{report['sensors_created']} created, {report['sensors_updated']} updated"
    )
    if report["missing"]:
        out.print(
            f"in the database but not in the file (kept; --prune removes them): "
            f"{', '.join(report['missing'])}"
        )
    if report["pruned"]:
        out.print(f"removed: {', '.join(report['pruned'])}")


@equipment_app.command("list")
def equipment_list(
    vessel: Annotated[
        str | None, typer.Option(help="IMO of the vessel (needed if several).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the register as JSON.")] = False,
    organization: OrganizationOption = None,
) -> None:
    """Show a vessel's equipment register."""
    from rich.table import Table

    try:
        data = reach(organization).export_register(vessel)
    except errors() as error:
        raise fail(getattr(error, "message", str(error))) from error
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{data['vessel']['name']} ({data['vessel']['imo']})")
    for column in ("code", "name", "aliases", "class", "sensors"):
        table.add_column(column)

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for n in nodes:
            table.add_row(
                n["code"],
                "  " * depth + n["name"],
                ", ".join(n.get("aliases", [])),
                n.get("class") or "",
                str(len(n.get("sensors", []))),
            )
            walk(n.get("children", []), depth + 1)

    walk(data["equipment"], 0)
    out.print(table)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Option(help="Full name.")],
    email: Annotated[str, typer.Option(help="Email address (unique in the organization).")],
    role: Annotated[RoleName, typer.Option(help="crew, officer, chief_engineer, shore or admin.")],
    vessel: Annotated[list[str] | None, typer.Option(help="IMO of a vessel (repeatable).")] = None,
    organization: OrganizationOption = None,
) -> None:
    """Add a user."""
    try:
        created = reach(organization).add_user(
            name=name, email=email, role=role.value, imos=list(vessel or [])
        )
    except errors() as error:
        raise fail(getattr(error, "message", str(error))) from error
    out.print(f"user {created['email']} ({created['role']}) created, id {created['id']}")


@users_app.command("password")
def users_password(
    email: Annotated[str, typer.Argument(help="Email of the user.")],
    organization: OrganizationOption = None,
) -> None:
    """Set a user's password for the admin pages (asked twice; or one line on stdin)."""
    if sys.stdin.isatty():
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        reach(organization).set_password(email, password)
    except errors() as error:
        raise fail(getattr(error, "message", str(error))) from error
    out.print(f"password of {email} set; sign in at /admin")


@users_app.command("link-code")
def users_link_code(
    email: Annotated[str, typer.Argument(help="Email of the user.")],
    organization: OrganizationOption = None,
) -> None:
    """Issue a one-time code the user sends the Slack or Telegram bot as /link CODE."""
    from records import users

    try:
        code = reach(organization).link_code(email)
    except errors() as error:
        raise fail(getattr(error, "message", str(error))) from error
    minutes = int(users.LINK_CODE_TTL.total_seconds() // 60)
    out.print(f"Link code for {email} (one use, valid {minutes} minutes):")
    sys.stdout.write(code + "\n")
    out.print(f"In Slack or Telegram, send the Bosun bot: /link {code}")


@keys_app.command("create")
def keys_create(
    email: Annotated[str, typer.Option(help="Email of the user the key acts as.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    organization: OrganizationOption = None,
) -> None:
    """Create an API key for a user; it is shown once."""
    try:
        secret = reach(organization).create_key(email, name)
    except errors() as error:
        raise fail(getattr(error, "message", str(error))) from error
    out.print("API key (shown once; store it now):")
    sys.stdout.write(secret + "\n")


def main() -> None:
    """Entry point of the ``bosun`` console script."""
    from channels.app.home_files import private_umask
    from channels.app.logs import log_to_terminal

    private_umask()  # everything a command writes under BOSUN_HOME is the owner's alone
    # Our own progress at INFO; libraries (ONNX export, asyncua, alembic) only when it matters.
    log_to_terminal()
    app()


if __name__ == "__main__":
    main()
