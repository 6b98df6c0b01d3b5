"""``bosun ingest``, ``bosun import faults``, ``bosun documents``, ``bosun ask``, ``bosun chat``."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from channels.cli.console import err, fail, out
from channels.cli.context import OrganizationOption, organization_id, vessel_ids_by_imo
from channels.cli.context import server as _find_server
from channels.cli.context import settings as _settings

if TYPE_CHECKING:
    from channels.app.local_server import LocalServer
    from records import Caller

documents_app = typer.Typer(no_args_is_help=True, help="Curate the knowledge base.")


def _server(organization: str | None = None) -> LocalServer | None:
    return _find_server(_settings(), organization)


def _bosun() -> Any:
    from channels.app.runtime import open_bosun

    return open_bosun(_settings())


def org_and_vessel(bosun: Any, imo: str | None, organization: str | None) -> tuple[int, int | None]:
    """Return (org id, vessel id or None) for the options ``--vessel`` and ``--organization``."""
    from records import ALL_TENANTS, BosunError, register_import

    try:
        with bosun.db.transaction(ALL_TENANTS) as s:
            if imo and organization:
                vessel_id, org_id = register_import.vessel_in_organization(s, imo, organization)
            elif imo:
                vessel_id, org_id = register_import.pick_vessel(s, imo)
            else:
                return register_import.find_organization(s, organization).id, None
    except BosunError as error:
        raise fail(error.message) from error
    return org_id, vessel_id


def acting_caller(
    bosun: Any, email: str | None, imo: str | None, organization: str | None = None
) -> tuple[Caller, int]:
    """Return (caller, vessel id): the named user, else the only vessel's chief engineer."""
    from records import Caller, Role, register, system_caller, users

    org_id, vessel_id = org_and_vessel(bosun, imo, organization)
    with bosun.db.transaction(org_id) as s:
        if vessel_id is None:
            vessels = register.list_vessels(s, system_caller(org_id))
            if len(vessels) != 1:
                raise fail(
                    "several vessels: pass --vessel IMO"
                    if vessels
                    else "no vessel yet: import a register with bosun import register FILE"
                )
            vessel_id = vessels[0].id
        if email:
            user = users.find_user_by_email(s, system_caller(org_id), email)
            if user is None:
                raise fail(f"no user with email {email}")
        else:
            user = users.first_user_with_role(s, Role.chief_engineer, org_id=org_id)
        if user is None:
            return Caller(org_id=org_id, role=Role.chief_engineer, channel="cli"), vessel_id
        return users.caller_for(user, "cli"), vessel_id


def _files(paths: list[Path]) -> list[Path]:
    from records.documents import UPLOAD_SUFFIXES

    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.suffix.lower() in UPLOAD_SUFFIXES)
        elif p.exists():
            found.append(p)
        else:
            raise fail(f"{p} does not exist")
    return found


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest")],
    kind: Annotated[
        str, typer.Option(help="manual, procedure, report or fault_history")
    ] = "manual",
    vessel: Annotated[str | None, typer.Option(help="IMO of the vessel it applies to")] = None,
    equipment: Annotated[list[str] | None, typer.Option(help="Equipment code (repeatable)")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag (repeatable)")] = None,
    force: Annotated[bool, typer.Option(help="Re-index even unchanged files")] = False,
    organization: OrganizationOption = None,
) -> None:
    """Ingest manuals and procedures; unchanged files are skipped after a hash check."""
    from channels.app.local_server import ServerRefused
    from records import BosunError, system_caller

    files = _files(paths)
    if not files:
        raise fail("no files to ingest (PDF, DOCX, HTML, Markdown or text)")
    server = _server(organization)
    if server is not None:
        vessels = vessel_ids_by_imo(server)
        if vessel and vessel not in vessels:
            raise fail(f"no vessel with IMO {vessel} in this organization")
        failed = 0
        for f in files:
            data = {
                "kind": kind,
                "equipment_codes": ",".join(equipment or []),
                "tags": ",".join(tag or []),
            }
            if vessel:
                data["vessel_id"] = str(vessels[vessel])
            try:
                with f.open("rb") as handle:
                    result = server.request(
                        "POST", "/v1/documents", data=data, files={"file": (f.name, handle)}
                    )
            except ServerRefused as error:
                err.print(f"failed {f}: {error}")
                failed += 1
                continue
            state = (
                "unchanged"
                if result["unchanged"]
                else ("failed" if result["failed"] else "indexed")
            )
            out.print(f"{state}: {f}")
        if failed:
            raise typer.Exit(1)
        return
    from channels.services.knowledge import open_knowledge

    bosun = _bosun()
    org_id, vessel_id = org_and_vessel(bosun, vessel, organization)
    try:
        caller = system_caller(org_id, "cli")
        summary = open_knowledge(bosun).ingest(
            caller,
            files,
            kind=kind,
            vessel_id=vessel_id,
            equipment_codes=equipment or [],
            tags=tag or [],
            force=force,
            progress=True,
        )
    except BosunError as error:
        raise fail(error.message) from error
    out.print(summary.render())
    if summary.failed:
        raise typer.Exit(1)


