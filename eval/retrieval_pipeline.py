"""Bosun's pipeline for the BEIR evaluation: chunk, index through KnowledgeBase, rank docs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.progress import track

from eval.retrieval_metrics import BeirSet
from ingestion import (
    Block,
    DocumentScope,
    FileKind,
    IngestionSettings,
    ParsedDocument,
    Section,
    chunk_document,
)
from knowledge import Embedder, FusionWeights, KnowledgeBase, Passage, SearchScope, SearchTuning
from knowledge.index_edge import EdgeVectorIndex
from knowledge.rerank import LearnedReranker, Reranker

ORG = 1


@dataclass(frozen=True)
class PipelineOptions:
    chunker: Literal["ingestion", "words"] = "ingestion"
    """ingestion: the product's chunker (ingestion.chunk_document, its default settings);
    words: windows of chunk_words words overlapping by overlap_words (the earlier eval)."""
    ingestion: IngestionSettings = field(default_factory=IngestionSettings)
    """Chunk size and overlap of the ingestion chunker (BOSUN_INGEST_* as in the product)."""
    chunk_words: int = 150
    overlap_words: int = 40
    candidates: int = 50
    fusion: FusionWeights = field(default_factory=FusionWeights)
    title_weight: int = 3
    bm25_k: float = 1.2
    bm25_b: float = 0.75
    heading_weight: float = SearchTuning().heading_weight
    glossary: bool = True
    """Expand queries with the shipped crew vocabulary (BOSUN_GLOSSARY=off: as typed)."""
    reranker: LearnedReranker | Reranker | None = None
    """The reranker of the fused candidates (None: the fused order, BOSUN_RERANKER=off)."""


def chunk_words(text: str, size: int, overlap: int) -> list[str]:
    """Split text into windows of at most ``size`` words overlapping by ``overlap`` words."""
    words = text.split()
    if len(words) <= size:
        return [text]
    step = max(1, size - overlap)
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + size]))
        if start + size >= len(words):
            break
    return chunks


def product_passages(
    document_id: int, title: str, text: str, settings: IngestionSettings
) -> list[Passage]:
    """Chunk one corpus document as ingestion chunks a parsed file: a titled document whose
    body is one section without a heading (BEIR documents carry no page or heading path)."""
    parsed = ParsedDocument(
        title=title,
        kind=FileKind.TEXT,
        page_count=None,
        sections=(Section(path=(), blocks=(Block(text or title),)),),
    )
    scope = DocumentScope(org_id=ORG, document_id=document_id, version=1)
    return chunk_document(parsed, scope, settings=settings)


class BosunPipeline:
    """The real KnowledgeBase over an embedded store in a temporary folder."""

    def __init__(self, folder: Path, embedder: Embedder, options: PipelineOptions) -> None:
        self.options = options
        tuning = SearchTuning(
            candidates=options.candidates,
            fusion=options.fusion,
            title_weight=options.title_weight,
            bm25_k=options.bm25_k,
            bm25_b=options.bm25_b,
            heading_weight=options.heading_weight,
            glossary=options.glossary,
        )
        self.kb = KnowledgeBase(
            EdgeVectorIndex(folder / "store", dimension=embedder.dimension),
            embedder,
            journal_dir=folder,
            tuning=tuning,
            reranker=options.reranker,
        )
        self.doc_ids: list[str] = []

    def index(self, data: BeirSet, console: Console) -> None:
        self.doc_ids = list(data.corpus)
        documents: list[list[Passage]] = []
        for n, did in enumerate(self.doc_ids):
            title, text = data.corpus[did]
            if self.options.chunker == "ingestion":
                documents.append(product_passages(n + 1, title, text, self.options.ingestion))
                continue
            chunks = chunk_words(text, self.options.chunk_words, self.options.overlap_words)
            documents.append(
                [
                    Passage(
                        id=f"{did}#{i}",
                        org_id=ORG,
                        document_id=n + 1,
                        document_version=1,
                        text=chunk,
                        title=title,
                        ordinal=i,
                    )
                    for i, chunk in enumerate(chunks)
                ]
            )
        batch = 64
        total = 0
        for start in track(
            range(0, len(documents), batch), description="bosun: indexing", console=console
        ):
            for report in self.kb.index_documents(documents[start : start + batch]):
                total += report.chunks
        self.kb.optimize()
        console.print(f"bosun: {len(documents)} documents as {total} chunks")

    def rank(self, query: str) -> list[str]:
        hits = self.kb.search(query, SearchScope(org_id=ORG), limit=self.options.candidates)
        ranked: list[str] = []
        for h in hits:
            did = self.doc_ids[h.passage.document_id - 1]
            if did not in ranked:
                ranked.append(did)
                if len(ranked) == 10:
                    break
        return ranked

    def close(self) -> None:
        self.kb.close()
