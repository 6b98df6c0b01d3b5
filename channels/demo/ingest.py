"""Render the demo manuals and ingest them into the demo vessel's knowledge base."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from channels.app.runtime import Bosun
from channels.demo.manuals import load_manuals, pdf_path, render_manuals
from channels.demo.seed import demo_vessel
from channels.services.knowledge import open_knowledge
from ingestion import IngestSummary, SourceFile
from records import system_caller

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DemoManualsResult:
    """What one run did: the PDFs, the ingestion summary and the time each part took."""

    pdfs: list[Path]
    summary: IngestSummary
    render_seconds: float
    ingest_seconds: float


def demo_manuals_dir(bosun: Bosun) -> Path:
    """Return the folder the demo manuals are rendered into (``BOSUN_FILES_DIR/demo/manuals``).

    With the uploads, so every server of a fleet opens the files the database points at.
    """
    return bosun.settings.files / "demo" / "manuals"


def ingest_demo_manuals(
    bosun: Bosun,
    progress: Callable[[str], None] = log.info,
    *,
    dest: Path | None = None,
) -> DemoManualsResult | None:
    """Render the demo manuals to PDF and ingest them for the demo vessel; idempotent.

    Returns None (and does nothing) when the demo vessel is not in the database. A second
    run re-renders nothing and re-indexes nothing: each costs a hash check.
    """
    found = demo_vessel(bosun.db, seeded=False)
    if found is None:
        progress("manuals: no demo vessel in this database; demo manuals skipped")
        return None
    org_id, vessel_id = found
    folder = dest or demo_manuals_dir(bosun)
    started = time.perf_counter()
    pdfs = render_manuals(folder, progress)
    rendered = time.perf_counter()
    sources = [
        SourceFile(
            path=pdf_path(folder, manual),
            org_id=org_id,
            kind=manual.kind,  # type: ignore[arg-type]
            vessel_id=vessel_id,
            equipment_codes=manual.equipment_codes,
            tags=manual.tags,
            title=manual.title,
        )
        for manual in load_manuals()
    ]
    progress(f"manuals: checking {len(sources)} demo manuals against the knowledge base")
    summary = open_knowledge(bosun).ingest_sources(system_caller(org_id, "demo"), sources)
    done = time.perf_counter()
    if summary.indexed:
        progress(
            f"manuals: {len(summary.indexed)} indexed ({summary.pages} pages, "
            f"{summary.chunks} passages) in {done - rendered:.1f} s"
        )
    else:
        progress(f"manuals: {len(summary.unchanged)} demo manuals unchanged")
    for failed in summary.failed:
        progress(f"manuals: failed {failed.path.name}: [{failed.code}] {failed.reason}")
    return DemoManualsResult(
        pdfs=pdfs,
        summary=summary,
        render_seconds=rendered - started,
        ingest_seconds=done - rendered,
    )


def demo_manuals_step(bosun: Bosun, progress: Callable[[str], None]) -> None:
    """First-start step for ``bosun up``: ingest the demo manuals when the demo is there."""
    ingest_demo_manuals(bosun, progress)


__all__ = [
    "DemoManualsResult",
    "demo_manuals_dir",
    "demo_manuals_step",
    "ingest_demo_manuals",
]
