"""Table rows as answers: the FMEA spreadsheet and its 40 competency questions.

    python -m eval.tables [--dataset ../shared/datasets/fmea_rag_qa]

Ingests ``fmea_dataset_filled.csv`` through the real pipeline (parse, table rows, chunk,
embed, index) into a throwaway knowledge base, then for each question checks whether the
top-5 retrieved rows hold each ESSENTIAL gold nugget: a nugget is found when at least 75 %
of its content words (lower-case, stopwords dropped, numbers kept) occur in the top-5 rows
rendered as "header: value". Bosun searches with the product's settings (the learned
reranker unless BOSUN_RERANKER=off); BM25 (bm25s) ranks the same rows in the same run. Last line:
{"set": "fmea", "n": 40, "bm25": {"nugget_recall@5": R}, "bosun": {"nugget_recall@5": R}}.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console

from ingestion import DocumentScope, prepare_document
from knowledge import KnowledgeBase, KnowledgeSettings, Passage, SearchScope
from knowledge.embedder import build_embedder
from knowledge.index_edge import EdgeVectorIndex

err = Console(stderr=True)
_WHERE = Path("shared") / "datasets" / "fmea_rag_qa"
DEFAULT_DATASET = next(
    (p / _WHERE for p in Path(__file__).resolve().parents if (p / _WHERE).is_dir()), _WHERE
)
TOP_K = 5
THRESHOLD = 0.75
ORG = 1
_WORD_RE = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")

_NUGGET_RE = re.compile(r'"nugget":\s*"(.*?)"?,\s*"status":\s*"(\w+)"', re.S)

Ranker = Callable[[str], list[int]]


@dataclass(frozen=True, slots=True)
class Question:
    """A competency question and its ESSENTIAL nuggets."""

    qid: str
    text: str
    nuggets: tuple[str, ...]


def load_questions(folder: Path) -> list[Question]:
    """Read fmea_qa_model.csv: ID, Question, Answer, Categories, Nuggets (a JSON list)."""
    with (folder / "fmea_qa_model.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    questions = []
    for row in rows:
        # Some cells are not valid JSON (a stray quote): read the pairs with a pattern.
        nuggets = tuple(
            text.strip()
            for text, status in _NUGGET_RE.findall(row["Nuggets"])
            if status.upper() == "ESSENTIAL"
        )
        questions.append(Question(row["ID"], row["Question"].strip(), nuggets))
    return questions


def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def content_words(text: str, stopwords: frozenset[str]) -> set[str]:
    """Lower-case words of `text` without stopwords; numbers kept."""
    return {w.strip(".'") for w in _WORD_RE.findall(text.lower()) if w not in stopwords}


def nugget_found(nugget: str, rows: Sequence[str], stopwords: frozenset[str]) -> bool:
    """Return True when >= 75 % of the nugget's content words occur in the rows."""
    wanted = content_words(nugget, stopwords)
    if not wanted:
        return True
    present: set[str] = set()
    for row in rows:
        present |= content_words(row, stopwords)
    return len(wanted & present) / len(wanted) >= THRESHOLD


def nugget_recall(
    questions: Sequence[Question], rank: Ranker, rows: Sequence[str], label: str
) -> float:
    """Mean over questions of the share of ESSENTIAL nuggets found in the top-5 rows."""
    stopwords = _stopwords()
    scores: list[float] = []
    for question in questions:
        top = [rows[i] for i in rank(question.text)[:TOP_K]]
        found = sum(nugget_found(n, top, stopwords) for n in question.nuggets)
        scores.append(found / len(question.nuggets) if question.nuggets else 1.0)
    recall = sum(scores) / len(scores) if scores else 0.0
    err.print(f"{label}: nugget recall@{TOP_K} {recall:.4f} over {len(scores)} questions")
    return recall


def bm25_ranker(rows: Sequence[str]) -> Ranker:
    """BM25 over the rows' text, as eval.retrieval's baseline."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(list(rows), stopwords="en", show_progress=False), show_progress=False
    )

    def rank(query: str) -> list[int]:
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        found, _ = retriever.retrieve(tokens, k=min(TOP_K, len(rows)), show_progress=False)
        return [int(i) for i in found[0]]

    return rank


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    args = parser.parse_args(argv)
    folder: Path = args.dataset
    questions = load_questions(folder)
    settings = KnowledgeSettings()
    embedder = build_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="bosun-eval-tables-") as tmp:
        prepared = prepare_document(
            folder / "fmea_dataset_filled.csv",
            DocumentScope(org_id=ORG, document_id=1, version=1, title="FMEA haul truck"),
        )
        passages: list[Passage] = list(prepared.passages)
        table_rows = sum(p.table_row for p in passages)
        err.print(f"fmea: {len(passages)} chunks, {table_rows} table rows")
        rows = [p.text for p in passages]
        by_id = {p.id: n for n, p in enumerate(passages)}
        kb = KnowledgeBase(
            EdgeVectorIndex(Path(tmp) / "store", dimension=embedder.dimension),
            embedder,
            journal_dir=Path(tmp),
            reranker=settings.build_reranker(),  # the product's default; BOSUN_RERANKER=off
        )
        try:
            kb.index_documents([passages])
            kb.optimize()

            def bosun_rank(query: str) -> list[int]:
                hits = kb.search(query, SearchScope(org_id=ORG), limit=TOP_K)
                return [by_id[h.passage.id] for h in hits if h.passage.id in by_id]

            results = {
                "bm25": {
                    "nugget_recall@5": round(
                        nugget_recall(questions, bm25_ranker(rows), rows, "bm25"), 4
                    )
                },
                "bosun": {
                    "nugget_recall@5": round(nugget_recall(questions, bosun_rank, rows, "bosun"), 4)
                },
            }
        finally:
            kb.close()
    sys.stdout.flush()
    print(json.dumps({"set": "fmea", "n": len(questions), **results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
