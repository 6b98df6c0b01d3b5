"""Ingest many files: hash, skip unchanged, parse in workers while the sink embeds and indexes."""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import time
from collections.abc import Iterable
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ingestion.archives import check_archive, is_zip_file
from ingestion.chunk import DocumentScope, TokenCounter, chunk_document
from ingestion.errors import (
    EmptyDocumentError,
    IndexingError,
    IngestionError,
    ParserCrashedError,
    UnreadableFileError,
)
from ingestion.faults import fault_passages, import_fault_csv
from ingestion.filetypes import check_size
from ingestion.parse import configure_unstructured, parse_document
from ingestion.ports import (
    DocumentRegistry,
    FailedFile,
    IndexedFile,
    IngestSummary,
    PassageSink,
    PreparedDocument,
    SourceFile,
)
from ingestion.settings import IngestionSettings
from ingestion.watch import EventQueue, ParserWatch, end_with_parent, run_watched, set_event_queue
from knowledge import DocumentKind, embedding_thread_budget, usable_cpus

_HASH_CHUNK = 1 << 20
_SUPPORTED_SUFFIXES = {
    ".pdf",
    ".docx",
    ".xlsx",
    ".csv",
    ".html",
    ".htm",
    ".md",
    ".markdown",
    ".txt",
    ".text",
}


def file_sha256(path: str | Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as handle:
            while block := handle.read(_HASH_CHUNK):
                digest.update(block)
    except OSError as err:
        raise UnreadableFileError(f"cannot read the file ({err.strerror})", path=str(path)) from err
    return digest.hexdigest()


def prepare_document(
    path: str | Path,
    scope: DocumentScope,
    *,
    settings: IngestionSettings | None = None,
    count_tokens: TokenCounter | None = None,
) -> PreparedDocument:
    """Parse and chunk one document file into passages (no embedding)."""
    started = time.perf_counter()
    settings = settings or IngestionSettings()
    parsed = parse_document(path, settings=settings, title=scope.title)
    passages = chunk_document(parsed, scope, settings=settings, count_tokens=count_tokens)
    if not passages:
        raise EmptyDocumentError("the document contains no text to index", path=str(path))
    return PreparedDocument(
        scope=scope,
        title=scope.title or parsed.title,
        passages=tuple(passages),
        page_count=parsed.page_count,
        warnings=parsed.warnings + (("text found by OCR",) if parsed.ocr_used else ()),
        parse_seconds=time.perf_counter() - started,
    )


def prepare_source(
    source: SourceFile,
    scope: DocumentScope,
    settings: IngestionSettings,
    count_tokens: TokenCounter | None = None,
) -> PreparedDocument:
    """Prepare a document file, or a fault-history CSV when the source carries a mapping."""
    if source.mapping is None:
        return prepare_document(source.path, scope, settings=settings, count_tokens=count_tokens)
    started = time.perf_counter()
    check_size(source.path, settings.max_file_bytes)
    result = import_fault_csv(source.path, source.mapping)
    title = scope.title or source.mapping.title or source.path.stem
    passages = fault_passages(result.records, scope, title=title)
    if not passages:
        raise EmptyDocumentError(f"no importable rows ({result.summary()})", path=str(source.path))
    warnings: tuple[str, ...] = (result.summary(),) if result.malformed else ()
    warnings += tuple(f"line {e.line}: {e.reason}" for e in result.malformed[:50])
    return PreparedDocument(
        scope=scope,
        title=title,
        passages=tuple(passages),
        page_count=None,
        warnings=warnings,
        parse_seconds=time.perf_counter() - started,
    )


def sources_in_folder(
    folder: str | Path,
    *,
    org_id: int,
    kind: DocumentKind = "manual",
    vessel_id: int | None = None,
    equipment_codes: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    all_files: bool = False,
) -> list[SourceFile]:
    """List the files under `folder` (recursively, hidden ones skipped) as sources."""
    root = Path(folder)
    found = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and (all_files or p.suffix.lower() in _SUPPORTED_SUFFIXES)
    )
    return [
        SourceFile(
            path=p,
            org_id=org_id,
            kind=kind,
            vessel_id=vessel_id,
            equipment_codes=equipment_codes,
            tags=tags,
        )
        for p in found
    ]


def init_parser_process(parent_pid: int, events: EventQueue | None) -> None:
    """Set up a parser process: end with the parent, report jobs, run unstructured offline."""
    end_with_parent(parent_pid)
    set_event_queue(events)
    configure_unstructured()


