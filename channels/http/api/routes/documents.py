"""Knowledge curation: upload, list, chunks, scope, disable, re-index, delete; search; pins."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, Query, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from channels.http.api.deps import BosunDep, CallerDep, SessionDep
from channels.http.api.routes.common import Cursor, Limit, v1_router
from channels.http.api.schemas.common import Id, optional
from channels.http.api.served_files import document_file_response
from channels.services.knowledge import open_knowledge
from records import (
    BosunError,
    DocumentStatus,
    ErrorCode,
    Permission,
    documents,
    require,
)

router = v1_router(tags=["knowledge"])


class DocumentRead(BaseModel):
    """A knowledge-base document and where it stands."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    kind: str
    filename: str | None
    vessel_id: int | None
    equipment_codes: list[str]
    tags: list[str]
    version: int
    status: DocumentStatus
    error: str | None
    pages: int | None
    chunks: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


class DocumentUpdate(BaseModel):
    """Scope and labels of a document (it is re-indexed with them)."""

    model_config = ConfigDict(extra="forbid")

    title: str = optional(min_length=1, max_length=300)
    kind: str = optional(description=f"One of {', '.join(documents.KINDS)}.")
    vessel_id: Id | None = Field(default=None, description="null: every vessel.")
    equipment_codes: list[str] = optional(description="[] clears them.")
    tags: list[str] = optional(description="[] clears them.")


class PinIn(BaseModel):
    """A curated answer returned first when a question matches."""

    question: str = Field(min_length=3, max_length=1000)
    answer: str = Field(min_length=1, max_length=8000)
    vessel_id: Id | None = None


def _curator(caller: Any) -> None:
    require(caller, Permission.curate_knowledge)


@router.post("/documents", status_code=status.HTTP_201_CREATED)
def upload_document(
    bosun: BosunDep,
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, Markdown or text")],
    kind: Annotated[str, Form()] = "manual",
    title: Annotated[str | None, Form()] = None,
    vessel_id: Annotated[Id | None, Form()] = None,
    equipment_codes: Annotated[str, Form(description="Comma-separated codes")] = "",
    tags: Annotated[str, Form(description="Comma-separated tags")] = "",
) -> dict[str, Any]:
    """Upload and ingest a document (same file name: a new version replaces the old)."""
    _curator(caller)
    limit = bosun.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    name = documents.check_upload(file.filename, kind, len(data), limit)
    document_id, summary = open_knowledge(bosun).ingest_upload(
        caller,
        name,
        data,
        kind=kind,
        title=title,
        vessel_id=vessel_id,
        equipment_codes=[c.strip() for c in equipment_codes.split(",") if c.strip()],
        tags=[t.strip() for t in tags.split(",") if t.strip()],
    )
    read = None
    if document_id is not None:
        with bosun.db.transaction(caller) as s:
            doc = documents.get_document(s, caller, document_id)
            read = DocumentRead.model_validate(doc).model_dump(mode="json")
    return {
        "document": read,
        "indexed": len(summary.indexed),
        "unchanged": len(summary.unchanged),
        "failed": [{"code": f.code, "reason": f.reason} for f in summary.failed],
    }


