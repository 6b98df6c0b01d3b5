"""Build the knowledge base from settings (the composition root calls this once)."""

from __future__ import annotations

from dataclasses import replace

from knowledge.base import KnowledgeBase, SearchTuning
from knowledge.embedder import Embedder, build_embedder
from knowledge.index import VectorIndex
from knowledge.settings import KnowledgeSettings


def build_index(settings: KnowledgeSettings, *, dimension: int | None = 384) -> VectorIndex:
    """Open the Qdrant server index when BOSUN_QDRANT_URL is set, else the embedded one.

    `dimension` is the embedder's; None opens an existing embedded store whatever it holds.
    """
    if settings.qdrant_url:
        from knowledge.index_qdrant import QdrantClientIndex

        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantClientIndex.connect(
            settings.qdrant_url,
            settings.qdrant_collection,
            api_key=key,
            dimension=dimension or 384,
        )
    from knowledge.index_edge import EdgeVectorIndex

    return EdgeVectorIndex(settings.store_dir, dimension=dimension, hnsw_ef=settings.hnsw_ef)


def open_knowledge_base(
    settings: KnowledgeSettings,
    *,
    embedder: Embedder | None = None,
    tuning: SearchTuning | None = None,
) -> KnowledgeBase:
    """Open the knowledge base configured by settings (pass an embedder to share one)."""
    emb = embedder or build_embedder(settings)
    tuning = tuning or SearchTuning()
    if not settings.glossary:
        tuning = replace(tuning, glossary=False)
    return KnowledgeBase(
        build_index(settings, dimension=emb.dimension),
        emb,
        journal_dir=settings.home / "knowledge",
        reranker=settings.build_reranker(),
        tuning=tuning,
        pin_threshold=settings.pin_threshold,
    )
