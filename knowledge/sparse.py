"""BM25 sparse vectors (Qdrant's tokenizer, English stopwords and stemmer; IDF in the index)."""

from __future__ import annotations

import qdrant_edge as qe

from knowledge.index import SparseVector


class Bm25Encoder:
    """Encode passages as BM25 term-frequency vectors and queries as term sets."""

    def __init__(self, *, k: float = 1.2, b: float = 0.75, avg_len: float = 120.0) -> None:
        self._model = qe.Bm25(qe.Bm25Config(k=k, b=b, avg_len=avg_len, language="english"))

    def encode_document(self, text: str) -> SparseVector:
        """Return the BM25 document vector of a passage."""
        v = self._model.embed_document(text)
        return SparseVector(tuple(v.indices), tuple(v.values))

    def encode_query(self, text: str) -> SparseVector:
        """Return the BM25 query vector (each distinct term weighted 1)."""
        v = self._model.embed_query(text)
        return SparseVector(tuple(v.indices), tuple(v.values))
