"""Parser processes: stopped over their memory or time limit (alone), gone with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import Executor
from pathlib import Path

import pytest

from bench.zip_bomb import build_docx_bomb
from ingestion import (
    IngestionSettings,
    IngestSummary,
    MemoryDocumentRegistry,
    MemoryPassageSink,
    SourceFile,
    ingest_files,
)
from ingestion.watch import ParserWatch, estimate_pages
from tests.waiting import cpu_seconds, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two small documents around a DOCX of 8 MiB of short paragraphs that says '1 page'."""
    root = tmp_path_factory.mktemp("watch")
    first, last = root / "pump.md", root / "cooler.md"
    first.write_text("# Pump\n\nBleed the fuel system at the vent screw.\n", encoding="utf-8")
    last.write_text("# Cooler\n\nClean the cooler plates every year.\n" * 20, encoding="utf-8")
    heavy = build_docx_bomb(root / "heavy.docx", 8, paragraphs=True, pages=1)
    return [first, heavy, last]


def _run(
    batch: list[Path], settings: IngestionSettings
) -> tuple[IngestSummary, MemoryDocumentRegistry]:
    registry = MemoryDocumentRegistry()
    summary = ingest_files(
        [SourceFile(p, org_id=5) for p in batch],
        registry=registry,
        sink=MemoryPassageSink(),
        settings=settings,
        progress=False,
    )
    return summary, registry


def test_pages_are_estimated_for_the_time_budget(batch: list[Path]) -> None:
    assert estimate_pages(batch[1]) == 1  # docProps/app.xml says so
    assert estimate_pages(batch[0]) == 1


def test_a_parser_over_its_time_per_page_is_stopped_and_its_document_fails_alone(
    batch: list[Path],
) -> None:
    summary, registry = _run(batch, IngestionSettings(parse_s_per_page=8))
    assert sorted(f.path.name for f in summary.indexed) == ["cooler.md", "pump.md"]
    failed = summary.failed
    assert [(f.path.name, f.code) for f in failed] == [("heavy.docx", "over_limit")]
    assert "BOSUN_INGEST_PARSE_S_PER_PAGE=8" in failed[0].reason
    status, error = registry.status(5, batch[1])
    assert status == "failed" and error and "longer than 8 s" in error


def test_a_parser_over_its_memory_limit_is_stopped_and_its_document_fails_alone(
    batch: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion import pipeline

    watches: list[ParserWatch] = []

    def watched(settings: IngestionSettings) -> tuple[Executor, ParserWatch | None]:
        executor, watch = make_executor(settings)
        if watch is not None:
            watches.append(watch)
        return executor, watch

    make_executor = pipeline._make_executor
    monkeypatch.setattr(pipeline, "_make_executor", watched)
    # What a parser holds after the small documents (about 410 MiB here) ...
    summary, _ = _run([batch[0], batch[2]], IngestionSettings())
    assert len(summary.indexed) == 2
    small = max(peak for watch in watches for peak in watch.peak_rss.values()) / 2**20
    # ... and the heavy one grows past that by 200 MiB and more: stop it at +70 MiB.
    limit = round(small + 70)
    summary, registry = _run(batch, IngestionSettings(parser_rss_mb=limit))
    assert sorted(f.path.name for f in summary.indexed) == ["cooler.md", "pump.md"]
    failed = summary.failed
    assert [(f.path.name, f.code) for f in failed] == [("heavy.docx", "over_limit")]
    assert f"BOSUN_INGEST_PARSER_RSS_MB={limit}" in failed[0].reason
    assert registry.status(5, batch[1])[0] == "failed"


SCENARIO = """
import os, sys, time
from pathlib import Path
from ingestion import IngestionSettings, MemoryDocumentRegistry, MemoryPassageSink, SourceFile
from ingestion import ingest_files

if __name__ == "__main__":
    heavy = Path(sys.argv[1])
    ingest_files([SourceFile(heavy, org_id=1)], registry=MemoryDocumentRegistry(),
                 sink=MemoryPassageSink(), settings=IngestionSettings(), progress=False)
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_parser_children_end_when_their_parent_is_killed(batch: list[Path], tmp_path: Path) -> None:
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    parent = subprocess.Popen([sys.executable, str(script), str(batch[1])], env=env)
    try:

        def parsers() -> list[int]:
            found = [c for c in _children(parent.pid) if "multiprocessing" in _cmdline(c)]
            return [w for w in found if "resource_tracker" not in _cmdline(w)]

        workers = wait_until(parsers, timeout=60, what="the parser process starting")
        # The worker is parsing the heavy document once it has worked for a while.
        wait_until(lambda: max(cpu_seconds(w) for w in workers) >= 1, timeout=60, what="parsing")
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)

        def alive() -> list[int]:
            return [w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in _state(w)]

        wait_until(
            lambda: not alive(),
            timeout=10,
            what=lambda: f"the parser processes ending with their parent (alive: {alive()})",
        )
    finally:
        if parent.poll() is None:
            parent.kill()


def _state(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
