"""Reranking of the fused candidates: a learned model, or a cross-encoder from a path.

The learned model (XGBoost over knowledge.rerank_features) ships as
knowledge/data/reranker.json; a sentence-transformers cross-encoder can be loaded from a
folder instead (BOSUN_RERANKER_PATH).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge.errors import KnowledgeError
from knowledge.rerank_features import FEATURES

SHIPPED_MODEL = Path(__file__).parent / "data" / "reranker.json"
MODEL_FORMAT = "bosun-reranker/1"


class Reranker(Protocol):
    """Score (query, passage) pairs; higher is more relevant."""

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """Return one relevance score per passage."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder."""

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        if not path.is_dir():
            raise KnowledgeError(
                f"BOSUN_RERANKER_PATH={path} is not a folder; unset it or point it at a "
                "cross-encoder saved with save_pretrained()"
            )
        try:
            self._model = CrossEncoder(str(path), device="cpu")
        except OSError as err:
            raise KnowledgeError(f"Cannot load the cross-encoder at {path}: {err}") from err

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """Return one relevance score per passage."""
        if not passages:
            return []
        scores = self._model.predict([(query, p) for p in passages], show_progress_bar=False)
        return [float(s) for s in scores]


class LearnedReranker:
    """Gradient-boosted trees (XGBoost ``rank:ndcg``) over knowledge.rerank_features.

    The model file is JSON: ``format``, ``features`` (must equal FEATURES, in order),
    ``version``, ``trained_on``, ``sha256`` of the booster, and the ``booster`` itself.
    """

    def __init__(self, document: dict[str, Any], source: str = "model") -> None:
        import xgboost as xgb

        if document.get("format") != MODEL_FORMAT:
            raise KnowledgeError(f"{source} is not a Bosun reranker model ({MODEL_FORMAT})")
        features = tuple(document.get("features") or ())
        if features != FEATURES:
            missing = [f for f in FEATURES if f not in features]
            extra = [f for f in features if f not in FEATURES]
            raise KnowledgeError(
                f"{source} was trained on other features than this version computes "
                f"(missing {missing or 'none'}, unknown {extra or 'none'}, or another order); "
                "retrain it with python -m eval.rerank_train or set BOSUN_RERANKER=off"
            )
        raw = json.dumps(document["booster"], sort_keys=True).encode()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        if document.get("sha256") not in (None, self.sha256):
            raise KnowledgeError(f"{source}: the booster does not match its recorded sha256")
        self.version = str(document.get("version", "?"))
        self.trained_on = tuple(document.get("trained_on") or ())
        self.depth = int(document.get("depth", 30))
        self.prior_weight = float(document.get("prior_weight", 0.0))
        """Weight of the fused order in the final order (see order())."""
        self.prior_k = float(document.get("prior_k", 5.0))
        booster = xgb.Booster()
        booster.load_model(bytearray(raw))
        booster.set_param({"nthread": 1})
        self._booster = booster

    @classmethod
    def load(cls, path: Path = SHIPPED_MODEL) -> LearnedReranker:
        """Read a model file (the shipped one by default)."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise KnowledgeError(f"Cannot read the reranker model {path}: {err}") from err
        return cls(document, source=str(path))

    def predict(self, features: np.ndarray) -> list[float]:
        """Return one score per row of features (columns as FEATURES)."""
        if features.shape[0] == 0:
            return []
        if features.shape[1] != len(FEATURES):
            raise KnowledgeError(
                f"expected {len(FEATURES)} feature columns, got {features.shape[1]}"
            )
        scores = self._booster.inplace_predict(np.ascontiguousarray(features, dtype=np.float32))
        return [float(s) for s in np.asarray(scores).ravel()]

    def blend(self, features: np.ndarray) -> list[float]:
        """Return each candidate's final score: the model's rank fused with the fused rank.

        ``1 / (k + model rank) + prior_weight / (k + fused rank)`` (ranks from 1; rows of
        ``features`` in fused order). With prior_weight 0 the model's order stands; a
        positive weight keeps the fused order unless the model is sure (reciprocal-rank
        fusion of the two orders).
        """
        scores = self.predict(features)
        rank = [0] * len(scores)
        for r, i in enumerate(rerank_order(scores)):
            rank[i] = r + 1
        k, w = self.prior_k, self.prior_weight
        return [1.0 / (k + rank[i]) + w / (k + i + 1) for i in range(len(scores))]


def rerank_order(scores: Sequence[float]) -> list[int]:
    """Return candidate positions by score, best first; ties keep the fused order."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))
