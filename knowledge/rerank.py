"""Optional cross-encoder reranking of the fused candidates (model loaded from a path)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from knowledge.errors import KnowledgeError


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
