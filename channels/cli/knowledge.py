"""``bosun ingest``, ``bosun import faults``, ``bosun documents``, ``bosun ask``, ``bosun chat``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from channels.cli.console import err, fail, out
from channels.cli.context import OrganizationOption, open_home
from channels.cli.context import settings as _settings
from channels.cli.home import Turn, errors, org_and_vessel, reach

documents_app = typer.Typer(no_args_is_help=True, help="Curate the knowledge base.")


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
    files = _files(paths)
    if not files:
        raise fail("no files to ingest (PDF, DOCX, HTML, Markdown or text)")
    failed = reach(organization).ingest(
        files, kind=kind, vessel=vessel, equipment=equipment or [], tags=tag or [], force=force
    )
    if failed:
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
    bosun = open_home(settings)
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
    return reach(organization).api(method, path, **kwargs)


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
    try:
        result = reach(organization).chat(user, vessel, conversation=False)(text, voice)
    except errors() as error:
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
    try:
        send: Turn = reach(organization).chat(user, vessel, conversation=True)
    except errors() as error:
        raise fail(getattr(error, "message", str(error))) from error
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
            result = send(text, False)
        except errors() as error:
            err.print(f"error: {getattr(error, 'message', str(error))}")
            continue
        _show(result)


__all__ = ["ask", "chat", "documents_app", "import_faults", "ingest"]
