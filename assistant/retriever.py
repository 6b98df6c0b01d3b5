"""What the assistant needs from the knowledge base, and two small implementations."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from assistant.text import content_tokens
from knowledge import Citation, Hit, Passage, SearchScope


@runtime_checkable
class Retriever(Protocol):
    """Search the knowledge base within a scope; best hits first."""

    def search(self, query: str, scope: SearchScope, *, limit: int = 5) -> list[Hit]:
        """Return at most ``limit`` hits for the query inside the scope."""
        ...


_IDENTIFIER = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])\w+(?:[-_/]\w+)+(?![\w-])")
"""A part number or tag ("CAT-1R-1808", "ME1_LO_P"): a passage that holds it verbatim is
about it, however far its words are in meaning."""


def relevance(hit: Hit, query: str = "", *, strict: bool = False) -> float:
    """How close a hit is to the question in meaning: its dense similarity where measured.

    A hybrid search's fused score ranks but does not measure (an off-topic question still
    gets a best hit); the embedding's cosine similarity does. A hit only the keywords found
    stands on its fused score (its words met the question's), or, ``strict`` (is anything in
    the library about this at all?), on the dense list's last similarity (``dense_bound``),
    which it is no closer than. Hits of a keyword-only retriever carry no dense signal, and
    their own score stands. A passage holding a part number or tag the question names
    (``query``) is relevant whatever its similarity.
    """
    if "dense" in hit.signals:
        value = hit.signals["dense"]
    elif strict and "dense_bound" in hit.signals:
        value = hit.signals["dense_bound"]
    else:
        value = hit.score
    text = hit.passage.text.lower()
    if any(m.group(0).lower() in text for m in _IDENTIFIER.finditer(query)):
        return max(value, IDENTIFIER_RELEVANCE)
    return value


IDENTIFIER_RELEVANCE = 0.5
"""The relevance of a passage naming an identifier the question names."""


class EmptyRetriever:
    """A knowledge base with nothing in it (the turn evaluation's store holds the register only)."""

    def search(self, query: str, scope: SearchScope, *, limit: int = 5) -> list[Hit]:
        """Return no hits."""
        return []


def _in_scope(p: Passage, scope: SearchScope) -> bool:
    if p.org_id != scope.org_id:
        return False
    if scope.vessel_id is not None and p.vessel_id not in (None, scope.vessel_id):
        return False
    if scope.kinds is not None and p.kind not in scope.kinds:
        return False
    if scope.tags is not None and not set(scope.tags) & set(p.tags):
        return False
    return scope.equipment_codes is None or bool(
        set(scope.equipment_codes) & set(p.equipment_codes)
    )


class InMemoryRetriever:
    """BM25 over a handful of passages held in memory (tests, demos, small installations)."""

    def __init__(self, passages: Iterable[Passage], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.passages = list(passages)
        self._docs = [
            Counter(content_tokens(f"{p.title} {p.section or ''} {p.text}")) for p in self.passages
        ]
        self._lens = [sum(d.values()) for d in self._docs]
        self._avg = (sum(self._lens) / len(self._lens)) if self._lens else 1.0
        df: Counter[str] = Counter()
        for d in self._docs:
            df.update(d.keys())
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def search(self, query: str, scope: SearchScope, *, limit: int = 5) -> list[Hit]:
        """Return the best-scoring passages in scope; passages sharing no term are left out."""
        terms = set(content_tokens(query))
        scored: list[tuple[float, int]] = []
        for i, p in enumerate(self.passages):
            if not _in_scope(p, scope):
                continue
            doc, length = self._docs[i], self._lens[i]
            score = 0.0
            for t in terms:
                f = doc.get(t, 0)
                if f:
                    norm = (
                        f
                        * (self.k1 + 1)
                        / (f + self.k1 * (1 - self.b + self.b * length / self._avg))
                    )
                    score += self._idf.get(t, 0.0) * norm
            if score > 0:
                scored.append((score, i))
        scored.sort(reverse=True)
        return [self._hit(self.passages[i], s) for s, i in scored[:limit]]

    @staticmethod
    def _hit(p: Passage, score: float) -> Hit:
        page = f"#page={p.page}" if p.page else ""
        citation = Citation(
            document_id=p.document_id,
            title=p.title,
            page=p.page,
            section=p.section,
            url=f"/v1/documents/{p.document_id}/file{page}",
        )
        return Hit(passage=p, score=score, citation=citation, signals={"bm25": score})
