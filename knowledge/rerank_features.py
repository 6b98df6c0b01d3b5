"""Features of the learned reranker: corpus-independent signals of each fused candidate.

Every feature is relative to the query and its candidate list (scores divided by the
list's best, ranks, fractions of query terms), so a model learned on one collection of
manuals applies to another. Features that need something a passage lacks (a section
heading, a number in the query, tags) are NaN, which the trees treat as "missing".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from knowledge.fusion import Fused

FEATURES: tuple[str, ...] = (
    "fused_rank",
    "fused_norm",
    "dense",
    "dense_gap",
    "dense_rank",
    "sparse_norm",
    "sparse_rank",
    "coverage",
    "coverage_idf",
    "expansion_coverage",
    "pair_coverage",
    "title_coverage",
    "section_coverage",
    "leaf_coverage",
    "has_section",
    "number_match",
    "tag_match",
    "table_row",
    "neighbour",
    "doc_support",
    "heading_support",
    "log_length",
    "query_terms",
)
"""The feature columns, in the order a model file must list them."""

NAN = float("nan")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
_WORD_RE = re.compile(r"\w+")

Terms = Callable[[str], list[int]]


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """What the features need of a query: its stemmed terms, pairs, expansions, numbers."""

    terms: tuple[int, ...]
    pairs: frozenset[tuple[int, int]]
    expansion: tuple[int, ...]
    numbers: tuple[str, ...]
    words: frozenset[str]

    @classmethod
    def of(cls, query: str, expansions: Sequence[str], terms: Terms) -> QueryTerms:
        """Analyse a query with the keyword side's tokenizer (``terms``)."""
        own = terms(query)
        distinct = tuple(dict.fromkeys(own))
        extra = [t for phrase in expansions for t in terms(phrase) if t not in distinct]
        return cls(
            terms=distinct,
            pairs=frozenset((a, b) for a, b in pairwise(own) if a != b),
            expansion=tuple(dict.fromkeys(extra)),
            numbers=tuple(dict.fromkeys(_NUMBER_RE.findall(query))),
            words=frozenset(w.casefold() for w in _WORD_RE.findall(query)),
        )


def _fraction(
    wanted: Sequence[int], have: set[int], weights: Sequence[float] | None = None
) -> float:
    if not wanted:
        return NAN
    if weights is None:
        return sum(t in have for t in wanted) / len(wanted)
    total = sum(weights)
    return sum(w for t, w in zip(wanted, weights, strict=True) if t in have) / total


def candidate_features(q: QueryTerms, head: Sequence[Fused], terms: Terms) -> np.ndarray:
    """Return one row of FEATURES per candidate (``head`` in fused order, best first)."""
    n = len(head)
    out = np.full((n, len(FEATURES)), NAN, dtype=np.float32)
    if n == 0:
        return out
    col = {name: i for i, name in enumerate(FEATURES)}
    payloads: list[dict[str, Any]] = [f.point.payload for f in head]
    text_terms = [terms(str(p.get("text") or "")) for p in payloads]
    text_sets = [set(t) for t in text_terms]
    # Document frequency of each query term among the candidates: a local IDF.
    df = {t: sum(t in s for s in text_sets) for t in q.terms}
    idf = [math.log(1 + n / (1 + df[t])) for t in q.terms]
    top_fused = max(f.score for f in head) or 1.0
    dense_scores = [f.signals.get("dense") for f in head]
    top_dense = max((d for d in dense_scores if d is not None), default=None)
    top_sparse = max((f.signals.get("sparse", 0.0) for f in head), default=0.0) or 1.0
    keys = [(p.get("document_id"), p.get("ordinal")) for p in payloads]
    fused_norm = [f.score / top_fused for f in head]
    by_key = {k: v for k, v in zip(keys, fused_norm, strict=True)}
    docs = [p.get("document_id") for p in payloads]
    headings = [(p.get("document_id"), p.get("section")) for p in payloads]
    for i, (f, p) in enumerate(zip(head, payloads, strict=True)):
        row = out[i]
        row[col["fused_rank"]] = i + 1
        row[col["fused_norm"]] = fused_norm[i]
        d = dense_scores[i]
        if d is not None and top_dense is not None:
            row[col["dense"]] = d
            row[col["dense_gap"]] = top_dense - d
        row[col["dense_rank"]] = f.signals.get("dense_rank", NAN)
        row[col["sparse_norm"]] = f.signals.get("sparse", 0.0) / top_sparse
        row[col["sparse_rank"]] = f.signals.get("sparse_rank", NAN)
        have = text_sets[i]
        row[col["coverage"]] = _fraction(q.terms, have)
        row[col["coverage_idf"]] = _fraction(q.terms, have, idf)
        row[col["expansion_coverage"]] = _fraction(q.expansion, have)
        own_pairs = set(pairwise(text_terms[i]))
        row[col["pair_coverage"]] = (
            sum(pr in own_pairs for pr in q.pairs) / len(q.pairs) if q.pairs else NAN
        )
        title = set(terms(str(p.get("title") or "")))
        row[col["title_coverage"]] = _fraction(q.terms, title)
        section = str(p.get("section") or "").strip()
        row[col["has_section"]] = 1.0 if section else 0.0
        if section:
            row[col["section_coverage"]] = _fraction(q.terms, set(terms(section)))
            leaf = section.split(" > ")[-1]
            row[col["leaf_coverage"]] = _fraction(q.terms, set(terms(leaf)))
        if q.numbers:
            text = str(p.get("text") or "")
            found = set(_NUMBER_RE.findall(text))
            row[col["number_match"]] = sum(x in found for x in q.numbers) / len(q.numbers)
        labels = [*(p.get("tags") or ()), *(p.get("equipment_codes") or ())]
        if labels:
            words = {w.casefold() for lab in labels for w in _WORD_RE.findall(str(lab))}
            row[col["tag_match"]] = len(words & q.words) / max(1, len(q.words))
        row[col["table_row"]] = 1.0 if p.get("table_row") else 0.0
        doc, ordinal = keys[i]
        if isinstance(ordinal, int):
            row[col["neighbour"]] = max(
                by_key.get((doc, ordinal - 1), 0.0), by_key.get((doc, ordinal + 1), 0.0)
            )
        row[col["doc_support"]] = sum(x == docs[i] for x in docs) / n
        row[col["heading_support"]] = sum(x == headings[i] for x in headings) / n
        row[col["log_length"]] = math.log1p(len(text_terms[i]))
        row[col["query_terms"]] = len(q.terms)
    return out
