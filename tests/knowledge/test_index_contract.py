"""One contract suite for every VectorIndex implementation."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from knowledge.errors import VectorIndexError
from knowledge.index import (
    DENSE,
    SPARSE,
    IndexPoint,
    MatchAny,
    PayloadFilter,
    SparseVector,
    VectorIndex,
    VectorQuery,
)
from knowledge.index_edge import EdgeVectorIndex
from knowledge.index_qdrant import QdrantClientIndex

DIM = 8


def _unit(seed: int) -> list[float]:
    v = np.random.default_rng(seed).normal(size=DIM)
    return list(v / np.linalg.norm(v))


def _point(i: int, **payload: object) -> IndexPoint:
    base: dict[str, object] = {"org_id": 1, "kind": "manual", "tags": [], "n": i}
    base.update(payload)
    return IndexPoint(
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"p{i}")),
        _unit(i),
        SparseVector((i % 5, 100 + i), (1.0, 2.0)),
        base,
    )


class VectorIndexContract:
    """Behaviour every VectorIndex must have; subclasses provide the ``index`` fixture."""

    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[VectorIndex]:
        raise NotImplementedError

    def test_is_a_vector_index(self, index: VectorIndex) -> None:
        assert isinstance(index, VectorIndex)

    def test_dense_search_ranks_the_same_vector_first(self, index: VectorIndex) -> None:
        index.upsert([_point(i) for i in range(20)])
        (res,) = index.search([VectorQuery(DENSE, _unit(7), PayloadFilter(), 5)])
        assert res[0].payload["n"] == 7
        assert res[0].score == pytest.approx(1.0, abs=1e-4)
        assert len(res) == 5
        assert [r.score for r in res] == sorted((r.score for r in res), reverse=True)

    def test_sparse_search_matches_terms(self, index: VectorIndex) -> None:
        index.upsert([_point(i) for i in range(20)])
        (res,) = index.search(
            [VectorQuery(SPARSE, SparseVector((112,), (1.0,)), PayloadFilter(), 5)]
        )
        assert [r.payload["n"] for r in res] == [12]

    def test_batch_returns_one_list_per_query(self, index: VectorIndex) -> None:
        index.upsert([_point(i) for i in range(10)])
        res = index.search(
            [
                VectorQuery(DENSE, _unit(3), PayloadFilter(), 2),
                VectorQuery(SPARSE, SparseVector((104,), (1.0,)), PayloadFilter(), 2),
            ]
        )
        assert len(res) == 2
        assert res[0][0].payload["n"] == 3
        assert res[1][0].payload["n"] == 4

    def test_filters_must_and_must_not(self, index: VectorIndex) -> None:
        index.upsert(
            [
                _point(i, org_id=1 + i % 2, tags=["a"] if i % 3 == 0 else ["b", "c"])
                for i in range(30)
            ]
        )
        flt = PayloadFilter(must=(MatchAny("org_id", (2,)), MatchAny("tags", ("a", "zz"))))
        (res,) = index.search([VectorQuery(DENSE, _unit(0), flt, 50)])
        assert sorted(r.payload["n"] for r in res) == [i for i in range(30) if i % 2 and i % 3 == 0]
        assert index.count(flt) == len(res)
        not_b = PayloadFilter(must_not=(MatchAny("tags", ("b",)),))
        assert index.count(not_b) == 10

    def test_exact_and_approximate_agree_on_small_sets(self, index: VectorIndex) -> None:
        index.upsert([_point(i) for i in range(50)])
        q = _unit(999)
        approx, exact = index.search(
            [
                VectorQuery(DENSE, q, PayloadFilter(), 10),
                VectorQuery(DENSE, q, PayloadFilter(), 10, exact=True),
            ]
        )
        assert [r.id for r in approx] == [r.id for r in exact]

    def test_upsert_replaces_by_id(self, index: VectorIndex) -> None:
        index.upsert([_point(1, kind="manual")])
        index.upsert([_point(1, kind="procedure")])
        stored = index.scroll(PayloadFilter())
        assert len(stored) == 1
        assert stored[0].payload["kind"] == "procedure"

    def test_delete_by_filter(self, index: VectorIndex) -> None:
        index.upsert([_point(i, org_id=1 + i % 2) for i in range(10)])
        index.delete(PayloadFilter(must=(MatchAny("org_id", (1,)),)))
        assert index.count(PayloadFilter()) == 5
        assert index.count(PayloadFilter(must=(MatchAny("org_id", (1,)),))) == 0

    def test_delete_with_empty_filter_is_refused(self, index: VectorIndex) -> None:
        index.upsert([_point(1)])
        with pytest.raises(VectorIndexError):
            index.delete(PayloadFilter())
        assert index.count(PayloadFilter()) == 1

    def test_set_payload_by_filter(self, index: VectorIndex) -> None:
        index.upsert([_point(i, status="enabled") for i in range(6)])
        index.set_payload(PayloadFilter(must=(MatchAny("n", (1, 2)),)), {"status": "disabled"})
        off = PayloadFilter(must=(MatchAny("status", ("disabled",)),))
        assert sorted(s.payload["n"] for s in index.scroll(off)) == [1, 2]

    def test_scroll_pages_through_everything_with_vectors(self, index: VectorIndex) -> None:
        index.upsert([_point(i) for i in range(1205)])
        stored = index.scroll(PayloadFilter(), with_dense=True)
        assert len(stored) == 1205
        by_n = {s.payload["n"]: s for s in stored}
        assert by_n[42].dense is not None
        assert np.allclose(by_n[42].dense, _unit(42), atol=1e-5)

    def test_boolean_filters_are_rejected_clearly(self, index: VectorIndex) -> None:
        with pytest.raises(VectorIndexError, match="keywords"):
            index.count(PayloadFilter(must=(MatchAny("enabled", (True,)),)))


@pytest.fixture(scope="module")
def empty_edge_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Create one empty store (payload indexes take ~1 s to create) and copy it per test."""
    path = tmp_path_factory.mktemp("edge-template") / "edge"
    EdgeVectorIndex(path, dimension=DIM).close()
    return path


class TestEdgeVectorIndex(VectorIndexContract):
    @pytest.fixture
    def index(self, tmp_path: Path, empty_edge_store: Path) -> Iterator[VectorIndex]:
        shutil.copytree(empty_edge_store, tmp_path / "edge")
        ix = EdgeVectorIndex(tmp_path / "edge", dimension=DIM)
        yield ix
        ix.close()

    def test_reopens_persisted_data(self, tmp_path: Path) -> None:
        ix = EdgeVectorIndex(tmp_path / "edge", dimension=DIM)
        ix.upsert([_point(i) for i in range(5)])
        ix.close()
        again = EdgeVectorIndex(tmp_path / "edge", dimension=DIM)
        assert again.count(PayloadFilter()) == 5
        again.close()


class TestQdrantLocalIndex(VectorIndexContract):
    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[VectorIndex]:
        ix = QdrantClientIndex(QdrantClient(location=":memory:"), "contract", dimension=DIM)
        yield ix
        ix.close()


class TestQdrantServerIndex(VectorIndexContract):
    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[VectorIndex]:
        url = os.environ.get("BOSUN_TEST_QDRANT_URL")
        if not url:
            pytest.skip("no Qdrant server: set BOSUN_TEST_QDRANT_URL=http://host:6333 to run")
        client = QdrantClient(url=url, timeout=10)
        name = f"contract_{uuid.uuid4().hex[:8]}"
        ix = QdrantClientIndex(client, name, dimension=DIM)
        yield ix
        client.delete_collection(name)
        ix.close()
