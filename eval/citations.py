"""End-to-end citations on a handbook: is the right page cited first in the answer?

    python -m eval.citations --beir ../shared/datasets/faa_amt_powerplant \
        --queries eval/cases/faa_dev.jsonl

A page-chunked corpus (``corpus.jsonl`` rows ``{id, text, source, page}``, as
faa_amt_powerplant has) is rendered to PDF, one file per ``source`` with one corpus page
per PDF page (a page whose text overflows runs on; the page it started on is recorded), and
ingested through Bosun's real pipeline (parse, chunk, embed, index) into a fresh home with
one organization, one vessel and its chief engineer. Each question of ``--queries``
(``{"id", "question", "relevant": [corpus ids]}``) is then asked through the assistant's
turn with the offline engine, as ``bosun ask --json`` asks it, and its citations are mapped
back from (document, PDF page) to the corpus's (source, page).

Prints one line per question on stderr, then, as the last line, one JSON object:
``{"n", "first_citation_page_hit", "any_citation_page_hit", "uncited"}``: the share of
answers whose first citation is a gold page, whose citations include one, and that cite
nothing (refused, or nothing found).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

CHIEF = "chief@check.example"
PageKey = tuple[str, int]
"""(source file, page number in the corpus)."""


@dataclass(frozen=True)
class Handbook:
    """A page-chunked corpus: each page's text by source, and each corpus id's page."""

    pages: dict[str, dict[int, list[str]]]
    """source -> page number -> the texts of its rows, in corpus order."""
    where: dict[str, PageKey]
    """corpus id -> (source, page)."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    gold: frozenset[PageKey]


@dataclass
class Rendered:
    """The PDFs of a handbook and where each corpus page starts in its file."""

    files: dict[str, Path] = field(default_factory=dict)
    """source -> PDF path."""
    starts: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """source -> [(first PDF page, corpus page)], in order."""

    def corpus_page(self, source: str, pdf_page: int | None) -> int | None:
        """Return the corpus page shown on a PDF page of a source's file."""
        starts = self.starts.get(source)
        if not starts or pdf_page is None:
            return None
        i = bisect_right([s for s, _ in starts], pdf_page) - 1
        return starts[i][1] if i >= 0 else None


def load_handbook(folder: Path) -> Handbook:
    """Read ``corpus.jsonl`` rows that carry a source and a page."""
    pages: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    where: dict[str, PageKey] = {}
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            source, page = str(row.get("source") or ""), row.get("page")
            if not source or page is None:
                continue
            key = (source, int(page))
            pages[source][key[1]].append(str(row.get("text") or ""))
            where[str(row.get("_id", row.get("id")))] = key
    return Handbook({s: dict(p) for s, p in pages.items()}, where)


def load_questions(path: Path, handbook: Handbook) -> list[Question]:
    """Read the questions; each one's gold pages are its relevant ids' pages."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            gold = frozenset(handbook.where[str(d)] for d in case["relevant"])
            out.append(Question(str(case["id"]), str(case["question"]), gold))
    return out


def _pdf_name(source: str) -> str:
    return source if source.lower().endswith(".pdf") else f"{source}.pdf"


def render(handbook: Handbook, folder: Path) -> Rendered:
    """Write one PDF per source, each corpus page from a new PDF page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    body = getSampleStyleSheet()["BodyText"].clone("body", fontSize=9, leading=11)
    out = Rendered()
    for source in sorted(handbook.pages):
        starts: list[tuple[int, int]] = []

        class Doc(SimpleDocTemplate):  # type: ignore[misc]
            def afterFlowable(self, flowable: Any, starts: list[tuple[int, int]] = starts) -> None:
                page = getattr(flowable, "_corpus_page", None)
                if page is not None:
                    starts.append((self.canv.getPageNumber(), page))

        story: list[Any] = []
        for number in sorted(handbook.pages[source]):
            for n, text in enumerate(handbook.pages[source][number]):
                safe = escape(text)
                para = Paragraph(safe or " ", body)
                if n == 0:
                    para._corpus_page = number
                story.append(para)
            story.append(PageBreak())
        path = folder / _pdf_name(source)
        # invariant: the same bytes every run, so a reused --home re-ingests nothing.
        Doc(str(path), pagesize=A4, title=Path(source).stem, invariant=1).build(story)
        out.files[source] = path
        out.starts[source] = starts
    return out


def cited_pages(
    citations: Sequence[Mapping[str, Any]], documents: Mapping[int, str], rendered: Rendered
) -> list[PageKey | None]:
    """Map each citation (document id, PDF page) to the corpus page it shows (None: another)."""
    out: list[PageKey | None] = []
    for c in citations:
        source = documents.get(int(c.get("document_id") or 0))
        page = rendered.corpus_page(source, c.get("page")) if source else None
        out.append((source, page) if source and page is not None else None)
    return out


