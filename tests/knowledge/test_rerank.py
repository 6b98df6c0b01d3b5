"""The learned reranker: deterministic, off is the fused order, model checks, training runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from eval.rerank_train import Collection, Group, Query, collect, train
from knowledge import (
    KnowledgeBase,
    KnowledgeError,
    KnowledgeSettings,
    Passage,
    SearchScope,
)
from knowledge.index_qdrant import QdrantClientIndex
from knowledge.rerank import SHIPPED_MODEL, LearnedReranker, rerank_order
from knowledge.rerank_features import FEATURES
from tests.knowledge.test_knowledge_base import manual

SCOPE = SearchScope(org_id=1)
QUESTIONS = [
    "lube oil pressure at full load",
    "how often to wash the turbocharger",
    "cooling water high temperature alarm",
    "fuel injection pump pressure 1200 bar",
]


def _kb(embedder: object, reranker: LearnedReranker | None) -> KnowledgeBase:
    index = QdrantClientIndex(QdrantClient(location=":memory:"), "kb")
    kb = KnowledgeBase(index, embedder, reranker=reranker)  # type: ignore[arg-type]
    kb.index_documents([manual(), manual(document_id=11, title="Generator manual")])
    return kb


@pytest.fixture(scope="module")
def shipped() -> LearnedReranker:
    return LearnedReranker.load()


@pytest.fixture(scope="module")
def kbs(
    embedder: object, shipped: LearnedReranker
) -> Iterator[tuple[KnowledgeBase, KnowledgeBase]]:
    """The manuals without and with the shipped reranker (the tests only search them)."""
    off, learned = _kb(embedder, None), _kb(embedder, shipped)
    yield off, learned
    off.close()
    learned.close()


def test_settings_default_is_learned_and_off_builds_none() -> None:
    assert KnowledgeSettings().reranker == "learned"
    assert isinstance(KnowledgeSettings().build_reranker(), LearnedReranker)
    assert KnowledgeSettings(reranker="off").build_reranker() is None


def test_off_is_the_fused_order(kbs: tuple[KnowledgeBase, KnowledgeBase]) -> None:
    off, _ = kbs
    for q in QUESTIONS:
        head, _ = off.candidate_features(q, SCOPE, depth=8)
        hits = off.search(q, SCOPE, limit=8, include_pinned=False)
        assert [h.passage.id for h in hits] == [str(f.point.payload["passage_id"]) for f in head]
        assert all("rerank" not in h.signals for h in hits)


def test_learned_reranker_is_deterministic_and_follows_its_scores(
    kbs: tuple[KnowledgeBase, KnowledgeBase], embedder: object, shipped: LearnedReranker
) -> None:
    _, learned = kbs
    again = _kb(embedder, LearnedReranker.load())
    try:
        for q in QUESTIONS:
            first = learned.search(q, SCOPE, limit=8, include_pinned=False)
            second = again.search(q, SCOPE, limit=8, include_pinned=False)
            assert [(h.passage.id, h.score) for h in first] == [
                (h.passage.id, h.score) for h in second
            ]
            rerank = [h.signals["rerank"] for h in first]
            assert rerank == sorted(rerank, reverse=True)
            scores = [h.score for h in first]
            assert scores == sorted(scores, reverse=True)
    finally:
        again.close()
    # ties keep the fused order
    assert rerank_order([0.5, 0.7, 0.5, 0.7]) == [1, 3, 0, 2]


def test_a_model_with_other_features_is_refused(tmp_path: Path) -> None:
    document = json.loads(SHIPPED_MODEL.read_text())
    document["features"] = [*FEATURES[1:], "something_new"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    with pytest.raises(KnowledgeError, match=r"other features.*something_new"):
        LearnedReranker.load(path)
    with pytest.raises(KnowledgeError, match="Cannot read"):
        LearnedReranker.load(tmp_path / "missing.json")
    with pytest.raises(KnowledgeError, match="sha256"):
        LearnedReranker({**json.loads(SHIPPED_MODEL.read_text()), "sha256": "0" * 64})


def test_shipped_model_names_what_it_was_trained_on(shipped: LearnedReranker) -> None:
    assert shipped.trained_on
    names = " ".join(shipped.trained_on)
    assert "emanual" not in names and "faa" not in names


def _in_section(section: str) -> Callable[[Passage], int]:
    return lambda p: int(p.section == section)


@pytest.mark.slow
def test_training_on_a_tiny_set_runs_and_is_deterministic(tmp_path: Path, embedder: object) -> None:
    by_section = {
        "lube oil pressure full load": "Lubrication",
        "turbocharger wash interval": "Turbocharger",
        "jacket water alarm temperature": "Cooling water",
    }
    queries = [Query(q, _in_section(s), key=s) for q, s in by_section.items()]
    tiny = Collection("tiny", [manual(), manual(document_id=11, title="Generator manual")], queries)
    groups = collect(tiny, embedder, tmp_path / "cache")  # type: ignore[arg-type]
    assert groups and all(g.features.shape[1] == len(FEATURES) for g in groups)
    cached = collect(tiny, embedder, tmp_path / "cache")  # type: ignore[arg-type]
    assert [g.labels.tolist() for g in cached] == [g.labels.tolist() for g in groups]
    first, second = train(groups, rounds=5), train(groups, rounds=5)
    assert first["sha256"] == second["sha256"]
    model = LearnedReranker(first)
    scores = model.predict(groups[0].features)
    assert len(scores) == len(groups[0].labels) and all(np.isfinite(scores))


def test_training_needs_usable_groups() -> None:
    with pytest.raises(ValueError, match="no training group"):
        train([])
    x = np.zeros((2, len(FEATURES)), dtype=np.float32)
    assert Group("x", x, np.array([1.0, 0.0]), 1.0).features.shape == (2, len(FEATURES))
