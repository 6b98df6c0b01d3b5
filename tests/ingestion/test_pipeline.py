from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingestion import (
    DocumentScope,
    FaultMapping,
    IngestionSettings,
    IngestSummary,
    MemoryDocumentRegistry,
    MemoryPassageSink,
    SourceFile,
    file_sha256,
    ingest_files,
    sources_in_folder,
)
from knowledge.embedder import thread_budget
from knowledge.types import Passage
from tests.waiting import wait_until

pytestmark = pytest.mark.slow(
    reason="parses and embeds a folder of documents, kills parser processes"
)

GOOD = ["manual.pdf", "guide.docx", "steering.html", "boiler.md", "notes.txt"]
BAD = {
    "encrypted.pdf": "encrypted",
    "corrupt.pdf": "malformed",
    "truncated.pdf": "malformed",
    "scanned.pdf": "no_text_layer",
}


@dataclass
class RecordingRegistry(MemoryDocumentRegistry):
    """The in-memory registry, remembering the order of calls."""

    log: list[str] = field(default_factory=list)

    def begin(self, source: SourceFile, sha256: str) -> DocumentScope | None:
        scope = MemoryDocumentRegistry.begin(self, source, sha256)
        self.log.append(f"begin {source.path.name} {'skip' if scope is None else scope.version}")
        return scope