def score(cited: Sequence[PageKey | None], gold: frozenset[PageKey]) -> tuple[bool, bool]:
    """Return (first citation is a gold page, some citation is)."""
    first = bool(cited) and cited[0] in gold
    return first, any(c in gold for c in cited)


def figures(results: Sequence[tuple[bool, bool, bool]]) -> dict[str, float | int]:
    """Summarise (first hit, any hit, cited nothing) per question."""
    n = len(results)

    def share(i: int) -> float:
        return round(sum(r[i] for r in results) / n, 4) if n else 0.0

    return {
        "n": n,
        "first_citation_page_hit": share(0),
        "any_citation_page_hit": share(1),
        "uncited": share(2),
    }


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _share_model_cache(home: Path) -> None:
    """Let a fresh home reuse the exported embedder of the user's home (no re-export)."""
    from knowledge import KnowledgeSettings

    cached = KnowledgeSettings().model_cache_dir
    target = KnowledgeSettings(home=home).model_cache_dir
    if cached.is_dir() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(cached, target)


def run(
    handbook: Handbook, questions: Sequence[Question], home: Path, *, share_models: bool = True
) -> dict[str, float | int]:
    """Render, ingest into a fresh home at ``home``, ask every question; return the figures."""
    from sqlalchemy import select

    from channels.app.runtime import open_bosun
    from channels.app.settings import Settings
    from channels.services.chat import open_assistant
    from channels.services.knowledge import open_knowledge
    from records import ALL_TENANTS, Document, Role, register, system_caller, users

    if share_models:
        _share_model_cache(home)
    bosun = open_bosun(Settings(home=home))
    try:
        bosun.startup.ready.set()
        with bosun.db.transaction(ALL_TENANTS) as s:
            org_id = register.get_or_create_organization(s, "Handbook check").id
        admin = system_caller(org_id, "eval")
        with bosun.db.transaction(org_id) as s:
            vessel, _ = register.upsert_vessel(s, admin, name="Check", imo="9000001")
            s.flush()
            vessel_id = vessel.id
            chief = users.find_user_by_email(s, admin, CHIEF) or users.create_user(
                s,
                admin,
                name="Chief engineer",
                email=CHIEF,
                role=Role.chief_engineer,
                vessel_ids=[vessel_id],
            )
            s.flush()
            caller = users.caller_for(chief, "cli")
        pdfs = home / "handbook"
        pdfs.mkdir(parents=True, exist_ok=True)
        rendered = render(handbook, pdfs)
        _say(f"rendered {len(rendered.files)} PDFs; ingesting")
        knowledge = open_knowledge(bosun)
        summary = knowledge.ingest(admin, list(rendered.files.values()), vessel_id=vessel_id)
        for failed in summary.failed:
            _say(f"failed {failed.path.name}: [{failed.code}] {failed.reason}")
        _say(
            f"indexed {len(summary.indexed)} files ({summary.pages} pages, {summary.chunks} "
            f"chunks), {len(summary.unchanged)} unchanged"
        )
        by_name = {path.name: source for source, path in rendered.files.items()}
        with bosun.db.transaction(org_id) as s:
            rows = s.execute(select(Document.id, Document.path, Document.filename)).all()
        documents = {
            int(i): by_name[name]
            for i, path, filename in rows
            if (name := Path(path or filename or "").name) in by_name
        }
        assistant = open_assistant(bosun)
        results: list[tuple[bool, bool, bool]] = []
        for q in questions:
            with bosun.db.transaction(caller) as s:
                result = assistant.turn(s, caller, q.text, channel="cli", vessel_id=vessel_id)
                reply = result.to_dict()
            cited = cited_pages(reply["citations"], documents, rendered)
            first, anywhere = score(cited, q.gold)
            results.append((first, anywhere, not cited))
            mark = "first" if first else ("cited" if anywhere else "miss")
            shown = ", ".join(
                f"{s}:{p}" if s else "other" for s, p in (c or ("", 0) for c in cited)
            )
            _say(f"{q.id}: {mark:5} gold {sorted(q.gold)} cited [{shown}]")
            if not cited:
                _say(f"  reply: {reply['reply'][:160]!r}")
        return figures(results)
    finally:
        bosun.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", type=Path, required=True, help="folder with corpus.jsonl")
    parser.add_argument("--queries", type=Path, required=True, help="JSONL questions")
    parser.add_argument("--home", type=Path, help="home to build in (default: a temporary one)")
    args = parser.parse_args(argv)
    handbook = load_handbook(args.beir)
    questions = load_questions(args.queries, handbook)
    _say(f"{args.beir.name}: {len(handbook.where)} rows, {len(questions)} questions")
    if args.home:
        out = run(handbook, questions, args.home)
    else:
        with tempfile.TemporaryDirectory(prefix="bosun-citations-") as tmp:
            out = run(handbook, questions, Path(tmp))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
