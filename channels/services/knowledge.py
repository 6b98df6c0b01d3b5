"""The knowledge base wired to records: document rows, ingestion, fault history, search."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from channels.app.runtime import Bosun
from ingestion import (
    DocumentScope,
    FaultMapping,
    FaultRecord,
    IndexedFile,
    IngestionError,
    IngestSummary,
    SourceFile,
    detect_file_kind,
    fault_passages,
    import_fault_csv,
    ingest_files,
)
from knowledge import (
    Hit,
    KnowledgeBase,
    KnowledgeSettings,
    Passage,
    SearchScope,
    Term,
    Vocabulary,
    alias_terms,
    open_knowledge_base,
)
from records import (
    ALL_TENANTS,
    BosunError,
    Caller,
    Document,
    DocumentStatus,
    ErrorCode,
    Fault,
    Vessel,
    WorkOrder,
    documents,
    glossary,
    referenced,
    register,
    system_caller,
    vessel_history,
)

log = logging.getLogger(__name__)
FAULT_HISTORY_JOB = "fault_history"
RESUME_INGEST_JOB = "resume_ingest"


class RecordsDocumentRegistry:
    """Ingestion's document bookkeeping on records' Document rows (one per source path)."""

    def __init__(self, bosun: Bosun, caller: Caller, *, force: bool = False) -> None:
        self.bosun, self.caller, self.force = bosun, caller, force

    def begin(self, source: SourceFile, sha256: str) -> DocumentScope | None:
        """Return the scope to index a new version under, or None when the file is unchanged."""
        key = str(source.path.resolve())
        with self.bosun.db.transaction(self.caller) as s:
            doc = documents.find_by_path(s, self.caller, key)
            if (
                doc is not None
                and not self.force
                and doc.sha256 == sha256
                and doc.status in (DocumentStatus.indexed, DocumentStatus.disabled)
            ):
                return None
            if doc is None:
                doc = documents.create_document(
                    s,
                    self.caller,
                    title=source.title or source.path.stem,
                    kind=source.kind,
                    filename=source.path.name,
                    path=key,
                    sha256=sha256,
                    vessel_id=source.vessel_id,
                    equipment_codes=list(source.equipment_codes),
                    tags=list(source.tags),
                )
                s.flush()
                documents.begin_ingest(s, self.caller, doc)
            else:
                documents.begin_ingest(s, self.caller, doc)  # before it is marked pending
                documents.update_document(
                    s,
                    self.caller,
                    doc,
                    {
                        "version": doc.version + 1,
                        "sha256": sha256,
                        "status": "pending",
                        "error": None,
                    },
                )
            return DocumentScope(
                org_id=self.caller.org_id,
                document_id=doc.id,
                version=doc.version,
                kind=doc.kind,  # type: ignore[arg-type]
                vessel_id=doc.vessel_id,
                equipment_codes=tuple(doc.equipment_codes),
                tags=tuple(doc.tags),
                title=doc.title,
            )

    def mark_indexed(self, scope: DocumentScope, result: IndexedFile) -> None:
        """Record that the version is searchable."""
        with self.bosun.db.transaction(self.caller) as s:
            doc = documents.get_document(s, self.caller, scope.document_id)
            status = "indexed" if doc.enabled else "disabled"
            documents.update_document(
                s,
                self.caller,
                doc,
                {
                    "status": status,
                    "chunks": result.chunks,
                    "pages": result.pages,
                    "error": "; ".join(result.warnings) or None,
                },
            )

    def mark_failed(
        self, source: SourceFile, scope: DocumentScope | None, error: IngestionError
    ) -> None:
        """Record why the file failed on its Document row (created if it had none)."""
        with self.bosun.db.transaction(self.caller) as s:
            if scope is not None:
                doc = documents.get_document(s, self.caller, scope.document_id)
            else:
                key = str(source.path.resolve())
                found = documents.find_by_path(s, self.caller, key)
                doc = found or documents.create_document(
                    s,
                    self.caller,
                    title=source.title or source.path.stem,
                    kind=source.kind,
                    filename=source.path.name,
                    path=key,
                    vessel_id=source.vessel_id,
                )
                s.flush()
            documents.update_document(
                s,
                self.caller,
                doc,
                {
                    "status": "failed",
                    "error": f"[{error.code.value}] {error.message}",
                },
            )


class KnowledgeSink:
    """Ingestion's passage sink: the knowledge base, replacing versions atomically."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def index_document(
        self, org_id: int, document_id: int, version: int, passages: Sequence[Passage]
    ) -> None:
        """Make the passages the document's searchable content."""
        del org_id, document_id, version  # carried by every passage
        self.kb.index_document(passages)