def _make_executor(settings: IngestionSettings) -> tuple[Executor, ParserWatch | None]:
    """Return the parser pool and, for processes, the watch over their memory and time."""
    if settings.parse_executor == "thread":
        pool = ThreadPoolExecutor(max_workers=settings.parse_workers, thread_name_prefix="parse")
        return pool, None  # threads cannot be stopped: no watch
    # spawn: a forked child of a process running torch threads can deadlock.
    context = multiprocessing.get_context("spawn")
    events = context.SimpleQueue()
    # PR_SET_PDEATHSIG fires when the creating thread ends: the workers are started from
    # the thread that runs ingest_files, which outlives them (shutdown waits for them).
    executor = ProcessPoolExecutor(
        max_workers=settings.parse_workers,
        mp_context=context,
        initializer=init_parser_process,
        initargs=(os.getpid(), events),
    )
    return executor, ParserWatch(settings, events)


@dataclass(slots=True)
class _Pending:
    source: SourceFile
    scope: DocumentScope
    future: Future[PreparedDocument]
    key: int = 0


def _as_ingestion_error(err: BaseException, path: Path) -> IngestionError:
    if isinstance(err, IngestionError):
        if err.path is None:
            err.path = str(path)
        return err
    return IngestionError(f"unexpected {type(err).__name__}: {err}", path=str(path))


class _Run:
    """State of one ingest_files call; registry and sink are used from this thread only."""

    def __init__(
        self,
        *,
        registry: DocumentRegistry,
        sink: PassageSink,
        settings: IngestionSettings,
        count_tokens: TokenCounter | None,
        bar: Progress,
        task: TaskID,
    ) -> None:
        self.registry = registry
        self.sink = sink
        self.settings = settings
        self.count_tokens = count_tokens
        self.bar = bar
        self.task = task
        self.summary = IngestSummary()
        self.pending: list[_Pending] = []
        self.keys = itertools.count(1)
        self.executor, self.watch = _make_executor(settings)
        self.cpus = usable_cpus()

    def embed_threads(self) -> int:
        """Return the threads embedding may use now: the CPUs the busy parsers leave free."""
        busy = sum(not job.future.done() for job in self.pending)
        return max(1, self.cpus - min(busy, self.settings.parse_workers))

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self.watch is not None:
            self.watch.close()

    def renew_executor(self) -> None:
        """Replace a broken process pool (and its watch) with a fresh one."""
        self.close()
        self.executor, self.watch = _make_executor(self.settings)

    def submit(self, source: SourceFile, scope: DocumentScope) -> _Pending:
        args = (source, scope, self.settings, self.count_tokens)
        key = next(self.keys)
        if self.watch is None:
            future = self.executor.submit(prepare_source, *args)
        else:
            future = self.executor.submit(run_watched, key, source.path, prepare_source, args)
        job = _Pending(source, scope, future, key)
        self.pending.append(job)
        return job

    def stopped_for(self, job: _Pending) -> IngestionError | None:
        """Return the limit the watch stopped this job's parser for, if it did."""
        return self.watch.verdict(job.key) if self.watch is not None else None

    def add(self, source: SourceFile) -> None:
        """Hash the file, ask the registry, and queue it for parsing unless unchanged."""
        scope: DocumentScope | None = None
        try:
            check_size(source.path, self.settings.max_file_bytes)
            scope = self.registry.begin(source, file_sha256(source.path))
            if scope is not None and source.mapping is None and is_zip_file(source.path):
                check_archive(source.path, self.settings)  # before any parser sees it
        except Exception as err:  # a registry error fails this file, not the run
            self.fail(source, scope, _as_ingestion_error(err, source.path))
            return
        if scope is None:
            self.summary.unchanged.append(source.path)
            self.bar.advance(self.task)
            return
        self.submit(source, scope)
        if len(self.pending) >= self.settings.parse_workers + self.settings.prefetch:
            self.finish_next()

    def finish_next(self) -> None:
        """Index the first parsed document that is ready (or record its failure)."""
        wait([job.future for job in self.pending], return_when=FIRST_COMPLETED)
        job = next(job for job in self.pending if job.future.done())
        if isinstance(job.future.exception(), BrokenExecutor):
            self._recover()
            return
        self.pending.remove(job)
        self._finish(job)

    def _recover(self) -> None:
        """Find the file that kills the parser process by retrying the unfinished one by one.

        A job the watch stopped for a limit fails at once with that reason (no retry).
        """
        wait([job.future for job in self.pending])
        survivors = [
            j for j in self.pending if not isinstance(j.future.exception(), BrokenExecutor)
        ]
        stopped = [(j, self.stopped_for(j)) for j in self.pending if j not in survivors]
        suspects = [(j.source, j.scope) for j, verdict in stopped if verdict is None]
        self.pending.clear()
        for job in survivors:
            self._finish(job)
        for job, verdict in stopped:
            if verdict is not None:
                self.fail(job.source, job.scope, _as_ingestion_error(verdict, job.source.path))
        self.renew_executor()
        for source, scope in suspects:
            job = self.submit(source, scope)
            wait([job.future])
            self.pending.remove(job)
            if isinstance(job.future.exception(), BrokenExecutor):
                verdict = self.stopped_for(job)
                self.renew_executor()
                if verdict is not None:
                    self.fail(source, scope, _as_ingestion_error(verdict, source.path))
                    continue
                error = ParserCrashedError(
                    "the parser process died on this file (crash or out of memory); "
                    "check the file or raise the worker's memory"
                )
                self.fail(source, scope, _as_ingestion_error(error, source.path))
                continue
            self._finish(job)

    def _finish(self, job: _Pending) -> None:
        self.bar.update(self.task, current=job.source.path.name)
        try:
            prepared = job.future.result()
        except Exception as err:  # parse errors of the worker arrive here
            self.fail(job.source, job.scope, _as_ingestion_error(err, job.source.path))
            return
        self.summary.parse_seconds += prepared.parse_seconds
        index_started = time.perf_counter()
        try:
            self.sink.index_document(
                job.scope.org_id, job.scope.document_id, job.scope.version, prepared.passages
            )
        except Exception as err:
            error = IndexingError(f"indexing failed ({type(err).__name__}: {err})")
            self.fail(job.source, job.scope, _as_ingestion_error(error, job.source.path))
            return
        finally:
            self.summary.index_seconds += time.perf_counter() - index_started
        result = IndexedFile(
            path=job.source.path,
            document_id=job.scope.document_id,
            version=job.scope.version,
            title=prepared.title,
            pages=prepared.page_count,
            chunks=len(prepared.passages),
            warnings=prepared.warnings,
        )
        self.summary.indexed.append(result)
        try:
            self.registry.mark_indexed(job.scope, result)
        except Exception as err:
            self.summary.failed.append(
                FailedFile(job.source.path, "registry", f"indexed but not recorded: {err}")
            )
        self.bar.update(
            self.task,
            advance=1,
            pages=self.summary.pages,
            chunks=self.summary.chunks,
            current="",
        )

    def fail(self, source: SourceFile, scope: DocumentScope | None, error: IngestionError) -> None:
        self.summary.failed.append(
            FailedFile(
                path=source.path,
                code=error.code.value,
                reason=error.message,
                document_id=scope.document_id if scope else None,
            )
        )
        try:
            self.registry.mark_failed(source, scope, error)
        except Exception as err:  # the run goes on; the summary still carries the reason
            self.summary.failed.append(
                FailedFile(source.path, "registry", f"could not record the failure: {err}")
            )
        self.bar.advance(self.task)


