"""The knowledge base: index document passages, search them hybrid and scoped, pin answers."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.embedder import Embedder, FloatArray
from knowledge.errors import KnowledgeError
from knowledge.fusion import Fused, FusionWeights, fuse
from knowledge.glossary import Expansion, Glossary
from knowledge.index import (
    DENSE,
    SPARSE,
    FileBackedIndex,
    IndexPoint,
    MatchAny,
    PayloadFilter,
    ScoredPoint,
    SparseVector,
    StoredPoint,
    VectorIndex,
    VectorQuery,
)
from knowledge.rerank import LearnedReranker, Reranker, rerank_order
from knowledge.rerank_features import QueryTerms, candidate_features
from knowledge.sparse import Bm25Encoder
from knowledge.types import Citation, DocumentKind, Hit, Passage, SearchScope
from knowledge.visibility import VisibilityGate

_NS = uuid.UUID("6f1c6b2e-3c55-4d7e-9a51-8a4b0e1f3b7d")
PASSAGE = "passage"
PIN = "pin"
ENABLED = "enabled"
DISABLED = "disabled"


def _status(enabled: bool) -> str:
    return ENABLED if enabled else DISABLED


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What index_document did."""

    document_id: int
    chunks: int
    embedded: int
    """Passages whose text had to be embedded (0 when nothing changed)."""
    reused: int
    """Passages whose vector was reused from the previous version (same text)."""
    unchanged: bool
    """True when the same passages were already indexed: nothing was written."""


@dataclass(slots=True)
class _Plan:
    """What indexing one document needs: which passages to embed, which vectors to reuse."""

    passages: Sequence[Passage]
    org_id: int
    document_id: int
    doc_hash: str
    old_keys: list[str]
    current_enabled: bool
    want_enabled: bool
    texts: list[str]
    vectors: FloatArray
    todo: list[int] = field(default_factory=list)
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class PinnedAnswer:
    """A curated answer pinned to a question for an organization."""

    id: str
    org_id: int
    question: str
    answer: str
    vessel_id: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchTuning:
    """How many candidates each signal contributes and how they are fused."""

    candidates: int = 50
    fusion: FusionWeights = field(default_factory=FusionWeights)
    rerank_candidates: int = 30
    """How many of the fused candidates a reranker reorders (the rest keep their order)."""
    title_weight: int = 3
    """How many times title and section are repeated in the keyword text (field weighting)."""
    bm25_k: float = 1.2
    bm25_b: float = 0.75
    heading_weight: float = 0.5
    """Weight of the heading's own vector (title and section) blended into each passage's
    vector; 0 embeds the passage text alone. Questions often paraphrase a heading, which a
    long passage's vector blurs (emanual-tv-dev, dense alone: nDCG@10 0.61 -> 0.69)."""
    pair_weight: float = 0.15
    """Query weight of neighbouring-term pairs in the keyword search (each term weighs 1);
    0 indexes single terms only. A pair is rare, so its IDF is high: a small weight lets
    a passage naming the asked phrase ("Auto Power Off") win close calls without letting
    one pair outweigh the terms (emanual-tv-dev, Bosun nDCG@10: 0 0.883, 0.1 0.897,
    0.15 0.901, 0.2 0.895, 0.3 0.890, 1.0 0.862)."""

    glossary: bool = True
    """Expand queries with the crew vocabulary (shipped glossary, the organization's
    entries and register aliases passed in the scope); False searches the query as typed."""
    expansion_weight: float = 0.5
    """Keyword weight of a term the vocabulary adds (the query's own terms weigh 1)."""
    expansion_dense_weight: float = 0.8
    """Weight of the expanded query's vector ("LO (lube oil) press (pressure)") blended
    into the typed query's vector (weight 1)."""

    def vector_recipe(self) -> str:
        """Return what, besides the texts, decides the stored vectors and keyword vectors."""
        return f"heading={self.heading_weight:g};title_weight={self.title_weight}"

    def keyword_recipe(self) -> str:
        """Return what decides the keyword vectors alone ('' for single terms only).

        It is part of the document hash but not of the stored vectors' key, so switching
        term pairs on rewrites a document's keyword vectors at its next re-index without
        embedding it again.
        """
        return "pairs" if self.pair_weight > 0 else ""