def import_faults(
    file: Annotated[Path, typer.Argument(help="CSV export of another maintenance system")],
    mapping: Annotated[Path | None, typer.Option(help="Column mapping YAML")] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="field=column (symptom=PROBLEM, date=datetime, ...)"),
    ] = None,
    vessel: Annotated[str | None, typer.Option(help="IMO of the vessel it applies to")] = None,
    organization: OrganizationOption = None,
) -> None:
    """Index a fault-history CSV export as searchable passages."""
    from channels.app.local_server import running_server_url
    from channels.services.knowledge import open_knowledge
    from ingestion import FaultMapping, IngestionError, mapping_from_cli
    from records import BosunError, system_caller

    try:
        loaded = FaultMapping.from_yaml(mapping) if mapping else mapping_from_cli(map_ or [])
    except IngestionError as error:
        raise fail(error.message) from error
    settings = _settings()
    if settings.is_embedded and running_server_url(settings.home):
        raise fail("bosun up is running on this home: stop it to import fault histories")
    bosun = _bosun()
    org_id, vessel_id = org_and_vessel(bosun, vessel, organization)
    try:
        count, summary = open_knowledge(bosun).import_fault_csv(
            system_caller(org_id, "cli"), file, loaded, vessel_id=vessel_id
        )
    except (BosunError, IngestionError) as error:
        raise fail(error.message) from error
    out.print(f"{summary}; {count} passages indexed")


@documents_app.command("list")
def documents_list(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    organization: OrganizationOption = None,
) -> None:
    """List documents with status and chunk counts."""
    from rich.table import Table

    items = _documents_call(organization, "GET", "/v1/documents", params={"limit": 500})["items"]
    if as_json:
        sys.stdout.write(json.dumps(items, indent=2) + "\n")
        return
    table = Table()
    for column in ("id", "title", "kind", "status", "chunks", "pages", "version", "error"):
        table.add_column(column)
    for d in items:
        table.add_row(
            str(d["id"]),
            d["title"],
            d["kind"],
            d["status"],
            str(d["chunks"]),
            str(d["pages"] or ""),
            str(d["version"]),
            (d["error"] or "")[:60],
        )
    out.print(table)


def _documents_call(organization: str | None, method: str, path: str, **kwargs: Any) -> Any:
    """Run a documents request against the running server, or in-process on the home."""
    from channels.app.local_server import ServerRefused

    server = _server(organization)
    if server is not None:
        try:
            return server.request(method, path, **kwargs)
        except ServerRefused as error:
            raise fail(str(error)) from error
    from fastapi.testclient import TestClient

    from channels.http.app import create_app

    bosun = _bosun()
    caller = _admin_key(bosun, organization)
    with TestClient(create_app(bosun)) as client:
        response = client.request(
            method, path, headers={"Authorization": f"Bearer {caller}"}, **kwargs
        )
    if response.status_code >= 400:
        raise fail(response.json().get("detail", response.text))
    return response.json() if response.content else None


