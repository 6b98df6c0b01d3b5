"""Rank fusion of the dense and sparse result lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.index import ScoredPoint


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """Weighted reciprocal-rank fusion parameters."""

    dense: float = 1.0
    sparse: float = 1.0
    k: int = 60


@dataclass(slots=True)
class Fused:
    """A candidate with its fused score and per-signal scores."""

    point: ScoredPoint
    score: float
    signals: dict[str, float]


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