def heading_text(p: Passage) -> str:
    """Return a passage's heading: document title, then its section when that differs."""
    head = [p.title]
    if p.section and p.section.strip() and p.section.strip() != p.title.strip():
        head.append(p.section)
    return "\n".join(head)


def embedding_text(p: Passage) -> str:
    """Return the text embedded for a passage: document title, section, then the text."""
    return f"{heading_text(p)}\n{p.text}"


def blend_heading(
    text_vectors: FloatArray, heading_vectors: FloatArray, weight: float
) -> FloatArray:
    """Return unit vectors along ``text + weight * heading`` (rows of unit vectors in, out)."""
    mixed = text_vectors + weight * heading_vectors
    norms = np.linalg.norm(mixed, axis=1, keepdims=True)
    return np.asarray(mixed / np.maximum(norms, 1e-12), dtype=np.float32)


def keyword_text(p: Passage, title_weight: int = 3) -> str:
    """Return the text indexed for keywords: title and section repeated (field weighting)."""
    head = f"{p.title} {p.section or ''} " * title_weight
    return f"{head}\n{p.text}"


def citation_url(document_id: int, page: int | None) -> str:
    """Return the link that opens a document at a page."""
    url = f"/v1/documents/{document_id}/file"
    return f"{url}#page={page}" if page else url


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _passage_fingerprint(p: Passage) -> str:
    """Hash everything that is stored for a passage, except its generation."""
    return _sha(
        json.dumps(
            [
                p.id,
                p.org_id,
                p.document_id,
                p.document_version,
                p.text,
                p.title,
                p.kind,
                p.section,
                p.page,
                p.vessel_id,
                list(p.equipment_codes),
                list(p.tags),
                p.ordinal,
            ]
            # New fields join only when set: fingerprints of older passages stay the same.
            + ([True] if p.table_row else [])
            + ([p.ocr_confidence] if p.ocr_confidence is not None else [])
        )
    )


def _vector_key(text: str, recipe: str) -> str:
    """Key under which a stored vector can be reused: the embedded text and the recipe."""
    return _sha(f"{recipe}\n{text}")


def _payload(
    p: Passage, *, doc_key: str, doc_hash: str, enabled: bool, recipe: str = ""
) -> dict[str, Any]:
    return {
        "rtype": PASSAGE,
        "org_id": p.org_id,
        "document_id": p.document_id,
        "document_version": p.document_version,
        "doc_key": doc_key,
        "doc_hash": doc_hash,
        "content_hash": _vector_key(embedding_text(p), recipe),
        "status": _status(enabled),
        "passage_id": p.id,
        "text": p.text,
        "title": p.title,
        "kind": p.kind,
        "section": p.section,
        "page": p.page,
        "vessel_id": p.vessel_id,
        "vessel_key": p.vessel_id or 0,
        "equipment_codes": list(p.equipment_codes),
        "tags": list(p.tags),
        "ordinal": p.ordinal,
        "table_row": p.table_row,
        "ocr_confidence": p.ocr_confidence,
    }


def passage_from_payload(payload: dict[str, Any]) -> Passage:
    """Rebuild a Passage from a stored payload."""
    return Passage(
        id=str(payload["passage_id"]),
        org_id=int(payload["org_id"]),
        document_id=int(payload["document_id"]),
        document_version=int(payload["document_version"]),
        text=str(payload["text"]),
        title=str(payload["title"]),
        kind=payload.get("kind", "manual"),
        section=payload.get("section"),
        page=payload.get("page"),
        vessel_id=payload.get("vessel_id"),
        equipment_codes=tuple(payload.get("equipment_codes") or ()),
        tags=tuple(payload.get("tags") or ()),
        ordinal=int(payload.get("ordinal", 0)),
        table_row=bool(payload.get("table_row", False)),
        ocr_confidence=payload.get("ocr_confidence"),
    )


def scope_filter(scope: SearchScope, hidden: frozenset[str]) -> PayloadFilter:
    """Build the payload filter of a search: organization always, then the optional scopes."""
    must: list[MatchAny] = [
        MatchAny("rtype", (PASSAGE,)),
        MatchAny("org_id", (scope.org_id,)),
        MatchAny("status", (ENABLED,)),
    ]
    if scope.vessel_id is not None:
        must.append(MatchAny("vessel_key", (scope.vessel_id, 0)))
    if scope.equipment_codes is not None:
        must.append(MatchAny("equipment_codes", tuple(scope.equipment_codes) or ("\x00none",)))
    if scope.kinds is not None:
        must.append(MatchAny("kind", tuple(scope.kinds) or ("\x00none",)))
    if scope.tags is not None:
        must.append(MatchAny("tags", tuple(scope.tags) or ("\x00none",)))
    must_not = (MatchAny("doc_key", tuple(sorted(hidden))),) if hidden else ()
    return PayloadFilter(must=tuple(must), must_not=must_not)