def _admin_key(bosun: Any, organization: str | None) -> str:
    """Return a short-lived admin key for in-process CLI calls (revoked at exit)."""
    import atexit

    from records import Role, system_caller, users

    org_id = organization_id(bosun, organization)
    system = system_caller(org_id, "cli")
    with bosun.db.transaction(org_id) as s:
        user = users.find_user_by_email(s, system, "cli@bosun.local") or users.create_user(
            s, system, name="Local command line", email="cli@bosun.local", role=Role.admin
        )
        s.flush()
        issued = users.create_api_key(s, system, user=user, name=f"cli-{uuid.uuid4().hex[:6]}")
        key_id, secret = issued.key.id, issued.secret

    def revoke() -> None:
        with bosun.db.transaction(org_id) as s:
            users.revoke_api_key(s, system, key_id)

    atexit.register(revoke)
    return secret


@documents_app.command("disable")
def documents_disable(document_id: int, organization: OrganizationOption = None) -> None:
    """Disable a document (never returned in answers)."""
    d = _documents_call(organization, "POST", f"/v1/documents/{document_id}/disable")
    out.print(f"document {d['id']} ({d['title']}) disabled")


@documents_app.command("enable")
def documents_enable(document_id: int, organization: OrganizationOption = None) -> None:
    """Enable a disabled document."""
    d = _documents_call(organization, "POST", f"/v1/documents/{document_id}/enable")
    out.print(f"document {d['id']} ({d['title']}) enabled")


@documents_app.command("reindex")
def documents_reindex(
    document_id: Annotated[
        int | None,
        typer.Argument(
            help="Document to re-index; without it, retry every document that "
            "failed for lack of a text layer (e.g. after installing tesseract)."
        ),
    ] = None,
    organization: OrganizationOption = None,
) -> None:
    """Parse and index a document again, or retry the scans that failed without OCR."""
    if document_id is not None:
        d = _documents_call(organization, "POST", f"/v1/documents/{document_id}/reindex")
        out.print(f"document {d['id']} ({d['title']}) re-indexed: {d['chunks']} chunks")
        return
    retry: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": "failed", "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = _documents_call(organization, "GET", "/v1/documents", params=params)
        retry += [
            d["id"] for d in page["items"] if (d["error"] or "").startswith("[no_text_layer]")
        ]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if not retry:
        out.print("no document failed for lack of a text layer")
        return
    for doc_id in retry:
        d = _documents_call(organization, "POST", f"/v1/documents/{doc_id}/reindex")
        state = f"{d['chunks']} chunks" if d["status"] == "indexed" else f"failed: {d['error']}"
        out.print(f"document {d['id']} ({d['title']}) re-indexed: {state}")


@documents_app.command("delete")
def documents_delete(document_id: int, organization: OrganizationOption = None) -> None:
    """Delete a document and its passages."""
    _documents_call(organization, "DELETE", f"/v1/documents/{document_id}")
    out.print(f"document {document_id} deleted")


@documents_app.command("chunks")
def documents_chunks(document_id: int, organization: OrganizationOption = None) -> None:
    """Show a document's chunks with page and section."""
    for c in _documents_call(organization, "GET", f"/v1/documents/{document_id}/chunks")["items"]:
        marks = " table row" if c.get("table_row") else ""
        if c.get("ocr_confidence") is not None:
            marks += f" OCR {c['ocr_confidence']:.0f}%"
        out.print(f"[bold]#{c['ordinal']} p.{c['page'] or '-'} {c['section'] or ''}{marks}[/]")
        out.print(c["text"], highlight=False)


@documents_app.command("review")
def documents_review(organization: OrganizationOption = None) -> None:
    """Questions nothing answered and replies marked unhelpful."""
    for item in _documents_call(organization, "GET", "/v1/chat/review", params={"limit": 200})[
        "items"
    ]:
        why = "unanswered" if item["unanswered"] else f"marked {item['feedback']}"
        out.print(f"[{item['at'][:16]}] ({why}) {item['question']!r}")