@pytest.fixture(scope="module")
def folder(corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("folder")
    for name in [*GOOD, *BAD]:
        shutil.copy(corpus[name], root / name)
    (root / ".hidden.md").write_text("# hidden\n\nnot ingested\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def first_run(folder: Path, embedder: Any) -> tuple[IngestSummary, MemoryDocumentRegistry, Any]:
    registry = MemoryDocumentRegistry()
    sink = MemoryPassageSink(embed=lambda texts: embedder.encode(texts, batch_size=32))
    sources = sources_in_folder(folder, org_id=1, vessel_id=4, tags=("manuals",))
    summary = ingest_files(sources, registry=registry, sink=sink, progress=True)
    return summary, registry, sink


def test_folder_ingest_indexes_good_files_and_fails_bad_ones_alone(
    first_run: tuple[IngestSummary, MemoryDocumentRegistry, MemoryPassageSink], folder: Path
) -> None:
    summary, registry, sink = first_run
    assert sorted(f.path.name for f in summary.indexed) == sorted(GOOD)
    assert {f.path.name: f.code for f in summary.failed} == BAD
    assert summary.unchanged == []
    for failed in summary.failed:
        status, error = registry.status(1, failed.path)
        assert status == "failed"
        assert error is not None and error.startswith(BAD[failed.path.name])
    encrypted = next(f for f in summary.failed if f.path.name == "encrypted.pdf")
    assert "password" in encrypted.reason
    manual = next(f for f in summary.indexed if f.path.name == "manual.pdf")
    assert manual.pages == 3
    assert summary.chunks == len(sink.passages(1)) == len(sink.vectors)
    assert all(p.vessel_id == 4 and p.tags == ("manuals",) for p in sink.passages(1))
    assert "failed 4" in summary.render()


def test_embedded_passages_answer_questions_with_citations(
    first_run: tuple[IngestSummary, MemoryDocumentRegistry, MemoryPassageSink], embedder: Any
) -> None:
    _summary, _registry, sink = first_run
    passages: list[Passage] = sink.passages(1)
    matrix = np.stack([sink.vectors[p.id] for p in passages])
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)

    def best(question: str) -> Passage:
        query = embedder.encode([question])[0]
        return passages[int(np.argmax(matrix @ (query / np.linalg.norm(query))))]

    torque = best("tightening torque of the injection pump mounting bolts")
    assert (torque.title, torque.page, torque.section) == (
        "Main Engine Manual",
        1,
        "Fuel System > Injection Pump",
    )
    seal = best("When should the jacket water pump mechanical seal be replaced?")
    assert (seal.page, seal.section) == (3, "Cooling Water > Jacket Water Pump")
    ring = best("bowl hood lock ring torque on the separator")
    assert (ring.title, ring.section) == ("Separator Guide", "Installation > Bowl Assembly")


def test_unchanged_files_cost_a_hash_check_and_changes_replace(
    folder: Path, corpus: dict[str, Path]
) -> None:
    registry = RecordingRegistry()
    sink = MemoryPassageSink()
    settings = IngestionSettings(parse_executor="thread")
    sources = [SourceFile(folder / name, org_id=2) for name in ("boiler.md", "notes.txt")]
    ingest_files(sources, registry=registry, sink=sink, settings=settings, progress=False)
    assert len(sink.calls) == 2

    again = ingest_files(sources, registry=registry, sink=sink, settings=settings, progress=False)
    assert sorted(p.name for p in again.unchanged) == ["boiler.md", "notes.txt"]
    assert again.indexed == []
    assert len(sink.calls) == 2  # no parsing, no embedding, no indexing

    changed = folder.parent / "changed"
    changed.mkdir(exist_ok=True)
    notes = changed / "notes.txt"
    notes.write_text("Generator Log Notes\n\nCheck the coolant level.\n", encoding="utf-8")
    source = SourceFile(notes, org_id=2)
    ingest_files([source], registry=registry, sink=sink, settings=settings, progress=False)
    first_hash = file_sha256(notes)
    notes.write_text("Generator Log Notes\n\nCheck the fuel level.\n", encoding="utf-8")
    assert file_sha256(notes) != first_hash
    third = ingest_files([source], registry=registry, sink=sink, settings=settings, progress=False)
    assert [(f.version, f.chunks) for f in third.indexed] == [(2, 1)]
    stored = [p for p in sink.passages(2) if p.document_id == third.indexed[0].document_id]
    assert [p.document_version for p in stored] == [2]
    assert "fuel level" in stored[0].text
    assert registry.log[-1] == "begin notes.txt 2"


def test_fault_csv_through_the_pipeline(corpus: dict[str, Path]) -> None:
    mapping = FaultMapping.from_options(
        {"date": "date", "equipment": "machine {machine}", "symptom": "problem", "action": "action"}
    )
    sink = MemoryPassageSink()
    summary = ingest_files(
        [SourceFile(corpus["faults.csv"], org_id=3, kind="fault_history", mapping=mapping)],
        registry=MemoryDocumentRegistry(),
        sink=sink,
        settings=IngestionSettings(parse_executor="thread"),
        progress=False,
    )
    [indexed] = summary.indexed
    assert indexed.chunks == 3
    assert "3 malformed (lines 4, 5, 6)" in indexed.warnings[0]
    assert indexed.warnings[1].startswith("line 4: expected 6 fields")
    assert {p.kind for p in sink.passages(3)} == {"fault_history"}


class FailingSink:
    """A sink whose index fails for one document: only that file fails."""

    def __init__(self) -> None:
        self.indexed: list[int] = []

    def index_document(
        self, org_id: int, document_id: int, version: int, passages: Sequence[Passage]
    ) -> None:
        if any("dipstick" in p.text for p in passages):
            raise RuntimeError("vector store refused the batch")
        self.indexed.append(document_id)


def test_sink_failure_fails_only_its_file(folder: Path) -> None:
    registry = MemoryDocumentRegistry()
    sink = FailingSink()
    sources = [SourceFile(folder / n, org_id=6) for n in ("notes.txt", "boiler.md")]
    summary = ingest_files(
        sources,
        registry=registry,
        sink=sink,
        settings=IngestionSettings(parse_executor="thread"),
        progress=False,
    )
    assert [f.path.name for f in summary.indexed] == ["boiler.md"]
    assert [(f.path.name, f.code) for f in summary.failed] == [("notes.txt", "index_failed")]
    assert "vector store refused" in summary.failed[0].reason
    assert registry.status(6, folder / "notes.txt")[0] == "failed"
    assert len(sink.indexed) == 1


def test_errors_are_typed(folder: Path) -> None:
    summary = ingest_files(
        [SourceFile(folder / "missing.pdf", org_id=1)],
        registry=MemoryDocumentRegistry(),
        sink=MemoryPassageSink(),
        progress=False,
    )
    assert [(f.code, "cannot read" in f.reason) for f in summary.failed] == [("unreadable", True)]


def test_a_file_that_kills_the_parser_process_fails_alone(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion import pipeline
    from tests.ingestion import crashing

    monkeypatch.setattr(pipeline, "prepare_source", crashing.prepare_or_crash)
    crash = tmp_path / "crash.md"
    crash.write_text("# Crash\n\nThis file kills the parser.\n", encoding="utf-8")
    names = ["boiler.md", "notes.txt", "steering.html"]
    sources = [SourceFile(folder / names[0], org_id=8), SourceFile(crash, org_id=8)]
    sources += [SourceFile(folder / n, org_id=8) for n in names[1:]]
    registry = MemoryDocumentRegistry()
    summary = ingest_files(
        sources,
        registry=registry,
        sink=MemoryPassageSink(),
        settings=IngestionSettings(parse_executor="process", parse_workers=1),
        progress=False,
    )
    assert sorted(f.path.name for f in summary.indexed) == sorted(names)
    assert [(f.path.name, f.code) for f in summary.failed] == [("crash.md", "parser_crashed")]
    assert "parser process died" in summary.failed[0].reason
    assert registry.status(8, crash)[0] == "failed"


class BudgetSink:
    """Records the embedding thread budget while the parser is busy, then once it is done."""

    def __init__(self, parser_may_finish: threading.Event) -> None:
        self.parser_may_finish = parser_may_finish
        self.budgets: list[int | None] = []

    def index_document(
        self, org_id: int, document_id: int, version: int, passages: Sequence[Passage]
    ) -> None:
        self.budgets.append(thread_budget())
        if self.parser_may_finish.is_set():
            return
        self.parser_may_finish.set()
        wait_until(
            lambda: thread_budget() in (None, 4), timeout=30, step=0.01, what="the parser done"
        )
        self.budgets.append(thread_budget())


@pytest.mark.parametrize(("mode", "expected"), [("share", [3, 4, 4]), ("all", [None] * 3)])
def test_embedder_shares_the_cpus_with_busy_parsers(
    folder: Path, monkeypatch: pytest.MonkeyPatch, mode: str, expected: list[int | None]
) -> None:
    from ingestion import pipeline

    parser_may_finish = threading.Event()
    prepare = pipeline.prepare_source

    def slow_boiler(source: SourceFile, *args: Any) -> Any:
        if source.path.name == "boiler.md":  # parsed second: notes.txt is smaller
            assert parser_may_finish.wait(30)
        return prepare(source, *args)

    monkeypatch.setattr(pipeline, "prepare_source", slow_boiler)
    monkeypatch.setattr(pipeline, "usable_cpus", lambda: 4)
    sink = BudgetSink(parser_may_finish)
    summary = ingest_files(
        [SourceFile(folder / n, org_id=9) for n in ("boiler.md", "notes.txt")],
        registry=MemoryDocumentRegistry(),
        sink=sink,
        settings=IngestionSettings(parse_executor="thread", embed_beside_parsers=mode),
        progress=False,
    )
    assert [f.path.name for f in summary.indexed] == ["notes.txt", "boiler.md"]
    # notes.txt is embedded while boiler.md is parsed: 4 CPUs less the busy parser, then all 4
    # once it is done; boiler.md with all 4. 'all' sets no budget.
    assert sink.budgets == expected
    assert thread_budget() is None  # the budget ends with the run