def _smallest_first(items: list[SourceFile]) -> list[SourceFile]:
    """Move the smallest file to the front so the indexer gets its first work soon."""

    def size(item: SourceFile) -> int:
        try:
            return item.path.stat().st_size
        except OSError:
            return -1  # fails at once in add(); harmless in front

    if len(items) < 2:
        return items
    first = min(range(len(items)), key=lambda i: size(items[i]))
    return [items[first], *items[:first], *items[first + 1 :]]


def ingest_files(
    sources: Iterable[SourceFile],
    *,
    registry: DocumentRegistry,
    sink: PassageSink,
    settings: IngestionSettings | None = None,
    count_tokens: TokenCounter | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> IngestSummary:
    """Ingest files, overlapping parsing (worker pool) with indexing; one bad file fails alone.

    While parsers are busy, an embedder of this package (knowledge.embedder) called by the
    sink embeds on the CPUs they leave free, batch by batch (see settings.embed_beside_parsers).
    Registry and sink are only called from the calling thread. `count_tokens` must be
    picklable when parsing runs in processes (e.g. chunk.TokenCounter over a tokenizer).
    """
    settings = settings or IngestionSettings()
    items = _smallest_first(list(sources))
    started = time.perf_counter()
    bar = Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages, {task.fields[chunks]} chunks"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=console or Console(stderr=True),
        disable=not progress,
    )
    with bar:
        task = bar.add_task("ingest", total=len(items), pages=0, chunks=0, current="")
        run = _Run(
            registry=registry,
            sink=sink,
            settings=settings,
            count_tokens=count_tokens,
            bar=bar,
            task=task,
        )
        budget = run.embed_threads if settings.embed_beside_parsers == "share" else None
        try:
            with embedding_thread_budget(budget):
                for source in items:
                    run.add(source)
                while run.pending:
                    run.finish_next()
        finally:
            run.close()
    run.summary.seconds = time.perf_counter() - started
    return run.summary