@dataclass
class KnowledgeService:
    """What channels need of the knowledge base, with records as the document of record."""

    bosun: Bosun
    settings: KnowledgeSettings
    _kb: KnowledgeBase | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def kb(self) -> KnowledgeBase:
        """Return the knowledge base, opening it (and loading the embedder) on first use."""
        with self._lock:
            if self._kb is None:
                self._kb = open_knowledge_base(self.settings)
            return self._kb

    @property
    def uploads(self) -> Path:
        """Return the folder uploaded documents are kept in."""
        return self.bosun.settings.files / "documents"

    def close(self) -> None:
        """Close the index (once; a later call does nothing)."""
        with self._lock:
            kb, self._kb = self._kb, None
        if kb is not None:
            kb.close()

    # --- documents --------------------------------------------------------------------------

    def ingest(
        self,
        caller: Caller,
        paths: Iterable[Path],
        *,
        kind: str = "manual",
        vessel_id: int | None = None,
        equipment_codes: Sequence[str] = (),
        tags: Sequence[str] = (),
        title: str | None = None,
        force: bool = False,
        progress: bool = False,
    ) -> IngestSummary:
        """Ingest files: unchanged ones cost a hash check, bad ones fail alone."""
        if vessel_id is not None:
            with self.bosun.db.transaction(caller) as s, referenced("vessel_id"):
                register.get_vessel(s, caller, vessel_id)
        sources = [
            SourceFile(
                path=Path(p),
                org_id=caller.org_id,
                kind=kind,  # type: ignore[arg-type]
                vessel_id=vessel_id,
                equipment_codes=tuple(equipment_codes),
                tags=tuple(tags),
                title=title,
            )
            for p in paths
        ]
        return self.ingest_sources(caller, sources, force=force, progress=progress)

    def ingest_sources(
        self,
        caller: Caller,
        sources: Sequence[SourceFile],
        *,
        force: bool = False,
        progress: bool = False,
    ) -> IngestSummary:
        """Ingest prepared sources (each with its own scope) in one pipeline run."""
        return ingest_files(
            sources,
            registry=RecordsDocumentRegistry(self.bosun, caller, force=force),
            sink=KnowledgeSink(self.kb),
            progress=progress,
        )

    def save_upload(self, caller: Caller, filename: str, data: bytes) -> Path:
        """Keep an uploaded file under BOSUN_HOME; the same name replaces the previous one."""
        safe = Path(filename).name.replace("/", "_").strip() or "upload"
        folder = self.uploads / f"org-{caller.org_id}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / safe
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return path

    def ingest_upload(
        self,
        caller: Caller,
        filename: str,
        data: bytes,
        *,
        kind: str = "manual",
        title: str | None = None,
        vessel_id: int | None = None,
        equipment_codes: Sequence[str] = (),
        tags: Sequence[str] = (),
    ) -> tuple[int | None, IngestSummary]:
        """Keep an uploaded file and ingest it; return its document id and the summary.

        A file that is not a document Bosun reads is removed again and refused (``invalid``).
        """
        path = self.save_upload(caller, filename, data)
        try:
            detect_file_kind(path)
        except IngestionError as err:
            path.unlink(missing_ok=True)
            raise BosunError(ErrorCode.invalid, err.message) from err
        summary = self.ingest(
            caller,
            [path],
            kind=kind,
            title=title,
            vessel_id=vessel_id,
            equipment_codes=equipment_codes,
            tags=tags,
        )
        with self.bosun.db.transaction(caller) as s:
            doc = documents.find_by_path(s, caller, str(path.resolve()))
            return (doc.id if doc else None), summary

    def resume(self, caller: Caller, document_id: int) -> None:
        """Ingest again a document a crash left pending (its file as it is now)."""
        with self.bosun.db.transaction(caller) as s:
            doc = documents.get_document(s, caller, document_id)
            if doc.status is not DocumentStatus.pending:
                return  # re-indexed or deleted by someone meanwhile
            path = Path(doc.path) if doc.path else None
            if path is None or not path.exists():
                documents.update_document(
                    s,
                    caller,
                    doc,
                    {
                        "status": "failed",
                        "error": "[interrupted] ingesting was interrupted and the file is "
                        "gone; upload it again",
                    },
                )
                return
            kind, scope = doc.kind, (doc.vessel_id, list(doc.equipment_codes), list(doc.tags))
            title = doc.title
        self.ingest(
            caller,
            [path],
            kind=kind,
            vessel_id=scope[0],
            equipment_codes=scope[1],
            tags=scope[2],
            title=title,
            force=True,
        )

    def set_enabled(self, caller: Caller, document_id: int, enabled: bool) -> Document:
        """Enable or disable a document everywhere at once."""
        with self.bosun.db.transaction(caller) as s:
            doc = documents.get_document(s, caller, document_id)
            status = doc.status
            if status in (DocumentStatus.indexed, DocumentStatus.disabled):
                status = DocumentStatus.indexed if enabled else DocumentStatus.disabled
            self.kb.set_enabled(caller.org_id, document_id, enabled)
            return documents.update_document(
                s, caller, doc, {"enabled": enabled, "status": status.value}
            )

    def update_scope(self, caller: Caller, document_id: int, changes: dict[str, Any]) -> Document:
        """Change a document's title, kind, vessel, equipment or tags and re-index it."""
        with self.bosun.db.transaction(caller) as s:
            doc = documents.get_document(s, caller, document_id)
            if changes.get("vessel_id") is not None:
                with referenced("vessel_id"):
                    register.get_vessel(s, caller, int(changes["vessel_id"]))
            documents.update_document(s, caller, doc, changes)
        return self.reindex(caller, document_id)

    def reindex(self, caller: Caller, document_id: int) -> Document:
        """Parse and index a document's file again (its scope may have changed)."""
        with self.bosun.db.transaction(caller) as s:
            doc = documents.get_document(s, caller, document_id)
            path, kind = doc.path, doc.kind
        if doc.kind == "fault_history" and (path or "").startswith("records://"):
            self.index_fault_history(caller.org_id, int(doc.vessel_id or 0))
        elif not path or not Path(path).exists():
            raise BosunError(
                ErrorCode.conflict, f"the file of document {document_id} is gone; upload it again"
            )
        else:
            self.ingest(
                caller,
                [Path(path)],
                kind=kind,
                vessel_id=doc.vessel_id,
                equipment_codes=doc.equipment_codes,
                tags=doc.tags,
                title=doc.title,
                force=True,
            )
        with self.bosun.db.transaction(caller) as s:
            return documents.get_document(s, caller, document_id)

    def delete(self, caller: Caller, document_id: int) -> None:
        """Delete a document: its passages, its record and its uploaded file."""
        with self.bosun.db.transaction(caller) as s:
            doc = documents.get_document(s, caller, document_id)
            path = Path(doc.path) if doc.path and not doc.path.startswith("records://") else None
            self.kb.delete_document(caller.org_id, document_id)
            documents.delete_document(s, caller, doc)
        if path is not None and self.uploads in path.parents:
            path.unlink(missing_ok=True)

    def passages(self, caller: Caller, document_id: int) -> list[Passage]:
        """Return a document's indexed chunks in order."""
        with self.bosun.db.transaction(caller) as s:
            documents.get_document(s, caller, document_id)
        return self.kb.document_passages(caller.org_id, document_id)

    # --- search -----------------------------------------------------------------------------

    def scope_for(
        self,
        session: Session,
        caller: Caller,
        *,
        vessel_id: int | None = None,
        equipment_code: str | None = None,
        kinds: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> SearchScope:
        """Build the caller's search scope; an equipment filter includes its children."""
        codes: tuple[str, ...] | None = None
        if vessel_id is not None:
            register.get_vessel(session, caller, vessel_id)
        if equipment_code:
            if vessel_id is None:
                raise BosunError(ErrorCode.invalid, "an equipment filter needs the vessel")
            eq = register.get_equipment_by_code(session, caller, vessel_id, equipment_code)
            codes = tuple(e.code for e in register.descendants(session, caller, eq))
        return SearchScope(
            org_id=caller.org_id,
            vessel_id=vessel_id,
            equipment_codes=codes,
            kinds=tuple(kinds) if kinds else None,  # type: ignore[arg-type]
            tags=tuple(tags) if tags else None,
        )

    def search(self, query: str, scope: SearchScope, *, limit: int = 5) -> list[Hit]:
        """Hybrid search within a scope (the Retriever the assistant uses).

        The query is expanded with the shipped glossary, the organization's own glossary
        entries and the register's aliases (of the scope's vessel, or of all its vessels).
        """
        if scope.vocabulary is None and self.settings.glossary:
            scope = replace(scope, vocabulary=self.vocabulary(scope.org_id, scope.vessel_id))
        return self.kb.search(query, scope, limit=limit)

    def vocabulary(self, org_id: int, vessel_id: int | None = None) -> Vocabulary:
        """Return an organization's own terms: its glossary entries and register aliases."""
        caller = system_caller(org_id, "knowledge")
        with self.bosun.db.transaction(caller) as s:
            entries = tuple(
                Term(e.term, glossary.expansions(e), notes=e.notes)
                for e in glossary.list_entries(s, caller)
            )
            aliases = register.equipment_aliases(s, caller, vessel_id)
        return Vocabulary(entries=entries, aliases=alias_terms(aliases))

    # --- fault history ----------------------------------------------------------------------

    def index_fault_history(self, org_id: int, vessel_id: int) -> int:
        """Index every fault and work order of a vessel as passages; return how many."""
        caller = system_caller(org_id, "knowledge")
        with self.bosun.db.transaction(caller) as s:
            vessel = register.get_vessel(s, caller, vessel_id)
            records_, name = _fault_records(s, caller, vessel), vessel.name
        if not records_:
            return 0
        return self._index_fault_records(
            caller,
            records_,
            key=f"records://vessel/{vessel_id}/fault-history",
            title=f"Fault history of {name}",
            vessel_id=vessel_id,
        )

    def import_fault_csv(
        self,
        caller: Caller,
        path: Path,
        mapping: FaultMapping,
        *,
        vessel_id: int | None = None,
        title: str | None = None,
    ) -> tuple[int, str]:
        """Index a fault-history CSV export; return (passages, import summary line)."""
        result = import_fault_csv(path, mapping)
        if vessel_id is not None:
            with self.bosun.db.transaction(caller) as s:
                register.get_vessel(s, caller, vessel_id)
        if not result.records:
            raise BosunError(ErrorCode.invalid, f"no records read: {result.summary()}")
        count = self._index_fault_records(
            caller,
            result.records,
            key=str(path.resolve()),
            title=title or f"Fault history: {path.name}",
            vessel_id=vessel_id,
            filename=path.name,
            note=result.summary() if result.malformed else None,
        )
        return count, result.summary()

    def _index_fault_records(
        self,
        caller: Caller,
        records_: Sequence[FaultRecord],
        *,
        key: str,
        title: str,
        vessel_id: int | None,
        filename: str | None = None,
        note: str | None = None,
    ) -> int:
        """Index fault records as the next version of the document kept under ``key``."""
        with self.bosun.db.transaction(caller) as s:
            doc = documents.find_by_path(s, caller, key) or documents.create_document(
                s,
                caller,
                title=title,
                kind="fault_history",
                filename=filename,
                path=key,
                vessel_id=vessel_id,
            )
            s.flush()
            doc_id, version, doc_title = doc.id, doc.version + 1, doc.title
        scope = DocumentScope(
            org_id=caller.org_id,
            document_id=doc_id,
            version=version,
            kind="fault_history",
            vessel_id=vessel_id,
            title=doc_title,
        )
        passages = fault_passages(records_, scope, title=doc_title)
        self.kb.index_document(passages)
        with self.bosun.db.transaction(caller) as s:
            doc = documents.get_document(s, caller, doc_id)
            documents.update_document(
                s,
                caller,
                doc,
                {
                    "version": version,
                    "status": "indexed",
                    "chunks": len(passages),
                    "error": note,
                },
            )
        return len(passages)


def _fault_records(session: Session, caller: Caller, vessel: Vessel) -> list[FaultRecord]:
    """Turn a vessel's faults and their work orders into readable history records."""
    equipment = {e.id: e for e in vessel_history.vessel_equipment(session, caller, vessel.id)}
    orders: dict[int, list[WorkOrder]] = {}
    for wo in vessel_history.vessel_work_orders(session, caller, vessel.id):
        if wo.fault_id is not None:
            orders.setdefault(wo.fault_id, []).append(wo)
    out = []
    faults = vessel_history.vessel_faults(session, caller, vessel.id)
    for f in sorted(faults, key=lambda f: f.opened_at):
        eq = equipment.get(f.equipment_id)
        done = [w for w in orders.get(f.id, []) if w.status.value == "done"]
        action = "; ".join(f"{w.title} ({w.hours:g} h)" if w.hours else w.title for w in done)
        notes = " ".join(n.get("text", "") for n in f.notes or [])
        out.append(
            FaultRecord(
                date=f.opened_at.date().isoformat(),
                equipment=f"{eq.code} {eq.name}" if eq else None,
                symptom=f"{f.title}. {f.description}".strip(),
                cause=f.root_cause,
                action=action or None,
                outcome=f"{f.status.value}" + (f"; notes: {notes}" if notes else ""),
                reference=f"fault #{f.id}",
                equipment_codes=(eq.code,) if eq else (),
            )
        )
    return out


def watch_fault_changes(bosun: Bosun) -> None:
    """Re-index a vessel's fault history (as a job) after faults or work orders change."""

    def collect(session: Session, _ctx: Any) -> None:
        touched = session.info.setdefault("fault_vessels", set())
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, Fault | WorkOrder):
                touched.add((obj.org_id, obj.vessel_id))

    def submit(session: Session) -> None:
        for org_id, vessel_id in session.info.pop("fault_vessels", set()):
            bosun.runner.submit(FAULT_HISTORY_JOB, {"org_id": org_id, "vessel_id": vessel_id})

    def rolled_back(session: Session) -> None:
        session.info.pop("fault_vessels", None)

    factory = bosun.db.sessions
    event.listen(factory, "after_flush", collect)
    event.listen(factory, "after_commit", submit)
    event.listen(factory, "after_rollback", rolled_back)


