"""Benchmark: a 2 GiB zip-bomb DOCX is refused before parsing; time and peak memory.

Run from the repo root:  python -m bench.upload_limits [--unpacked-mib 2048] [--through-parser]

Builds the bomb in a temporary folder (2 MiB on disk: word/document.xml unpacking to
2 GiB of text), ingests it through the pipeline with the default limits and
reports how long the refusal took and the peak resident memory of this process and of any
parser process. ``--through-parser`` also lifts the archive limits so the bomb reaches a
parser (a bomb of short paragraphs, 8 MiB on disk), to show the parser watch
(BOSUN_INGEST_PARSER_RSS_MB) stopping that parser.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.zip_bomb import build_docx_bomb
from ingestion import (
    IngestionSettings,
    MemoryDocumentRegistry,
    MemoryPassageSink,
    SourceFile,
    check_archive,
    ingest_files,
)
from ingestion.watch import rss_bytes

_MIB = 1024 * 1024


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _ingest(bomb: Path, settings: IngestionSettings) -> dict[str, Any]:
    registry = MemoryDocumentRegistry()
    started = time.perf_counter()
    summary = ingest_files(
        [SourceFile(bomb, org_id=1)],
        registry=registry,
        sink=MemoryPassageSink(),
        settings=settings,
        progress=False,
    )
    seconds = time.perf_counter() - started
    failed = summary.failed[0] if summary.failed else None
    return {
        "seconds": round(seconds, 3),
        "status": registry.status(1, bomb)[0],
        "code": failed.code if failed else None,
        "reason": failed.reason if failed else None,
    }


def run(unpacked_mib: int, through_parser: bool) -> dict[str, Any]:
    """Build the bomb, refuse it, and return the figures."""
    baseline = (rss_bytes(os.getpid()) or 0) / _MIB
    with tempfile.TemporaryDirectory(prefix="bosun-bomb-") as tmp:
        started = time.perf_counter()
        bomb = build_docx_bomb(Path(tmp) / "pump-manual.docx", unpacked_mib)
        built = time.perf_counter() - started
        started = time.perf_counter()
        try:
            check_archive(bomb)
            directory_s = None
        except Exception:  # the expected refusal
            directory_s = time.perf_counter() - started
        result: dict[str, Any] = {
            "bomb_bytes_on_disk": bomb.stat().st_size,
            "declared_unpacked_mib": unpacked_mib,
            "build_seconds": round(built, 2),
            "check_archive_seconds": round(directory_s, 4) if directory_s is not None else None,
            "refused": _ingest(bomb, IngestionSettings()),
            "rss_mib_before": round(baseline, 1),
            "peak_rss_mib_this_process": round(_peak_mib(resource.RUSAGE_SELF), 1),
            "peak_rss_mib_parser_processes": round(_peak_mib(resource.RUSAGE_CHILDREN), 1),
        }
        if through_parser:
            # Short paragraphs: one long run of text is refused by lxml itself (10 MB node).
            many = build_docx_bomb(Path(tmp) / "many.docx", unpacked_mib, paragraphs=True)
            lifted = IngestionSettings(max_unpacked_mb=1_000_000, max_ratio=1_000_000)
            result["through_parser"] = _ingest(many, lifted)
            result["peak_rss_mib_parser_processes_after"] = round(
                _peak_mib(resource.RUSAGE_CHILDREN), 1
            )
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unpacked-mib", type=int, default=2048, help="bomb size unpacked")
    parser.add_argument(
        "--through-parser",
        action="store_true",
        help="also lift the archive limits to show the parser watch stopping the parser",
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    figures = run(args.unpacked_mib, args.through_parser)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    refused = figures["refused"]
    print(
        f"zip bomb: {figures['bomb_bytes_on_disk'] / _MIB:.1f} MiB on disk, "
        f"{figures['declared_unpacked_mib']:,} MiB unpacked (built in "
        f"{figures['build_seconds']} s)"
    )
    print(f"  refused from the zip directory in {figures['check_archive_seconds']} s")
    print(
        f"  through the pipeline: {refused['status']} [{refused['code']}] in "
        f"{refused['seconds']} s: {refused['reason']}"
    )
    print(
        f"  peak RSS: this process {figures['peak_rss_mib_this_process']} MiB "
        f"({figures['rss_mib_before']} MiB before), parser processes "
        f"{figures['peak_rss_mib_parser_processes']} MiB (none started)"
    )
    if "through_parser" in figures:
        lifted = figures["through_parser"]
        print(
            f"  archive limits lifted: {lifted['status']} [{lifted['code']}] in "
            f"{lifted['seconds']} s, parser peak "
            f"{figures['peak_rss_mib_parser_processes_after']} MiB: {lifted['reason']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
