"""Rank fusion of the dense and sparse result lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from knowledge.index import ScoredPoint


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """Fusion parameters (defaults chosen on emanual-tv-dev: keywords weigh 3x in RRF)."""

    dense: float = 1.0
    sparse: float = 3.0
    k: int = 5
    mode: Literal["rrf", "convex"] = "rrf"
    """rrf: weighted reciprocal rank; convex: weighted sum of max-normalised scores."""


@dataclass(slots=True)
class Fused:
    """A candidate with its fused score and per-signal scores."""

    point: ScoredPoint
    score: float
    signals: dict[str, float]


def fuse(
    dense: Sequence[ScoredPoint], sparse: Sequence[ScoredPoint], weights: FusionWeights
) -> list[Fused]:
    """Fuse the dense and sparse lists as configured; best first.

    Each list is first put in one order, best score first and equal scores by passage id:
    the index returns tied passages (keyword scores of near-identical fault records tie
    exactly) by its point ids, which carry the indexing time, so two indexes of the same
    passages ranked them differently, and a tie's rank moves the fused score and the
    reranker's rank features.
    """
    dense, sparse = canonical(dense), canonical(sparse)
    if weights.mode == "convex":
        return convex(dense, sparse, weights)
    return rrf(dense, sparse, weights)


def canonical(results: Sequence[ScoredPoint]) -> list[ScoredPoint]:
    """Return a result list best first, equal scores in passage-id order.

    The passage id is derived from the passage; a point's id is not (see ``fuse``).
    """
    return sorted(results, key=lambda p: (-p.score, str(p.payload.get("passage_id", p.id))))


def convex(
    dense: Sequence[ScoredPoint], sparse: Sequence[ScoredPoint], weights: FusionWeights
) -> list[Fused]:
    """Fuse by a weighted sum of scores, each list divided by its best score."""
    fused: dict[str, Fused] = {}
    for name, weight, results in (
        ("dense", weights.dense, dense),
        ("sparse", weights.sparse, sparse),
    ):
        top = max((p.score for p in results), default=0.0)
        for rank, p in enumerate(results):
            entry = fused.get(p.id)
            if entry is None:
                entry = fused[p.id] = Fused(p, 0.0, {})
            entry.score += weight * (p.score / top if top > 0 else 0.0)
            entry.signals[name] = p.score
            entry.signals[f"{name}_rank"] = float(rank + 1)
    return sorted(fused.values(), key=lambda f: f.score, reverse=True)


def rrf(
    dense: Sequence[ScoredPoint], sparse: Sequence[ScoredPoint], weights: FusionWeights
) -> list[Fused]:
    """Fuse two ranked lists by weighted reciprocal rank; best first."""
    fused: dict[str, Fused] = {}
    for name, weight, results in (
        ("dense", weights.dense, dense),
        ("sparse", weights.sparse, sparse),
    ):
        for rank, p in enumerate(results):
            entry = fused.get(p.id)
            if entry is None:
                entry = fused[p.id] = Fused(p, 0.0, {})
            entry.score += weight / (weights.k + rank + 1)
            entry.signals[name] = p.score
            entry.signals[f"{name}_rank"] = float(rank + 1)
    return sorted(fused.values(), key=lambda f: f.score, reverse=True)
