"""The knowledge base's records of its source documents."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import Page, audit, get_owned, paginate, scoped, snapshot
from records.context import Caller
from records.errors import BosunError, ErrorCode, invalid
from records.models import Document, DocumentStatus
from records.roles import Permission, require
from records.text import clean_labels, clean_line

KINDS = ("manual", "procedure", "report", "fault_history")
UPLOAD_SUFFIXES = (".pdf", ".docx", ".xlsx", ".csv", ".html", ".htm", ".md", ".markdown", ".txt")
"""The file types a person may upload (or point ``bosun ingest`` at)."""


def check_upload(filename: str | None, kind: str, size: int, max_bytes: int) -> str:
    """Return the file name an upload is stored under, or raise why it is refused."""
    name = PurePath(filename or "").name
    if not name or PurePath(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise invalid(f"upload a file ending in one of {', '.join(UPLOAD_SUFFIXES)}")
    if kind not in KINDS:
        raise invalid(f"kind must be one of {', '.join(KINDS)}")
    if size > max_bytes:
        raise BosunError(ErrorCode.too_large, f"the file is over {max_bytes:,} bytes")
    return name


def create_document(
    session: Session,
    caller: Caller,
    *,
    title: str,
    kind: str = "manual",
    filename: str | None = None,
    path: str | None = None,
    media_type: str | None = None,
    sha256: str | None = None,
    vessel_id: int | None = None,
    equipment_codes: list[str] | None = None,
    tags: list[str] | None = None,
) -> Document:
    """Register a new document (status ``pending`` until ingestion finishes)."""
    require(caller, Permission.curate_knowledge)
    if kind not in KINDS:
        raise invalid(f"document kind must be one of {', '.join(KINDS)}")
    title = clean_line(title).strip() or (filename or "untitled")
    doc = Document(
        org_id=caller.org_id,
        vessel_id=vessel_id,
        title=title,
        kind=kind,
        filename=filename,
        path=path,
        media_type=media_type,
        sha256=sha256,
        equipment_codes=clean_labels(equipment_codes or []),
        tags=clean_labels(tags or []),
    )
    session.add(doc)
    audit(session, caller, "create", doc)
    return doc


def get_document(session: Session, caller: Caller, document_id: int) -> Document:
    """Return one document of the caller's organization."""
    return get_owned(session, caller, Document, document_id)


def find_by_filename(session: Session, caller: Caller, filename: str) -> Document | None:
    """Return the organization's document ingested from this file name, if any."""
    stmt = scoped(select(Document), Document, caller).where(Document.filename == filename)
    return session.scalar(stmt.order_by(Document.id.desc()))


def find_by_path(session: Session, caller: Caller, path: str) -> Document | None:
    """Return the organization's document ingested from this source path, if any."""
    stmt = scoped(select(Document), Document, caller).where(Document.path == path)
    return session.scalar(stmt.order_by(Document.id.desc()))


def list_documents(
    session: Session,
    caller: Caller,
    *,
    status: DocumentStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Document]:
    """Return a page of documents."""
    stmt = scoped(select(Document), Document, caller)
    if status is not None:
        stmt = stmt.where(Document.status == status)
    return paginate(session, stmt, Document, cursor, limit)


def update_document(
    session: Session, caller: Caller, doc: Document, changes: dict[str, Any]
) -> Document:
    """Change a document's metadata, status or counters."""
    require(caller, Permission.curate_knowledge)
    allowed = {
        "title",
        "kind",
        "vessel_id",
        "equipment_codes",
        "tags",
        "enabled",
        "status",
        "error",
        "chunks",
        "pages",
        "sha256",
        "version",
        "path",
        "media_type",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(f"cannot change {', '.join(sorted(unknown))} on a document")
    changes = _clean_changes(changes)
    before = snapshot(doc)
    for key, value in changes.items():
        setattr(doc, key, DocumentStatus(value) if key == "status" else value)
    audit(session, caller, "update", doc, before)
    return doc


_REQUIRED = ("title", "kind", "equipment_codes", "tags", "enabled", "status", "chunks", "version")


def _clean_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Refuse nulls for required fields (send [] to clear a list); clean the texts."""
    cleaned = dict(changes)
    for key in _REQUIRED:
        if key in cleaned and cleaned[key] is None:
            hint = " (send [] to clear it)" if key in ("tags", "equipment_codes") else ""
            raise invalid(f"{key}: cannot be null{hint}", field=key)
    if "title" in cleaned:
        cleaned["title"] = clean_line(str(cleaned["title"])).strip()[:300]
        if not cleaned["title"]:
            raise invalid("title: a document needs a title", field="title")
    if "kind" in cleaned and cleaned["kind"] not in KINDS:
        raise invalid(f"kind: must be one of {', '.join(KINDS)}", field="kind")
    for key in ("tags", "equipment_codes"):
        if key in cleaned:
            cleaned[key] = clean_labels(cleaned[key])
    return cleaned


def delete_document(session: Session, caller: Caller, doc: Document) -> None:
    """Delete a document's record (the caller removes its chunks from the index)."""
    require(caller, Permission.curate_knowledge)
    audit(session, caller, "delete", doc)
    session.delete(doc)


INTERRUPTED_LIMIT = 2
"""Ingests of one version a crash may cut short before the document is marked failed."""


def begin_ingest(session: Session, caller: Caller, doc: Document) -> Document:
    """Count an ingest starting: the first of this version, unless a crash left it pending."""
    require(caller, Permission.curate_knowledge)
    if doc.status is not DocumentStatus.pending or doc.ingest_attempts < 1:
        doc.ingest_attempts = 1
    return doc


def interrupted_documents(session: Session, caller: Caller) -> list[Document]:
    """Return the documents an ingest left ``pending`` (call at start, before new ingests)."""
    stmt = scoped(select(Document), Document, caller).where(
        Document.status == DocumentStatus.pending
    )
    return list(session.scalars(stmt.order_by(Document.id)))


def pending_in_every_organization(session: Session) -> list[Document]:
    """Return every organization's ``pending`` documents, by id (all-tenant session)."""
    stmt = select(Document).where(Document.status == DocumentStatus.pending)
    return list(session.scalars(stmt.order_by(Document.id)))


def resume_interrupted(session: Session, caller: Caller, doc: Document) -> bool:
    """Decide about a document a crash left pending: True to re-queue it (once), else failed.

    The second interruption marks it failed with the reason and what to do.
    """
    require(caller, Permission.curate_knowledge)
    before = snapshot(doc)
    if doc.ingest_attempts >= INTERRUPTED_LIMIT:
        doc.status = DocumentStatus.failed
        doc.error = (
            f"[interrupted] ingesting was interrupted twice (the server stopped during "
            f"attempt {doc.ingest_attempts}); check the file (a parser may crash on it, "
            "e.g. out of memory), then re-index or upload it again"
        )
        audit(session, caller, "update", doc, before)
        return False
    doc.ingest_attempts += 1
    audit(session, caller, "update", doc, before)
    return True