def _document_filter(org_id: int, document_id: int) -> PayloadFilter:
    return PayloadFilter(
        must=(
            MatchAny("rtype", (PASSAGE,)),
            MatchAny("org_id", (org_id,)),
            MatchAny("document_id", (document_id,)),
        )
    )


class KnowledgeBase:
    """Index passages and search them: dense + BM25, fused, scoped, optionally reranked.

    Writers are serialised by a lock; searches run concurrently with writes and always see
    exactly one version of each document (see knowledge.visibility). An interrupted write
    is rolled back or completed from a small journal file when the base is opened again.
    """

    def __init__(
        self,
        index: VectorIndex,
        embedder: Embedder,
        *,
        journal_dir: Path | None = None,
        reranker: Reranker | LearnedReranker | None = None,
        tuning: SearchTuning | None = None,
        pin_threshold: float = 0.85,
        glossary: Glossary | None = None,
    ) -> None:
        self._index = index
        self._embedder = embedder
        self._reranker = reranker
        self._tuning = tuning or SearchTuning()
        self._sparse = Bm25Encoder(
            k=self._tuning.bm25_k, b=self._tuning.bm25_b, pair_weight=self._tuning.pair_weight
        )
        self._pin_threshold = pin_threshold
        self._terms_cache = lru_cache(maxsize=8192)(self._terms_uncached)
        self._glossary = glossary if glossary is not None else Glossary.shipped()
        self._gate = VisibilityGate()
        # Re-entrant so that a paused base (writes_paused) can still copy its own index.
        self._write_lock = threading.RLock()
        self._journal = journal_dir / "knowledge-journal.json" if journal_dir else None
        self._recover()

    @property
    def embedder(self) -> Embedder:
        """Return the embedder (shared with callers that embed queries themselves)."""
        return self._embedder

    @property
    def index(self) -> VectorIndex:
        """Return the vector index."""
        return self._index

    # ---------------------------------------------------------------- journal
    def _write_journal(self, entry: dict[str, Any] | None) -> None:
        if self._journal is None:
            return
        if entry is None:
            self._journal.unlink(missing_ok=True)
            return
        self._journal.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._journal.with_suffix(".tmp")
        tmp.write_text(json.dumps(entry))
        tmp.replace(self._journal)

    def _recover(self) -> None:
        """Finish or undo a replacement interrupted by a crash."""
        if self._journal is None or not self._journal.exists():
            return
        entry = json.loads(self._journal.read_text())
        org_id, document_id = int(entry["org_id"]), int(entry["document_id"])
        base = _document_filter(org_id, document_id)
        doomed = [entry["new"]] if entry["phase"] == "writing" else list(entry["old"])
        if doomed:
            self._index.delete(PayloadFilter(must=(*base.must, MatchAny("doc_key", tuple(doomed)))))
        self._write_journal(None)

    # ---------------------------------------------------------------- writes
    def index_document(
        self, passages: Sequence[Passage], *, enabled: bool | None = None
    ) -> IndexReport:
        """Index a document's passages, replacing its previous version in one visible step.

        All passages must belong to one organization and document. Passages whose text was
        already embedded for this document reuse their vectors; when every passage is
        identical to what is indexed, nothing is written (``unchanged=True``). ``enabled``
        None keeps the document's current state (new documents are enabled).
        """
        return self.index_documents([passages], enabled=enabled)[0]

    def index_documents(
        self, documents: Sequence[Sequence[Passage]], *, enabled: bool | None = None
    ) -> list[IndexReport]:
        """Index several documents (each a list of passages), embedding them in one pass.

        Each document is replaced atomically on its own, as in index_document.
        """
        with self._write_lock:
            plans = [self._plan(passages, enabled) for passages in documents]
            todo = [(plan, i) for plan in plans if not plan.unchanged for i in plan.todo]
            if todo:
                vectors = self._embed_passages([plan.passages[i] for plan, i in todo])
                for row, (plan, i) in enumerate(todo):
                    plan.vectors[i] = vectors[row]
            return [self._apply(plan) for plan in plans]

    def _embed_passages(self, passages: Sequence[Passage]) -> FloatArray:
        """Embed passages, each blended with its heading's vector (each heading embedded once)."""
        vectors = self._embedder.embed_documents([embedding_text(p) for p in passages])
        weight = self._tuning.heading_weight
        if weight <= 0:
            return vectors
        headings = [heading_text(p) for p in passages]
        distinct = list(dict.fromkeys(headings))
        row = {h: n for n, h in enumerate(distinct)}
        heading_vectors = self._embedder.embed_documents(distinct)
        return blend_heading(vectors, heading_vectors[[row[h] for h in headings]], weight)

    def _plan(self, passages: Sequence[Passage], enabled: bool | None) -> _Plan:
        if not passages:
            raise KnowledgeError("index_document needs at least one passage; use delete_document")
        org_id, document_id = passages[0].org_id, passages[0].document_id
        for p in passages:
            if p.org_id != org_id or p.document_id != document_id:
                raise KnowledgeError(
                    "all passages of one index_document call must share org_id and document_id"
                )
        recipe = self._tuning.vector_recipe()
        doc_hash = _sha(
            recipe
            + self._tuning.keyword_recipe()
            + "".join(sorted(_passage_fingerprint(p) for p in passages))
        )
        existing = self._index.scroll(_document_filter(org_id, document_id), with_dense=True)
        old_keys = sorted({str(s.payload["doc_key"]) for s in existing})
        current_enabled = all(s.payload.get("status", ENABLED) == ENABLED for s in existing)
        plan = _Plan(
            passages=passages,
            org_id=org_id,
            document_id=document_id,
            doc_hash=doc_hash,
            old_keys=old_keys,
            current_enabled=current_enabled,
            want_enabled=current_enabled if enabled is None else enabled,
            texts=[embedding_text(p) for p in passages],
            vectors=np.zeros((len(passages), self._embedder.dimension), dtype=np.float32),
        )
        plan.unchanged = (
            len(old_keys) == 1
            and len(existing) == len(passages)
            and all(s.payload.get("doc_hash") == doc_hash for s in existing)
        )
        if plan.unchanged:
            return plan
        reusable = self._reusable_vectors(existing)
        for i, t in enumerate(plan.texts):
            known = reusable.get(_vector_key(t, recipe))
            if known is None:
                plan.todo.append(i)
            else:
                plan.vectors[i] = known
        return plan

    def _apply(self, plan: _Plan) -> IndexReport:
        n = len(plan.passages)
        if plan.unchanged:
            if plan.want_enabled != plan.current_enabled:
                self._set_enabled_locked(
                    plan.org_id, plan.document_id, plan.want_enabled, plan.old_keys
                )
            return IndexReport(plan.document_id, n, 0, 0, unchanged=True)
        version = plan.passages[0].document_version
        new_key = f"{plan.document_id}:{version}:{time.time_ns():x}"
        points = [
            IndexPoint(
                id=str(uuid.uuid5(_NS, f"{new_key}|{p.id}|{i}")),
                dense=plan.vectors[i],
                sparse=self._sparse.encode_document(keyword_text(p, self._tuning.title_weight)),
                payload=_payload(
                    p,
                    doc_key=new_key,
                    doc_hash=plan.doc_hash,
                    enabled=plan.want_enabled,
                    recipe=self._tuning.vector_recipe(),
                ),
            )
            for i, p in enumerate(plan.passages)
        ]
        self._replace(plan.org_id, plan.document_id, new_key, plan.old_keys, points)
        embedded = len(plan.todo)
        return IndexReport(plan.document_id, n, embedded, n - embedded, unchanged=False)

    def _reusable_vectors(self, existing: Sequence[StoredPoint]) -> dict[str, tuple[float, ...]]:
        out: dict[str, tuple[float, ...]] = {}
        for s in existing:
            h = s.payload.get("content_hash")
            if isinstance(h, str) and s.dense is not None:
                out[h] = s.dense
        return out

    def _replace(
        self,
        org_id: int,
        document_id: int,
        new_key: str,
        old_keys: Sequence[str],
        points: Sequence[IndexPoint],
    ) -> None:
        """Write the new generation hidden, swap visibility in one step, then drop the old."""
        journal = {"org_id": org_id, "document_id": document_id, "new": new_key, "old": old_keys}
        self._write_journal({**journal, "phase": "writing"})
        self._gate.change(hide=[new_key])
        try:
            self._index.upsert(points)
        except Exception:
            self._gate.change(show=[new_key])
            self._index.delete(
                PayloadFilter(
                    must=(
                        *_document_filter(org_id, document_id).must,
                        MatchAny("doc_key", (new_key,)),
                    )
                )
            )
            self._write_journal(None)
            raise
        self._write_journal({**journal, "phase": "swapped"})
        epoch = self._gate.change(hide=old_keys, show=[new_key])
        self._drop_hidden(org_id, document_id, old_keys, epoch)
        self._write_journal(None)

    def _drop_hidden(self, org_id: int, document_id: int, keys: Sequence[str], epoch: int) -> None:
        if not keys:
            return
        self._gate.wait_for_readers_before(epoch)
        self._index.delete(
            PayloadFilter(
                must=(*_document_filter(org_id, document_id).must, MatchAny("doc_key", tuple(keys)))
            )
        )
        self._gate.change(show=keys)

    def delete_document(self, org_id: int, document_id: int) -> int:
        """Remove every passage of a document at once; return how many were removed."""
        with self._write_lock:
            existing = self._index.scroll(_document_filter(org_id, document_id))
            keys = sorted({str(s.payload["doc_key"]) for s in existing})
            epoch = self._gate.change(hide=keys)
            self._drop_hidden(org_id, document_id, keys, epoch)
            return len(existing)

    def set_enabled(self, org_id: int, document_id: int, enabled: bool) -> int:
        """Enable or disable a document (disabled passages are never returned); return chunks."""
        with self._write_lock:
            existing = self._index.scroll(_document_filter(org_id, document_id))
            keys = sorted({str(s.payload["doc_key"]) for s in existing})
            self._set_enabled_locked(org_id, document_id, enabled, keys)
            return len(existing)

    def _set_enabled_locked(
        self, org_id: int, document_id: int, enabled: bool, keys: Sequence[str]
    ) -> None:
        # Hiding the document's generation around the payload update makes the change take
        # effect for all its passages at once (a disable waits for searches already running).
        epoch = self._gate.change(hide=keys)
        if not enabled:
            self._gate.wait_for_readers_before(epoch)
        self._index.set_payload(_document_filter(org_id, document_id), {"status": _status(enabled)})
        self._gate.change(show=keys)

    @contextmanager
    def writes_paused(self) -> Iterator[None]:
        """Hold every writer (index, delete, enable, pin) until the block ends; reads go on.

        A backup copies the index and the database inside one pause, so the two agree.
        """
        with self._write_lock:
            yield

    def copy_index_files(self, target: Path) -> int:
        """Copy a file-backed index into ``target`` with writes paused; return its points."""
        if not isinstance(self._index, FileBackedIndex):
            raise KnowledgeError(
                "the vector index is a Qdrant server: back it up with the server's snapshots"
            )
        with self._write_lock:
            return self._index.copy_files_to(target)

    def optimize(self) -> None:
        """Build the index's search structures after bulk indexing (blocking)."""
        self._index.optimize()

    # ---------------------------------------------------------------- reads
    def count_chunks(self, org_id: int, document_id: int) -> int:
        """Count the indexed passages of a document (enabled or not)."""
        return self._index.count(_document_filter(org_id, document_id))

    def chunk_counts(self, org_id: int) -> dict[int, int]:
        """Return the number of indexed passages per document of an organization."""
        counts: dict[int, int] = {}
        flt = PayloadFilter(must=(MatchAny("rtype", (PASSAGE,)), MatchAny("org_id", (org_id,))))
        for s in self._index.scroll(flt):
            doc = int(s.payload["document_id"])
            counts[doc] = counts.get(doc, 0) + 1
        return counts

    def document_passages(self, org_id: int, document_id: int) -> list[Passage]:
        """Return a document's indexed passages in document order."""
        stored = self._index.scroll(_document_filter(org_id, document_id))
        passages = [passage_from_payload(s.payload) for s in stored]
        return sorted(passages, key=lambda p: p.ordinal)

    def search(
        self,
        query: str,
        scope: SearchScope,
        *,
        limit: int = 5,
        include_pinned: bool = True,
    ) -> list[Hit]:
        """Return the passages that best answer the query within the scope, best first.

        A pinned answer whose question matches the query closely comes first.
        """
        if not isinstance(scope, SearchScope):
            raise KnowledgeError("search needs a SearchScope with the caller's org_id")
        dense, sparse, expansion = self._query_vectors(query, scope)
        n = max(self._tuning.candidates, limit)
        with self._gate.reading() as hidden:
            flt = scope_filter(scope, hidden)
            queries = [
                VectorQuery(DENSE, dense.tolist(), flt, n),
                VectorQuery(SPARSE, sparse, flt, n),
            ]
            if include_pinned:
                queries.append(VectorQuery(DENSE, dense.tolist(), _pin_filter(scope), 1))
            results = self._index.search(queries)
        fused = self._rerank(query, expansion, fuse(results[0], results[1], self._tuning.fusion))
        hits = [
            _hit(passage_from_payload(f.point.payload), f.score, f.signals) for f in fused[:limit]
        ]
        if len(results[0]) >= n:
            # A passage only the keywords found is no closer in meaning than the dense list's
            # last: say so, so that relevance is not read off its fused rank.
            for h in hits:
                if "dense" not in h.signals:
                    h.signals["dense_bound"] = results[0][-1].score
        if include_pinned and results[2] and results[2][0].score >= self._pin_threshold:
            hits = [_pin_hit(results[2][0]), *hits][:limit]
        return hits

    def candidate_features(
        self, query: str, scope: SearchScope, depth: int | None = None
    ) -> tuple[list[Fused], np.ndarray]:
        """Return the fused candidates of a query (no reranking) and their reranker features.

        What the learned reranker sees at search time; its training collects the same.
        """
        dense, sparse, expansion = self._query_vectors(query, scope)
        with self._gate.reading() as hidden:
            flt = scope_filter(scope, hidden)
            n = self._tuning.candidates
            results = self._index.search(
                [VectorQuery(DENSE, dense.tolist(), flt, n), VectorQuery(SPARSE, sparse, flt, n)]
            )
        fused = fuse(results[0], results[1], self._tuning.fusion)
        head = fused[: depth or self._tuning.rerank_candidates]
        return head, self._features(query, expansion, head)

    def _features(self, query: str, expansion: Expansion, head: Sequence[Fused]) -> np.ndarray:
        terms = self._text_terms
        return candidate_features(QueryTerms.of(query, expansion.phrases, terms), head, terms)

    def _terms_uncached(self, text: str) -> tuple[int, ...]:
        return tuple(self._sparse.terms(text))

    def _text_terms(self, text: str) -> list[int]:
        """Return a text's keyword terms, cached (candidates recur across queries)."""
        return list(self._terms_cache(text))

    def _rerank(self, query: str, expansion: Expansion, fused: list[Fused]) -> list[Fused]:
        """Reorder the first rerank_candidates fused candidates by the reranker, if any.

        The reordered candidates take the fused scores in order (best score to the new
        first), so scores stay on the fusion's scale and decrease down the list; the
        reranker's own score is in the ``rerank`` signal.
        """
        if self._reranker is None or not fused:
            return fused
        head = fused[: self._tuning.rerank_candidates]
        if isinstance(self._reranker, LearnedReranker):
            scores = self._reranker.blend(self._features(query, expansion, head))
        else:
            scores = self._reranker.score(query, [str(f.point.payload["text"]) for f in head])
        ladder = sorted((f.score for f in head), reverse=True)
        order = rerank_order(scores)
        for f, score in zip(head, scores, strict=True):
            f.signals["fused"] = f.score
            f.signals["rerank"] = score
        reranked = [head[i] for i in order]
        for f, score in zip(reranked, ladder, strict=True):
            f.score = score
        return reranked + fused[len(head) :]

    def expand(self, query: str, scope: SearchScope) -> Expansion:
        """Return what the crew vocabulary adds to a query within a scope (nothing when off)."""
        if not self._tuning.glossary:
            return Expansion(query, (), (), query)
        return self._glossary.with_vocabulary(scope.vocabulary).expand(query)

    def _query_vectors(
        self, query: str, scope: SearchScope
    ) -> tuple[FloatArray, SparseVector, Expansion]:
        """Return the dense and keyword vectors of a query, expanded by the vocabulary.

        The typed query leads on both sides: added keyword terms weigh expansion_weight,
        and the expanded text's vector is blended in at expansion_dense_weight.
        """
        dense = self._embedder.embed_query(query)
        expansion = self.expand(query, scope)
        if not expansion.expanded:
            return dense, self._sparse.encode_query(query), expansion
        sparse = self._sparse.encode_query(query, expansion.phrases, self._tuning.expansion_weight)
        extra = self._embedder.embed_query(expansion.inline)
        mixed = dense + self._tuning.expansion_dense_weight * extra
        norm = float(np.linalg.norm(mixed))
        return np.asarray(mixed / max(norm, 1e-12), dtype=np.float32), sparse, expansion

    # ---------------------------------------------------------------- pins
    def pin_answer(
        self,
        org_id: int,
        question: str,
        answer: str,
        *,
        vessel_id: int | None = None,
        tags: Sequence[str] = (),
        pin_id: str | None = None,
    ) -> PinnedAnswer:
        """Pin a curated answer to a question; it is returned first for matching queries."""
        pid = pin_id or str(uuid.uuid4())
        point_id = str(uuid.uuid5(_NS, f"pin|{org_id}|{pid}"))
        vector = self._embedder.embed_query(question)
        payload: dict[str, Any] = {
            "rtype": PIN,
            "org_id": org_id,
            "pin_id": pid,
            "question": question,
            "answer": answer,
            "vessel_id": vessel_id,
            "vessel_key": vessel_id or 0,
            "tags": list(tags),
            "status": ENABLED,
        }
        with self._write_lock:
            self._index.upsert(
                [
                    IndexPoint(
                        point_id,
                        vector.tolist(),
                        self._sparse.encode_document(question),
                        payload,
                    )
                ]
            )
        return PinnedAnswer(pid, org_id, question, answer, vessel_id, tuple(tags))

    def unpin(self, org_id: int, pin_id: str) -> bool:
        """Remove a pinned answer; return whether it existed."""
        flt = PayloadFilter(
            must=(
                MatchAny("rtype", (PIN,)),
                MatchAny("org_id", (org_id,)),
                MatchAny("pin_id", (pin_id,)),
            )
        )
        with self._write_lock:
            found = self._index.count(flt) > 0
            if found:
                self._index.delete(flt)
        return found

    def list_pins(self, org_id: int) -> list[PinnedAnswer]:
        """Return the organization's pinned answers."""
        flt = PayloadFilter(must=(MatchAny("rtype", (PIN,)), MatchAny("org_id", (org_id,))))
        return [
            PinnedAnswer(
                str(s.payload["pin_id"]),
                org_id,
                str(s.payload["question"]),
                str(s.payload["answer"]),
                s.payload.get("vessel_id"),
                tuple(s.payload.get("tags") or ()),
            )
            for s in self._index.scroll(flt)
        ]

    def close(self) -> None:
        """Close the index."""
        self._index.close()


