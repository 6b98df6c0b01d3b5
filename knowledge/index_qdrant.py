"""VectorIndex on qdrant-client: a Qdrant server by URL, or qdrant-client's local mode."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from knowledge.errors import VectorIndexError, dimension_mismatch
from knowledge.index import (
    DENSE,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    SPARSE,
    IndexPoint,
    MatchAny,
    PayloadFilter,
    ScoredPoint,
    SparseVector,
    StoredPoint,
    VectorQuery,
)

_SCROLL_PAGE = 1000


def _condition(m: MatchAny) -> models.FieldCondition:
    values = m.values
    if any(isinstance(v, bool) for v in values):
        raise VectorIndexError(f"match on {m.key}: store booleans as keywords to filter on them")
    if len(values) == 1:
        return models.FieldCondition(key=m.key, match=models.MatchValue(value=values[0]))
    return models.FieldCondition(key=m.key, match=models.MatchAny(any=list(values)))


def to_qdrant_filter(flt: PayloadFilter) -> models.Filter | None:
    """Translate a neutral filter into a qdrant-client filter (None when empty)."""
    if not flt.must and not flt.must_not:
        return None
    return models.Filter(
        must=[_condition(m) for m in flt.must] or None,
        must_not=[_condition(m) for m in flt.must_not] or None,
    )


class QdrantClientIndex:
    """A Qdrant collection through qdrant-client (server or local mode)."""

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        *,
        dimension: int = 384,
        hnsw_ef: int = 256,
    ) -> None:
        self._client = client
        self._collection = collection
        self._hnsw_ef = hnsw_ef
        # qdrant-client's local mode is plain Python and not thread-safe: serialise its calls.
        local = type(getattr(client, "_client", None)).__name__ == "QdrantLocal"
        self._lock: AbstractContextManager[Any] = threading.RLock() if local else nullcontext()
        try:
            if not client.collection_exists(collection):
                client.create_collection(
                    collection,
                    vectors_config={
                        DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
                    },
                    sparse_vectors_config={
                        SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)
                    },
                )
                self._create_payload_indexes()
            else:
                vectors = client.get_collection(collection).config.params.vectors
                dense = vectors.get(DENSE) if isinstance(vectors, dict) else None
                if dense is not None and dense.size != dimension:
                    raise dimension_mismatch(f"in collection {collection!r}", dense.size, dimension)
        except (UnexpectedResponse, ResponseHandlingException) as err:
            raise VectorIndexError(
                f"Cannot open Qdrant collection {collection!r}: {err}. "
                "Check BOSUN_QDRANT_URL and BOSUN_QDRANT_API_KEY."
            ) from err

    @classmethod
    def connect(
        cls, url: str, collection: str, *, api_key: str | None = None, dimension: int = 384
    ) -> QdrantClientIndex:
        """Connect to a Qdrant server by URL."""
        client = QdrantClient(url=url, api_key=api_key, timeout=30)
        return cls(client, collection, dimension=dimension)

    def _create_payload_indexes(self) -> None:
        schema = [(n, models.PayloadSchemaType.KEYWORD) for n in KEYWORD_FIELDS] + [
            (n, models.PayloadSchemaType.INTEGER) for n in INTEGER_FIELDS
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # local mode warns that payload indexes do nothing
            for name, kind in schema:
                self._client.create_payload_index(self._collection, name, kind)

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        """Insert or replace points; return when they are searchable."""
        structs = [
            models.PointStruct(
                id=p.id,
                vector={
                    DENSE: [float(x) for x in p.dense],
                    SPARSE: models.SparseVector(
                        indices=list(p.sparse.indices), values=list(p.sparse.values)
                    ),
                },
                payload=p.payload,
            )
            for p in points
        ]
        with self._lock:
            for start in range(0, len(structs), 256):
                self._client.upsert(self._collection, structs[start : start + 256], wait=True)

    def delete(self, flt: PayloadFilter) -> None:
        """Delete every point matching the filter."""
        q = to_qdrant_filter(flt)
        if q is None:
            raise VectorIndexError("refusing to delete with an empty filter")
        with self._lock:
            self._client.delete(self._collection, models.FilterSelector(filter=q), wait=True)

    def set_payload(self, flt: PayloadFilter, payload: dict[str, Any]) -> None:
        """Set payload fields on every point matching the filter."""
        q = to_qdrant_filter(flt)
        if q is None:
            raise VectorIndexError("refusing to update payload with an empty filter")
        with self._lock:
            self._client.set_payload(self._collection, payload, points=q, wait=True)

    def _request(self, q: VectorQuery) -> models.QueryRequest:
        if isinstance(q.vector, SparseVector):
            query: Any = models.SparseVector(
                indices=list(q.vector.indices), values=list(q.vector.values)
            )
            params = None
        else:
            query = [float(x) for x in q.vector]
            params = models.SearchParams(hnsw_ef=self._hnsw_ef, exact=q.exact)
        return models.QueryRequest(
            query=query,
            using=q.using,
            filter=to_qdrant_filter(q.filter),
            limit=q.limit,
            with_payload=True,
            params=params,
        )

    def search(self, queries: Sequence[VectorQuery]) -> list[list[ScoredPoint]]:
        """Run several queries in one batch request."""
        if not queries:
            return []
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # local mode: "search_params has no effect"
            responses = self._client.query_batch_points(
                self._collection, [self._request(q) for q in queries]
            )
        return [
            [ScoredPoint(str(p.id), float(p.score), dict(p.payload or {})) for p in r.points]
            for r in responses
        ]

    def scroll(self, flt: PayloadFilter, *, with_dense: bool = False) -> list[StoredPoint]:
        """Return every point matching the filter."""
        out: list[StoredPoint] = []
        offset: Any = None
        while True:
            with self._lock:
                records, offset = self._client.scroll(
                    self._collection,
                    scroll_filter=to_qdrant_filter(flt),
                    limit=_SCROLL_PAGE,
                    offset=offset,
                    with_payload=True,
                    with_vectors=[DENSE] if with_dense else False,
                )
            for r in records:
                dense = None
                if with_dense and isinstance(r.vector, dict) and DENSE in r.vector:
                    raw: Any = r.vector[DENSE]
                    dense = tuple(float(x) for x in raw)
                out.append(StoredPoint(str(r.id), dict(r.payload or {}), dense))
            if offset is None:
                return out

    def count(self, flt: PayloadFilter) -> int:
        """Count the points matching the filter."""
        with self._lock:
            return int(
                self._client.count(
                    self._collection, count_filter=to_qdrant_filter(flt), exact=True
                ).count
            )

    def optimize(self) -> None:
        """Do nothing: a Qdrant server optimises in the background."""

    def close(self) -> None:
        """Close the client."""
        self._client.close()
