"""The demo home of eval.answers refuses to run without every demo manual."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from channels.demo.ingest import DemoManualsResult
from eval import answers_home
from ingestion import IngestSummary
from ingestion.ports import FailedFile


def test_a_manual_the_parser_dropped_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    summary = IngestSummary(
        failed=[FailedFile(Path("02-generators.pdf"), "parser_crashed", "the parser died")]
    )

    def ingest(_bosun: Any, _progress: Any) -> DemoManualsResult:
        return DemoManualsResult([], summary, 0.0, 0.0)

    monkeypatch.setattr(answers_home, "ingest_demo_manuals", ingest)
    with pytest.raises(SystemExit, match=r"02-generators\.pdf \(parser_crashed\)"):
        answers_home._ingest_manuals(object(), lambda _text: None)  # type: ignore[arg-type]
