"""Demo manuals: render, ingest into a fresh home, and check the question cases' citations.

    python -m eval.manuals [--cases eval/cases/manuals.jsonl] [--home DIR] [--top 3]
                           [--no-glossary]

Imports the demo register into an empty home (no history: only the vessel is needed), runs
``ingest_demo_manuals`` (render + the real ingestion pipeline), then searches each case's
question as the assistant's search_manuals tool does (vessel scope, manual kinds) and checks
that the expected document and page are among the top citations. Prints pages, render and
ingest seconds and the hit rate; the last line is one JSON object with the figures.
``--no-glossary`` (or ``BOSUN_GLOSSARY=off``) searches the questions as typed, without the
crew vocabulary's expansion (the ablation of issue 17 on ``manuals_abbrev.jsonl``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.demo.ingest import DemoManualsResult, ingest_demo_manuals
from channels.services.knowledge import open_knowledge
from knowledge import Hit, KnowledgeSettings, SearchScope
from records import ALL_TENANTS, register_import, system_caller
from records.demo import register_path

CASES = Path(__file__).parent / "cases" / "manuals.jsonl"
MANUAL_KINDS = ("manual", "procedure", "report", "curated")


@dataclass(frozen=True, slots=True)
class ManualCase:
    """A question and the document (PDF file stem) and page its answer is on."""

    question: str
    document: str
    page: int
    section: str


def load_cases(path: Path = CASES) -> list[ManualCase]:
    """Read the JSONL cases."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(ManualCase(row["question"], row["document"], row["page"], row["section"]))
    return cases


def seed_register(bosun: Bosun) -> tuple[int, int]:
    """Import the demo register only; return (org id, vessel id)."""
    spec = register_import.load_file(register_path())
    with bosun.db.transaction(ALL_TENANTS) as s:
        org_id = register_import.resolve_organization(s, spec.organization).id
    with bosun.db.transaction(org_id) as s:
        report = register_import.import_register(s, spec, caller=system_caller(org_id, "eval"))
        return org_id, report.vessel_id


def search_case(bosun: Bosun, org_id: int, vessel_id: int, question: str, top: int) -> list[Hit]:
    """Search as the assistant's search_manuals tool does without an equipment filter."""
    scope = SearchScope(org_id=org_id, vessel_id=vessel_id, kinds=MANUAL_KINDS)  # type: ignore[arg-type]
    return open_knowledge(bosun).search(question, scope, limit=top)


def cited(hit: Hit) -> tuple[str, int | None]:
    """Return (document title, page) of a hit."""
    return hit.passage.title, hit.passage.page


def run(home: Path, cases: list[ManualCase], top: int) -> dict[str, object]:
    """Ingest into `home` and evaluate `cases`; return the figures."""
    bosun = open_bosun(Settings(home=home))
    try:
        org_id, vessel_id = seed_register(bosun)
        result = ingest_demo_manuals(bosun, lambda s: print(s, file=sys.stderr))
        assert isinstance(result, DemoManualsResult)
        again = time.perf_counter()
        second = ingest_demo_manuals(bosun, lambda s: None)
        second_seconds = time.perf_counter() - again
        assert second is not None and not second.summary.indexed
        titles = {p.stem: t for p, t in _titles(result).items()}
        hits_at_1 = hits_at_k = 0
        for case in cases:
            hits = search_case(bosun, org_id, vessel_id, case.question, top)
            got = [cited(h) for h in hits]
            want = (titles[case.document], case.page)
            hits_at_1 += bool(got) and got[0] == want
            ok = want in got
            hits_at_k += ok
            mark = "ok  " if ok else "MISS"
            print(
                f"{mark} {case.question}\n     want p.{case.page} {case.document}; got "
                + ", ".join(f"p.{p} {t.split()[0]}" for t, p in got),
                file=sys.stderr,
            )
        return {
            "pages": result.summary.pages,
            "chunks": result.summary.chunks,
            "render_seconds": round(result.render_seconds, 2),
            "ingest_seconds": round(result.ingest_seconds, 2),
            "second_run_seconds": round(second_seconds, 2),
            "cases": len(cases),
            "glossary": KnowledgeSettings().glossary,
            "hit_at_1": round(hits_at_1 / len(cases), 3),
            f"hit_at_{top}": round(hits_at_k / len(cases), 3),
        }
    finally:
        if "knowledge" in bosun.extras:
            bosun.extras["knowledge"].close()
        bosun.close()


def _titles(result: DemoManualsResult) -> dict[Path, str]:
    from channels.demo.manuals import load_manuals, pdf_path

    folder = result.pdfs[0].parent
    return {pdf_path(folder, m): m.title for m in load_manuals()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument(
        "--no-glossary",
        action="store_true",
        help="search without the crew vocabulary's query expansion (BOSUN_GLOSSARY=off)",
    )
    args = parser.parse_args()
    if args.no_glossary:
        os.environ["BOSUN_GLOSSARY"] = "off"
    cases = load_cases(args.cases)
    if args.home:
        figures = run(args.home, cases, args.top)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = run(Path(tmp) / "home", cases, args.top)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
