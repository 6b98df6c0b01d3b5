"""The knowledge base's documents: list, upload, passages, scope, disable, re-index, delete."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import UploadFile

from channels.app.runtime import Bosun
from channels.http.admin.session import AdminSession
from channels.http.admin.web import (
    CheckedForm,
    SignedIn,
    Site,
    back,
    comma_list,
    field,
    page_router,
    render,
)
from channels.services.knowledge import open_knowledge
from records import BosunError, DocumentStatus, ErrorCode, documents, register

router = page_router()


@router.get("/documents")
def documents_page(request: Request, site: Site, session: SignedIn) -> Response:
    """List the documents with their status, and the upload form."""
    with site.bosun.db.transaction(session.caller) as s:
        docs = documents.list_documents(s, session.caller, limit=200).items
        vessels = register.list_vessels(s, session.caller)
        rows = [_doc_row(d) for d in docs]
    return render(
        request,
        "documents.html",
        session,
        documents=rows,
        vessels=[(v.id, v.name) for v in vessels],
        kinds=documents.KINDS,
        accept=",".join(documents.UPLOAD_SUFFIXES),
        max_mb=site.bosun.settings.max_upload_bytes // 1_000_000,
    )


@router.post("/documents/upload")
async def upload(request: Request, site: Site, session: SignedIn, form: CheckedForm) -> Response:
    """Upload and ingest a document (JSON for the page's script, else a redirect)."""
    wants_json = "application/json" in request.headers.get("accept", "")
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise BosunError(ErrorCode.invalid, "choose a file to upload")
        limit = site.bosun.settings.max_upload_bytes
        data = await file.read(limit + 1)
        kind = field(form, "kind") or "manual"
        name = documents.check_upload(file.filename, kind, len(data), limit)
        vessel = field(form, "vessel_id")
        summary = await asyncio.to_thread(
            _ingest_upload,
            site.bosun,
            session,
            name,
            data,
            kind=kind,
            vessel_id=int(vessel) if vessel.isdigit() else None,
            tags=comma_list(field(form, "tags")),
            equipment_codes=comma_list(field(form, "equipment_codes")),
        )
    except BosunError as err:
        if wants_json:
            return JSONResponse({"ok": False, "detail": err.message}, status_code=400)
        return back("/admin/documents", err.message, error=True)
    if wants_json:
        return JSONResponse({"ok": not summary["failed"], **summary})
    text = summary["failed"] or f"{name}: {summary['status']}, {summary['chunks']} chunks"
    return back("/admin/documents", str(text), error=bool(summary["failed"]))


@router.get("/documents/{document_id}")
def document_page(request: Request, site: Site, session: SignedIn, document_id: int) -> Response:
    """Show one document and its passages."""
    try:
        with site.bosun.db.transaction(session.caller) as s:
            doc = _doc_row(documents.get_document(s, session.caller, document_id))
    except BosunError as err:
        return back("/admin/documents", err.message, error=True)
    passages = open_knowledge(site.bosun).passages(session.caller, document_id)
    return render(
        request,
        "document.html",
        session,
        doc=doc,
        kinds=documents.KINDS,
        passages=[{"page": p.page, "section": p.section, "text": p.text} for p in passages[:300]],
    )


@router.post("/documents/{document_id}/{verb}")
async def document_action(
    site: Site, session: SignedIn, form: CheckedForm, document_id: int, verb: str
) -> Response:
    """Disable, enable, re-index, delete or edit a document."""
    service = open_knowledge(site.bosun)
    here = f"/admin/documents/{document_id}"
    try:
        if verb == "disable":
            await asyncio.to_thread(service.set_enabled, session.caller, document_id, False)
            return back(here, "Disabled: search no longer finds it.")
        if verb == "enable":
            await asyncio.to_thread(service.set_enabled, session.caller, document_id, True)
            return back(here, "Enabled.")
        if verb == "reindex":
            await asyncio.to_thread(service.reindex, session.caller, document_id)
            return back(here, "Re-indexed.")
        if verb == "delete":
            await asyncio.to_thread(service.delete, session.caller, document_id)
            return back("/admin/documents", f"Document {document_id} deleted.")
        if verb == "edit":
            changes: dict[str, Any] = {"tags": comma_list(field(form, "tags"))}
            if field(form, "title").strip():
                changes["title"] = field(form, "title").strip()
            if field(form, "kind") in documents.KINDS:
                changes["kind"] = field(form, "kind")
            await asyncio.to_thread(service.update_scope, session.caller, document_id, changes)
            return back(here, "Saved and re-indexed.")
    except BosunError as err:
        return back(here, err.message, error=True)
    return HTMLResponse("unknown action", status_code=404)


def _doc_row(d: Any) -> dict[str, Any]:
    status = d.status.value if isinstance(d.status, DocumentStatus) else str(d.status)
    return {
        "id": d.id,
        "title": d.title,
        "kind": d.kind,
        "filename": d.filename,
        "version": d.version,
        "status": status,
        "error": d.error,
        "pages": d.pages,
        "chunks": d.chunks,
        "enabled": d.enabled,
        "tags": list(d.tags or []),
        "vessel_id": d.vessel_id,
        "updated_at": d.updated_at,
    }


def _ingest_upload(
    bosun: Bosun,
    session: AdminSession,
    name: str,
    data: bytes,
    *,
    kind: str,
    vessel_id: int | None,
    tags: list[str],
    equipment_codes: list[str],
) -> dict[str, Any]:
    document_id, summary = open_knowledge(bosun).ingest_upload(
        session.caller,
        name,
        data,
        kind=kind,
        vessel_id=vessel_id,
        equipment_codes=equipment_codes,
        tags=tags,
    )
    row = None
    if document_id is not None:
        with bosun.db.transaction(session.caller) as s:
            row = _doc_row(documents.get_document(s, session.caller, document_id))
    return {
        "document_id": row["id"] if row else None,
        "status": row["status"] if row else "failed",
        "chunks": row["chunks"] if row else 0,
        "failed": "; ".join(f"{f.code}: {f.reason}" for f in summary.failed),
    }
