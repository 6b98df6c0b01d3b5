"""BM25 sparse vectors (Qdrant's tokenizer, English stopwords and stemmer; IDF in the index).

Besides single terms, each pair of neighbouring terms (after stopwords are dropped) is a term
of its own, so that a passage naming a menu item or part ("Auto Power Off", "fuel injection
pump") outscores one that merely contains the same words apart.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

import qdrant_edge as qe

from knowledge.index import SparseVector

_WORD_RE = re.compile(r"\w+")
_GLUED_UNIT = re.compile(
    r"\b(\d+(?:[.,]\d+)?)(h|hrs?|bar|rpm|kw|kva|nm|v|hz|khz|mhz|ghz|mm|cm|m|kg|ltrs?|l|psi|a)\b",
    re.IGNORECASE,
)
"""A number written against its unit ("500h", "24V", "90Nm"), as crews type them."""


def unglued(text: str) -> str:
    """Return ``text`` with each number-and-unit token also written apart ("500h 500 h").

    Manuals mostly write "500 h"; a query keeps its own spelling and gains the other, so
    either way of writing it matches.
    """
    return _GLUED_UNIT.sub(lambda m: f"{m.group(0)} {m.group(1)} {m.group(2)}", text)


def pair_index(first: int, second: int) -> int:
    """Return the sparse index of the term pair (first, second): a 32-bit hash of both ids."""
    digest = hashlib.blake2b(f"{first}:{second}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little")


class Bm25Encoder:
    """Encode passages as BM25 term-frequency vectors and queries as term sets.

    ``pair_weight`` is the query weight of neighbouring-term pairs (0 leaves them out of
    both documents and queries).
    """

    def __init__(
        self,
        *,
        k: float = 1.2,
        b: float = 0.75,
        avg_len: float = 120.0,
        pair_weight: float = 0.0,
    ) -> None:
        self._model = qe.Bm25(qe.Bm25Config(k=k, b=b, avg_len=avg_len, language="english"))
        self._k, self._b, self._avg_len = k, b, avg_len
        self._pair_weight = pair_weight
        self._term = lru_cache(maxsize=65536)(self._term_uncached)

    def _term_uncached(self, word: str) -> tuple[int, ...]:
        """Return the indices of a word's stemmed terms (none for a stopword)."""
        return tuple(int(i) for i in self._model.embed_query(word).indices)

    def terms(self, text: str) -> list[int]:
        """Return the text's term indices in order (stopwords dropped)."""
        out: list[int] = []
        for word in _WORD_RE.findall(text.lower()):
            out.extend(self._term(word))
        return out

    def pairs(self, text: str) -> list[int]:
        """Return the indices of the text's neighbouring-term pairs, in order."""
        return self._pairs(self.terms(text))

    @staticmethod
    def _pairs(terms: list[int]) -> list[int]:
        return [pair_index(a, b) for a, b in pairwise(terms) if a != b]

    def encode_document(self, text: str) -> SparseVector:
        """Return the BM25 document vector of a passage (terms, then term pairs)."""
        v = self._model.embed_document(text)
        weights = dict(zip((int(i) for i in v.indices), (float(x) for x in v.values), strict=True))
        if self._pair_weight > 0:
            terms = self.terms(text)
            counts = Counter(self._pairs(terms))
            norm = self._k * (1 - self._b + self._b * len(terms) / self._avg_len)
            for key, tf in counts.items():
                if key not in weights:
                    weights[key] = tf * (self._k + 1) / (tf + norm)
        return SparseVector(tuple(weights), tuple(weights.values()))

    def encode_query(
        self, text: str, extra: Sequence[str] = (), extra_weight: float = 0.5
    ) -> SparseVector:
        """Return the BM25 query vector: each distinct term weighted 1, each pair pair_weight.

        ``extra`` phrases (a glossary's expansions) add their terms and pairs at
        ``extra_weight`` times those weights; a term the query already has keeps its own.
        """
        text = unglued(text)
        v = self._model.embed_query(text)
        weights = dict(zip((int(i) for i in v.indices), (float(x) for x in v.values), strict=True))
        if self._pair_weight > 0:
            for key in self.pairs(text):
                weights.setdefault(key, self._pair_weight)
        for phrase in extra:
            terms = self.terms(phrase)
            for term in terms:
                weights.setdefault(term, extra_weight)
            if self._pair_weight > 0:
                for key in self._pairs(terms):
                    weights.setdefault(key, self._pair_weight * extra_weight)
        return SparseVector(tuple(weights), tuple(weights.values()))
