"""Public interface, settings, factory and fusion."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

import knowledge
from knowledge import (
    CrossEncoderReranker,
    FusionWeights,
    KnowledgeError,
    KnowledgeSettings,
    build_index,
    citation_url,
)
from knowledge.fusion import convex, fuse, rrf
from knowledge.index import ScoredPoint
from knowledge.index_edge import EdgeVectorIndex
from knowledge.index_qdrant import QdrantClientIndex


def test_public_names_are_pinned() -> None:
    assert set(knowledge.__all__) == {
        "Citation", "CrossEncoderReranker", "DocumentKind", "DocumentNotFoundError", "Embedder",
        "EmbedderError", "FileBackedIndex", "FusionWeights", "Hit", "IndexReport", "KnowledgeBase",
        "KnowledgeError", "KnowledgeSettings", "OnnxEmbedder", "Passage", "PinnedAnswer",
        "Reranker", "SearchScope", "SearchTuning", "SentenceTransformerEmbedder", "VectorIndex",
        "VectorIndexError", "build_embedder", "build_index", "citation_url", "embedding_text",
        "open_knowledge_base", "packaged_model_path", "embedding_thread_budget", "usable_cpus",
        "Expansion", "Glossary", "Term", "Vocabulary", "alias_terms",
    }  # fmt: skip
    for name in knowledge.__all__:
        assert hasattr(knowledge, name)


def test_settings_read_bosun_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOSUN_HOME", str(tmp_path))
    monkeypatch.setenv("BOSUN_EMBEDDER", "torch")
    monkeypatch.setenv("BOSUN_QDRANT_API_KEY", "s3cret")
    s = KnowledgeSettings()
    assert s.home == tmp_path
    assert s.embedder == "torch"
    assert s.store_dir == tmp_path / "knowledge" / "qdrant-edge"
    assert s.qdrant_api_key is not None and "s3cret" not in repr(s)
    monkeypatch.setenv("BOSUN_EMBEDDER", "gpu-magic")
    with pytest.raises(ValueError):
        KnowledgeSettings()


def test_factory_opens_embedded_store_under_home(tmp_path: Path) -> None:
    index = build_index(KnowledgeSettings(home=tmp_path))
    assert isinstance(index, EdgeVectorIndex)
    assert (tmp_path / "knowledge" / "qdrant-edge").is_dir()
    index.close()


def test_factory_uses_server_when_url_is_set(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="BOSUN_QDRANT_URL"):
        # nothing listens on this port: the error says what to check
        build_index(KnowledgeSettings(home=tmp_path, qdrant_url="http://127.0.0.1:9"))
    assert QdrantClientIndex.connect.__doc__


def test_reranker_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="BOSUN_RERANKER_PATH"):
        CrossEncoderReranker(tmp_path / "missing")


def test_citation_url() -> None:
    assert citation_url(4, 12) == "/v1/documents/4/file#page=12"
    assert citation_url(4, None) == "/v1/documents/4/file"


def _points(*ids_scores: tuple[str, float]) -> list[ScoredPoint]:
    return [ScoredPoint(i, s) for i, s in ids_scores]


def test_rrf_weights_and_signals() -> None:
    dense = _points(("a", 0.9), ("b", 0.8))
    sparse = _points(("b", 7.0), ("c", 5.0))
    fused = rrf(dense, sparse, FusionWeights(dense=1, sparse=3, k=5))
    assert [f.point.id for f in fused] == ["b", "c", "a"]
    assert fused[0].signals == {"dense": 0.8, "dense_rank": 2.0, "sparse": 7.0, "sparse_rank": 1.0}
    assert fused[0].score == pytest.approx(1 / 7 + 3 / 6)


def test_fusion_breaks_ties_by_passage_id_not_index_order() -> None:
    # Two indexes of the same passages give them other point ids and return keyword ties
    # in another order; the passage ids are the same.
    def hits(prefix: str, *ids_scores: tuple[str, float]) -> list[ScoredPoint]:
        return [ScoredPoint(f"{prefix}{i}", s, {"passage_id": i}) for i, s in ids_scores]

    one = hits("9", ("z", 18.0), ("x", 18.0), ("y", 18.0), ("w", 12.0))
    other = hits("1", ("y", 18.0), ("z", 18.0), ("x", 18.0), ("w", 12.0))
    dense_one = hits("9", ("x", 0.5), ("y", 0.4), ("z", 0.3))
    dense_other = hits("1", ("x", 0.5), ("y", 0.4), ("z", 0.3))
    modes: tuple[Literal["rrf", "convex"], ...] = ("rrf", "convex")
    for mode in modes:
        weights = FusionWeights(mode=mode)
        a, b = fuse(dense_one, one, weights), fuse(dense_other, other, weights)
        assert [(f.point.payload["passage_id"], f.score, f.signals) for f in a] == [
            (f.point.payload["passage_id"], f.score, f.signals) for f in b
        ]
        assert a[0].signals["sparse_rank"] == 1.0 and a[0].point.payload["passage_id"] == "x"


def test_convex_fusion_normalises_each_list() -> None:
    dense = _points(("a", 0.5), ("b", 0.25))
    sparse = _points(("b", 10.0), ("a", 2.0))
    fused = convex(dense, sparse, FusionWeights(dense=1, sparse=1, mode="convex"))
    assert [f.point.id for f in fused] == ["b", "a"]
    assert fused[0].score == pytest.approx(0.5 + 1.0)