def ask(
    text: Annotated[str, typer.Argument(help="What to ask or report")],
    vessel: Annotated[str | None, typer.Option(help="IMO (needed if several vessels)")] = None,
    user: Annotated[str | None, typer.Option(help="Email of the user to act as")] = None,
    voice: Annotated[bool, typer.Option(help="The text came from speech")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
    organization: OrganizationOption = None,
) -> None:
    """Ask Bosun one thing; prints the reply, its citations and any proposed action."""
    from channels.app.local_server import ServerRefused
    from records import BosunError

    server = _server(organization)
    try:
        if server is not None:
            result = _ServerChat(server, user, vessel).turn(text, voice=voice)
        else:
            from channels.services.chat import open_assistant

            bosun = _bosun()
            caller, vessel_id = acting_caller(bosun, user, vessel, organization)
            with bosun.db.transaction(caller) as s:
                result = (
                    open_assistant(bosun)
                    .turn(
                        s,
                        caller,
                        text,
                        channel="cli",
                        voice=voice,
                        vessel_id=vessel_id,
                    )
                    .to_dict()
                )
    except (BosunError, ServerRefused) as error:
        raise fail(getattr(error, "message", str(error))) from error
    if as_json:
        sys.stdout.write(
            json.dumps(
                {
                    "reply": result["reply"],
                    "citations": result["citations"],
                    "proposed_action": result["proposed_action"],
                },
                ensure_ascii=False,
            )
            + "\n"
        )
        return
    _show(result)


class _ServerChat:
    """Turns through a running ``bosun up``, as a user: with ``--user``, under a chat token.

    The organization's CLI key asks ``POST /v1/chat/tokens`` for a token of that user (the
    issue is audited with both), so the turn runs with the user's role and vessels.
    """

    def __init__(self, server: LocalServer, email: str | None, imo: str | None) -> None:
        from channels.app.local_server import LocalServer

        self.conversation = f"cli-{uuid.uuid4().hex[:8]}"
        self.vessel_id = None
        if imo:
            vessels = vessel_ids_by_imo(server)
            if imo not in vessels:
                raise fail(f"no vessel with IMO {imo}")
            self.vessel_id = vessels[imo]
        self.server = server
        if email:
            token = server.request("POST", "/v1/chat/tokens", json={"user": email})["token"]
            self.server = LocalServer(server.url, token)

    def turn(self, text: str, *, voice: bool = False) -> dict[str, Any]:
        """Send one message; return the reply as the API gives it."""
        body: dict[str, Any] = {"text": text, "voice": voice, "conversation": self.conversation}
        if self.vessel_id is not None:
            body["vessel_id"] = self.vessel_id
        result: dict[str, Any] = self.server.request("POST", "/v1/chat/turns", json=body)
        return result


def _show(result: dict[str, Any]) -> None:
    out.print(result["reply"], highlight=False)
    for i, c in enumerate(result.get("citations") or [], 1):
        page = f", p. {c['page']}" if c.get("page") else ""
        section = f" — {c['section']}" if c.get("section") else ""
        out.print(f"  [{i}] {c['title']}{page}{section}", highlight=False)
    action = result.get("proposed_action")
    if action:
        out.print(
            f"[bold]Proposed:[/] {action.get('summary', '')} (answer yes or no)", highlight=False
        )


def chat(
    vessel: Annotated[str | None, typer.Option(help="IMO (needed if several vessels)")] = None,
    user: Annotated[str | None, typer.Option(help="Email of the user to act as")] = None,
    organization: OrganizationOption = None,
) -> None:
    """Chat with Bosun in the terminal; "yes" confirms a proposed action, Ctrl-D quits.

    While ``bosun up`` serves the home, the chat goes through it.
    """
    from channels.app.local_server import ServerRefused
    from records import BosunError

    server = _server(organization)
    if server is not None:
        try:
            remote = _ServerChat(server, user, vessel)
        except ServerRefused as error:
            raise fail(str(error)) from error
        send: Any = remote.turn
    else:
        from channels.services.chat import open_assistant

        bosun = _bosun()
        caller, vessel_id = acting_caller(bosun, user, vessel, organization)
        key = f"cli-{uuid.uuid4().hex[:8]}"
        assistant = open_assistant(bosun)

        def send(text: str) -> dict[str, Any]:
            with bosun.db.transaction(caller) as s:
                reply: dict[str, Any] = assistant.turn(
                    s, caller, text, channel="cli", conversation_key=key, vessel_id=vessel_id
                ).to_dict()
            return reply

    out.print("Bosun chat — ask about equipment, manuals, faults; Ctrl-D to quit.")
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            out.print()
            return
        if not text:
            continue
        try:
            result = send(text)
        except (BosunError, ServerRefused) as error:
            err.print(f"error: {getattr(error, 'message', str(error))}")
            continue
        _show(result)


__all__ = ["ask", "chat", "documents_app", "import_faults", "ingest"]