def open_knowledge(bosun: Bosun) -> KnowledgeService:
    """Build the knowledge service on this home and register its jobs."""
    if bosun.knowledge is not None:
        return bosun.knowledge
    service = KnowledgeService(bosun, KnowledgeSettings(home=bosun.settings.home))
    bosun.knowledge = service
    bosun.components.add("knowledge", service.close)

    def reindex(payload: dict[str, Any]) -> None:
        service.index_fault_history(int(payload["org_id"]), int(payload["vessel_id"]))

    def resume(payload: dict[str, Any]) -> None:
        org_id = int(payload["org_id"])
        service.resume(system_caller(org_id, "knowledge"), int(payload["document_id"]))

    bosun.runner.register(FAULT_HISTORY_JOB, reindex)
    bosun.runner.register(RESUME_INGEST_JOB, resume)
    return service


def resume_interrupted_ingests(service: KnowledgeService, *, before: datetime) -> tuple[int, int]:
    """Re-queue (once) the documents a stopped server left pending; fail twice-interrupted ones.

    Only documents last changed before `before` (this server's start) count: an upload
    arriving while the server starts is not an interrupted one. Returns (re-queued, failed).
    """
    with service.bosun.db.transaction(ALL_TENANTS) as s:
        found = [
            (d.org_id, d.id)
            for d in documents.pending_in_every_organization(s)
            if _as_utc(d.updated_at) < before
        ]
    requeued = failed = 0
    for org_id, document_id in found:
        caller = system_caller(org_id, "knowledge")
        with service.bosun.db.transaction(caller) as s:
            again = documents.resume_interrupted(
                s, caller, documents.get_document(s, caller, document_id)
            )
        if again:
            service.bosun.runner.submit(
                RESUME_INGEST_JOB, {"org_id": org_id, "document_id": document_id}
            )
            requeued += 1
        else:
            failed += 1
    return requeued, failed


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def index_all_fault_history(
    service: KnowledgeService, on_failure: Callable[[str], None] | None = None
) -> int:
    """Index the fault history of every vessel (first start).

    With ``on_failure``, a vessel whose history fails is reported there and the others go
    on (one tenant's data cannot stop the start); without it the error is raised.
    """
    with service.bosun.db.transaction(ALL_TENANTS) as s:
        vessels = [(v.org_id, v.id, v.imo) for v in register.all_vessels(s)]
    indexed = 0
    for org, vid, imo in vessels:
        try:
            indexed += service.index_fault_history(org, vid)
        except Exception as err:  # reported per vessel; the rest are indexed
            if on_failure is None:
                raise
            on_failure(f"fault history of vessel {imo} (organization {org}): {err}")
    return indexed


__all__ = [
    "KnowledgeService",
    "index_all_fault_history",
    "open_knowledge",
    "resume_interrupted_ingests",
    "watch_fault_changes",
]