@router.get("/documents")
def list_documents(
    session: SessionDep,
    caller: CallerDep,
    cursor: Cursor = None,
    limit: Limit = 50,
    status_: Annotated[DocumentStatus | None, Query(alias="status")] = None,
) -> dict[str, Any]:
    """List documents with their status and chunk counts."""
    page = documents.list_documents(session, caller, status=status_, cursor=cursor, limit=limit)
    return {
        "items": [DocumentRead.model_validate(d).model_dump(mode="json") for d in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/documents/{document_id}")
def get_document(document_id: Id, session: SessionDep, caller: CallerDep) -> DocumentRead:
    """Return one document."""
    return DocumentRead.model_validate(documents.get_document(session, caller, document_id))


@router.get("/documents/{document_id}/chunks")
def document_chunks(document_id: Id, bosun: BosunDep, caller: CallerDep) -> dict[str, Any]:
    """Return a document's indexed chunks with page and section."""
    passages = open_knowledge(bosun).passages(caller, document_id)
    return {
        "items": [
            {
                "ordinal": p.ordinal,
                "page": p.page,
                "section": p.section,
                "text": p.text,
                "table_row": p.table_row,
                "ocr_confidence": p.ocr_confidence,
            }
            for p in passages
        ]
    }


@router.get("/documents/{document_id}/file")
def document_file(document_id: Id, session: SessionDep, caller: CallerDep) -> FileResponse:
    """Open the document's file: a PDF inline (append #page=N), anything else as a download."""
    doc = documents.get_document(session, caller, document_id)
    if not doc.path or doc.path.startswith("records://") or not Path(doc.path).exists():
        raise BosunError(ErrorCode.not_found, f"document {document_id} has no file to open")
    return document_file_response(doc.path, doc.filename or Path(doc.path).name)


@router.patch("/documents/{document_id}")
def update_document(
    document_id: Id, body: DocumentUpdate, bosun: BosunDep, caller: CallerDep
) -> DocumentRead:
    """Change a document's title, kind, vessel, equipment or tags (re-indexed with them)."""
    _curator(caller)
    changes = body.model_dump(exclude_unset=True)
    doc = open_knowledge(bosun).update_scope(caller, document_id, changes)
    return DocumentRead.model_validate(doc)


@router.post("/documents/{document_id}/disable")
def disable_document(document_id: Id, bosun: BosunDep, caller: CallerDep) -> DocumentRead:
    """Disable a document: its passages are never returned until re-enabled."""
    _curator(caller)
    return DocumentRead.model_validate(
        open_knowledge(bosun).set_enabled(caller, document_id, False)
    )


@router.post("/documents/{document_id}/enable")
def enable_document(document_id: Id, bosun: BosunDep, caller: CallerDep) -> DocumentRead:
    """Enable a disabled document again."""
    _curator(caller)
    return DocumentRead.model_validate(open_knowledge(bosun).set_enabled(caller, document_id, True))


@router.post("/documents/{document_id}/reindex")
def reindex_document(document_id: Id, bosun: BosunDep, caller: CallerDep) -> DocumentRead:
    """Parse and index the document again."""
    _curator(caller)
    return DocumentRead.model_validate(open_knowledge(bosun).reindex(caller, document_id))


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document_id: Id, bosun: BosunDep, caller: CallerDep) -> None:
    """Delete a document, its passages and its uploaded file."""
    _curator(caller)
    open_knowledge(bosun).delete(caller, document_id)


@router.get("/knowledge/search")
def search(
    bosun: BosunDep,
    session: SessionDep,
    caller: CallerDep,
    q: Annotated[str, Query(min_length=2, max_length=1000)],
    vessel_id: Id | None = None,
    equipment: Annotated[
        str | None, Query(description="Equipment code (children included)")
    ] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    tag: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Hybrid search of the caller's organization's knowledge, with citations."""
    service = open_knowledge(bosun)
    scope = service.scope_for(
        session, caller, vessel_id=vessel_id, equipment_code=equipment, kinds=kind, tags=tag
    )
    hits = service.search(q, scope, limit=limit)
    return {
        "items": [
            {
                "text": h.passage.text,
                "score": h.score,
                "kind": h.passage.kind,
                "citation": {
                    "document_id": h.citation.document_id,
                    "title": h.citation.title,
                    "page": h.citation.page,
                    "section": h.citation.section,
                    "url": h.citation.url,
                },
            }
            for h in hits
        ]
    }


@router.post("/knowledge/pins", status_code=status.HTTP_201_CREATED)
def pin(body: PinIn, bosun: BosunDep, caller: CallerDep) -> dict[str, Any]:
    """Pin a curated answer to a question."""
    _curator(caller)
    pinned = open_knowledge(bosun).kb.pin_answer(
        caller.org_id, body.question, body.answer, vessel_id=body.vessel_id
    )
    return {"id": pinned.id, "question": pinned.question, "answer": pinned.answer}


@router.get("/knowledge/pins")
def list_pins(bosun: BosunDep, caller: CallerDep) -> dict[str, Any]:
    """List the organization's pinned answers."""
    pins = open_knowledge(bosun).kb.list_pins(caller.org_id)
    return {
        "items": [
            {"id": p.id, "question": p.question, "answer": p.answer, "vessel_id": p.vessel_id}
            for p in pins
        ]
    }


@router.delete("/knowledge/pins/{pin_id}", status_code=status.HTTP_204_NO_CONTENT)
def unpin(pin_id: str, bosun: BosunDep, caller: CallerDep) -> None:
    """Remove a pinned answer."""
    _curator(caller)
    if not open_knowledge(bosun).kb.unpin(caller.org_id, pin_id):
        raise BosunError(ErrorCode.not_found, f"pin {pin_id} not found")