def _pin_filter(scope: SearchScope) -> PayloadFilter:
    must = [MatchAny("rtype", (PIN,)), MatchAny("org_id", (scope.org_id,))]
    if scope.vessel_id is not None:
        must.append(MatchAny("vessel_key", (scope.vessel_id, 0)))
    return PayloadFilter(must=tuple(must))


def _hit(p: Passage, score: float, signals: dict[str, float]) -> Hit:
    return Hit(
        passage=p,
        score=score,
        citation=Citation(
            document_id=p.document_id,
            title=p.title,
            page=p.page,
            section=p.section,
            url=citation_url(p.document_id, p.page),
        ),
        signals=dict(signals),
    )


def _pin_hit(point: ScoredPoint) -> Hit:
    payload = point.payload
    kind: DocumentKind = "curated"
    pid = str(payload["pin_id"])
    passage = Passage(
        id=pid,
        org_id=int(payload["org_id"]),
        document_id=0,
        document_version=0,
        text=str(payload["answer"]),
        title=str(payload["question"]),
        kind=kind,
        vessel_id=payload.get("vessel_id"),
        tags=tuple(payload.get("tags") or ()),
    )
    citation = Citation(0, "Curated answer", None, None, f"/v1/knowledge/pins/{pid}")
    return Hit(passage, 1.0 + point.score, citation, {"pinned": point.score})
