"""KnowledgeBase behaviour on both index implementations, with the real embedding model."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from knowledge import (
    Embedder,
    KnowledgeBase,
    KnowledgeError,
    Passage,
    SearchScope,
    SearchTuning,
    SentenceTransformerEmbedder,
    embedding_text,
)
from knowledge.base import blend_heading, heading_text
from knowledge.index import MatchAny, PayloadFilter, VectorIndex
from knowledge.index_edge import EdgeVectorIndex
from knowledge.index_qdrant import QdrantClientIndex

pytestmark = pytest.mark.slow(reason="embeds passages into both vector indexes, seconds per test")

MANUAL = [
    (
        "Fuel system",
        3,
        "The fuel injection pump delivers fuel at 1200 bar. Inspect the "
        "high-pressure pipe seals for leaks every 250 running hours.",
    ),
    (
        "Lubrication",
        7,
        "Lube oil pressure must stay above 3 bar at full load. Replace the "
        "lube oil filter cartridge every 500 running hours.",
    ),
    (
        "Cooling water",
        11,
        "Jacket cooling water outlet temperature is 80 to 85 degrees C. "
        "A high temperature alarm sounds at 95 degrees C.",
    ),
    (
        "Turbocharger",
        15,
        "Wash the turbocharger compressor side with water every 48 hours "
        "while running at 50 percent load.",
    ),
]


def manual(
    *,
    org_id: int = 1,
    document_id: int = 10,
    version: int = 1,
    vessel_id: int | None = None,
    codes: tuple[str, ...] = ("ME",),
    title: str = "Main engine operating manual",
    texts: list[tuple[str, int, str]] | None = None,
    tags: tuple[str, ...] = (),
) -> list[Passage]:
    return [
        Passage(
            id=f"{document_id}-{version}-{i}",
            org_id=org_id,
            document_id=document_id,
            document_version=version,
            text=text,
            title=title,
            section=section,
            page=page,
            vessel_id=vessel_id,
            equipment_codes=codes,
            tags=tags,
            ordinal=i,
        )
        for i, (section, page, text) in enumerate(texts or MANUAL)
    ]


class CountingEmbedder:
    """Wrap an embedder and count the passages it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.embedded = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):  # type: ignore[no-untyped-def]
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Create one empty embedded store (payload indexes take ~1 s) to copy per test."""
    path = tmp_path_factory.mktemp("kb-template") / "edge"
    EdgeVectorIndex(path).close()
    return path


def _edge(tmp_path: Path, template: Path) -> VectorIndex:
    shutil.copytree(template, tmp_path / "edge")
    return EdgeVectorIndex(tmp_path / "edge")


IndexMaker = Callable[[Path, Path], VectorIndex]
BACKENDS: dict[str, IndexMaker] = {
    "edge": _edge,
    "qdrant-local": lambda p, t: QdrantClientIndex(QdrantClient(location=":memory:"), "kb"),
}


@pytest.fixture(params=sorted(BACKENDS))
def kb_and_counter(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    empty_store: Path,
    embedder: SentenceTransformerEmbedder,
) -> Iterator[tuple[KnowledgeBase, CountingEmbedder]]:
    counter = CountingEmbedder(embedder)
    index = BACKENDS[request.param](tmp_path, empty_store)
    kb = KnowledgeBase(index, counter, journal_dir=tmp_path)
    yield kb, counter
    kb.close()


@pytest.fixture
def kb(kb_and_counter: tuple[KnowledgeBase, CountingEmbedder]) -> KnowledgeBase:
    return kb_and_counter[0]


def test_hybrid_search_finds_the_right_passage_with_citation(kb: KnowledgeBase) -> None:
    kb.index_document(manual())
    hits = kb.search("how often should I change the oil filter?", SearchScope(org_id=1))
    top = hits[0]
    assert top.passage.section == "Lubrication"
    assert top.citation.page == 7
    assert top.citation.section == "Lubrication"
    assert top.citation.title == "Main engine operating manual"
    assert top.citation.url == "/v1/documents/10/file#page=7"
    assert {"dense", "sparse"} <= set(top.signals)
    hits = kb.search("turbocharger water wash interval", SearchScope(org_id=1))
    assert hits[0].citation.page == 15


def test_keyword_signal_finds_exact_numbers(kb: KnowledgeBase) -> None:
    kb.index_document(manual())
    hits = kb.search("95 degrees alarm", SearchScope(org_id=1), limit=1)
    assert hits[0].passage.section == "Cooling water"


def test_org_a_never_sees_org_b(kb: KnowledgeBase) -> None:
    kb.index_document(manual(org_id=1, document_id=1))
    kb.index_document(manual(org_id=2, document_id=2, title="Org B secret manual"))
    for query in ["lube oil filter", "Org B secret manual", "turbocharger"]:
        hits = kb.search(query, SearchScope(org_id=1), limit=20)
        assert hits
        assert {h.passage.org_id for h in hits} == {1}
    assert kb.search("oil", SearchScope(org_id=3)) == []
    assert kb.chunk_counts(1) == {1: 4}
    assert kb.document_passages(1, 2) == []


def test_vessel_filter_includes_org_wide_passages(kb: KnowledgeBase) -> None:
    kb.index_document(manual(document_id=1, vessel_id=None, title="Fleet manual"))
    kb.index_document(manual(document_id=2, vessel_id=5, title="Vessel 5 manual"))
    kb.index_document(manual(document_id=3, vessel_id=6, title="Vessel 6 manual"))
    hits = kb.search("oil filter", SearchScope(org_id=1, vessel_id=5), limit=20)
    assert {h.passage.document_id for h in hits} == {1, 2}
    hits = kb.search("oil filter", SearchScope(org_id=1), limit=20)
    assert {h.passage.document_id for h in hits} == {1, 2, 3}


def test_equipment_kind_and_tag_filters(kb: KnowledgeBase) -> None:
    kb.index_document(manual(document_id=1, codes=("ME", "ME.FUEL"), tags=("engine",)))
    kb.index_document(manual(document_id=2, codes=("GEN1",), tags=("electrical",)))
    by_code = kb.search("oil", SearchScope(org_id=1, equipment_codes=("ME.FUEL",)), limit=20)
    assert {h.passage.document_id for h in by_code} == {1}
    by_tag = kb.search("oil", SearchScope(org_id=1, tags=("electrical",)), limit=20)
    assert {h.passage.document_id for h in by_tag} == {2}
    assert kb.search("oil", SearchScope(org_id=1, kinds=("procedure",))) == []
    assert kb.search("oil", SearchScope(org_id=1, equipment_codes=())) == []
    assert len(kb.search("oil", SearchScope(org_id=1, kinds=("manual",)), limit=20)) == 8


def test_disabled_documents_never_appear(kb: KnowledgeBase) -> None:
    kb.index_document(manual(document_id=1))
    kb.index_document(manual(document_id=2, title="Spare manual"))
    assert kb.set_enabled(1, 1, False) == 4
    for query in ["oil filter", "turbocharger", "Main engine operating manual"]:
        assert {
            h.passage.document_id for h in kb.search(query, SearchScope(org_id=1), limit=20)
        } == {2}
    # re-indexing keeps a disabled document disabled
    kb.index_document(manual(document_id=1, version=2))
    assert {h.passage.document_id for h in kb.search("oil", SearchScope(org_id=1), limit=20)} == {2}
    kb.set_enabled(1, 1, True)
    assert {h.passage.document_id for h in kb.search("oil", SearchScope(org_id=1), limit=20)} == {
        1,
        2,
    }


def test_reindex_unchanged_does_no_embedding(
    kb_and_counter: tuple[KnowledgeBase, CountingEmbedder],
) -> None:
    kb, counter = kb_and_counter
    first = kb.index_document(manual())
    assert first.embedded == 4 and not first.unchanged
    assert counter.embedded == 4 + 4  # each passage, and each of the 4 distinct headings
    again = kb.index_document(manual())
    assert again.unchanged and again.embedded == 0
    assert counter.embedded == 8
    # a new version with one changed passage embeds only that passage (and its heading)
    texts = list(MANUAL)
    texts[1] = ("Lubrication", 7, "Lube oil filter: replace every 750 running hours.")
    report = kb.index_document(manual(version=2, texts=texts))
    assert (report.embedded, report.reused) == (1, 3)
    assert counter.embedded == 8 + 2
    assert kb.count_chunks(1, 10) == 4
    assert {p.document_version for p in kb.document_passages(1, 10)} == {2}
    assert "750" in kb.search("oil filter", SearchScope(org_id=1), limit=1)[0].passage.text


def _stored_vectors(kb: KnowledgeBase, document_id: int = 10) -> dict[str, np.ndarray]:
    flt = PayloadFilter(must=(MatchAny("document_id", (document_id,)),))
    return {
        str(s.payload["passage_id"]): np.asarray(s.dense, dtype=np.float32)
        for s in kb.index.scroll(flt, with_dense=True)
    }


def test_passage_vector_blends_its_heading_vector(
    kb_and_counter: tuple[KnowledgeBase, CountingEmbedder],
) -> None:
    kb, counter = kb_and_counter
    passages = manual()
    kb.index_document(passages)
    stored = _stored_vectors(kb)
    inner = counter.inner
    for p in passages:
        text_vec = inner.embed_documents([embedding_text(p)])
        head_vec = inner.embed_documents([heading_text(p)])
        want = blend_heading(text_vec, head_vec, SearchTuning().heading_weight)[0]
        assert np.allclose(stored[p.id], want, atol=1e-4)
        assert float(stored[p.id] @ text_vec[0]) < 0.999  # the heading really moved it
        assert abs(float(np.linalg.norm(stored[p.id])) - 1.0) < 1e-4
    assert heading_text(passages[0]) == "Main engine operating manual\nFuel system"


def test_heading_is_embedded_once_per_distinct_heading(
    kb_and_counter: tuple[KnowledgeBase, CountingEmbedder],
) -> None:
    kb, counter = kb_and_counter
    same_section = [("Fuel system", 3, text) for _, _, text in MANUAL]
    report = kb.index_document(manual(texts=same_section))
    assert report.embedded == 4
    assert counter.embedded == 4 + 1


def test_heading_weight_zero_stores_the_text_embedding(
    embedder: SentenceTransformerEmbedder,
) -> None:
    emb = embedder
    tuning = SearchTuning(heading_weight=0.0)
    kb = KnowledgeBase(
        QdrantClientIndex(QdrantClient(location=":memory:"), "kb"), emb, tuning=tuning
    )
    try:
        passages = manual()
        kb.index_document(passages)
        stored = _stored_vectors(kb)
        for p in passages:
            assert np.allclose(stored[p.id], emb.embed_documents([embedding_text(p)])[0], atol=1e-4)
    finally:
        kb.close()


def test_a_new_vector_recipe_reembeds_an_unchanged_document(
    embedder: SentenceTransformerEmbedder,
) -> None:
    emb = CountingEmbedder(embedder)
    index = QdrantClientIndex(QdrantClient(location=":memory:"), "kb")
    old = KnowledgeBase(index, emb, tuning=SearchTuning(heading_weight=0.0))
    assert old.index_document(manual()).embedded == 4
    assert old.index_document(manual()).unchanged
    new = KnowledgeBase(index, emb, tuning=SearchTuning(heading_weight=0.5))
    report = new.index_document(manual())
    assert not report.unchanged and (report.embedded, report.reused) == (4, 0)
    assert new.index_document(manual()).unchanged
    new.close()


@pytest.mark.parametrize("pair_weight", [0.0, 0.15])
def test_keyword_search_prefers_the_asked_phrase_with_term_pairs(
    embedder: SentenceTransformerEmbedder, pair_weight: float
) -> None:
    same_words = [
        ("Display", 2, "Auto power saving dims the screen."),
        ("Display", 2, "Power saving dims the auto screen."),
    ]
    kb = KnowledgeBase(
        QdrantClientIndex(QdrantClient(location=":memory:"), "kb"),
        embedder,
        tuning=SearchTuning(pair_weight=pair_weight),
    )
    try:
        kb.index_document(manual(texts=[*MANUAL, *same_words]))
        hits = kb.search("auto power", SearchScope(org_id=1), limit=10)
        sparse = {h.passage.text: h.signals.get("sparse", 0.0) for h in hits}
        phrase, apart = sparse[same_words[0][2]], sparse[same_words[1][2]]
        assert apart > 0
        if pair_weight:
            assert phrase > apart
        else:
            assert phrase == pytest.approx(apart)
    finally:
        kb.close()


def test_switching_term_pairs_on_rewrites_keywords_without_embedding(
    embedder: SentenceTransformerEmbedder,
) -> None:
    emb = CountingEmbedder(embedder)
    index = QdrantClientIndex(QdrantClient(location=":memory:"), "kb")
    old = KnowledgeBase(index, emb, tuning=SearchTuning(pair_weight=0.0))
    assert old.index_document(manual()).embedded == 4
    new = KnowledgeBase(index, emb, tuning=SearchTuning(pair_weight=0.15))
    report = new.index_document(manual())
    assert not report.unchanged and (report.embedded, report.reused) == (0, 4)
    assert new.index_document(manual()).unchanged
    assert new.search("fuel injection pump", SearchScope(org_id=1))[0].citation.page == 3
    new.close()


def test_new_version_replaces_old_and_delete_removes(kb: KnowledgeBase) -> None:
    kb.index_document(manual())
    shorter = [("Only section", 1, "Everything was rewritten: the oil filter is now magnetic.")]
    kb.index_document(manual(version=2, texts=shorter))
    assert kb.count_chunks(1, 10) == 1
    hits = kb.search("oil filter", SearchScope(org_id=1), limit=10)
    assert [h.passage.document_version for h in hits] == [2]
    assert kb.delete_document(1, 10) == 1
    assert kb.count_chunks(1, 10) == 0
    assert kb.search("oil filter", SearchScope(org_id=1)) == []


def test_passages_of_one_call_must_share_the_document(kb: KnowledgeBase) -> None:
    mixed = manual(document_id=1)[:2] + manual(document_id=2)[:2]
    with pytest.raises(KnowledgeError):
        kb.index_document(mixed)
    with pytest.raises(KnowledgeError):
        kb.index_document([])


def test_pinned_answer_comes_first_for_matching_question(kb: KnowledgeBase) -> None:
    kb.index_document(manual())
    pin = kb.pin_answer(1, "How often do we change the lube oil filter?", "Every 500 h; see WO 12.")
    hits = kb.search("how often do we change the lube oil filter", SearchScope(org_id=1))
    assert hits[0].passage.kind == "curated"
    assert hits[0].passage.text == "Every 500 h; see WO 12."
    assert hits[0].citation.url == f"/v1/knowledge/pins/{pin.id}"
    assert hits[1].passage.section == "Lubrication"
    # an unrelated question does not get the pin, nor does another organization
    assert kb.search("turbocharger wash", SearchScope(org_id=1))[0].passage.kind == "manual"
    assert kb.search("how often do we change the lube oil filter", SearchScope(org_id=2)) == []
    assert [p.id for p in kb.list_pins(1)] == [pin.id]
    assert kb.unpin(1, pin.id)
    assert (
        kb.search("how often do we change the lube oil filter", SearchScope(org_id=1))[
            0
        ].passage.kind
        == "manual"
    )


def test_replacement_is_atomic_for_concurrent_searchers(kb: KnowledgeBase) -> None:
    kb.index_document(manual(version=1))
    stop = threading.Event()
    seen: list[set[int]] = []
    errors: list[BaseException] = []

    def searcher() -> None:
        try:
            while not stop.is_set():
                hits = kb.search("engine", SearchScope(org_id=1), limit=50, include_pinned=False)
                seen.append({h.passage.document_version for h in hits})
                if len(hits) != 4:
                    seen.append({-len(hits)})
        except BaseException as err:
            errors.append(err)

    thread = threading.Thread(target=searcher)
    thread.start()
    try:
        for version in range(2, 7):
            texts = [(s, p, f"{t} Revision {version}.") for s, p, t in MANUAL]
            kb.index_document(manual(version=version, texts=texts))
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert len(seen) > 5
    bad = [v for v in seen if len(v) != 1 or min(v) <= 0]
    assert not bad, bad
    assert kb.count_chunks(1, 10) == 4


def test_interrupted_write_is_rolled_back_on_open(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    kb = KnowledgeBase(EdgeVectorIndex(tmp_path / "edge"), embedder, journal_dir=tmp_path)
    kb.index_document(manual(version=1))

    class Crash(Exception):
        pass

    def crash(*args: object, **kwargs: object) -> None:
        raise Crash

    # simulate dying after the new version's points were written, before the swap
    original = kb._gate.change
    calls = {"n": 0}

    def change(**kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash
        return original(**kwargs)  # type: ignore[arg-type]

    kb._gate.change = change  # type: ignore[method-assign]
    with pytest.raises(Crash):
        kb.index_document(manual(version=2, texts=[("New", 1, "new text")]))
    assert kb.count_chunks(1, 10) == 5  # both generations on disk, journal says "swapped"
    kb.close()
    reopened = KnowledgeBase(EdgeVectorIndex(tmp_path / "edge"), embedder, journal_dir=tmp_path)
    assert [p.text for p in reopened.document_passages(1, 10)] == ["new text"]
    assert not (tmp_path / "knowledge-journal.json").exists()
    reopened.close()
