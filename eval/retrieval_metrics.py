"""Ranking metrics and BEIR loading for the retrieval evaluation."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class BeirSet:
    name: str
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path, split: str = "test") -> BeirSet:
    corpus: dict[str, tuple[str, str]] = {}
    with (folder / "corpus.jsonl").open() as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                corpus[str(d["_id"])] = (str(d.get("title") or ""), str(d.get("text") or ""))
    queries: dict[str, str] = {}
    with (folder / "queries.jsonl").open() as fh:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                queries[str(q["_id"])] = str(q["text"])
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / f"{split}.tsv").open() as fh:
        reader = csv.reader(fh, delimiter="\t")
        for row in reader:
            if not row or row[0] == "query-id":
                continue
            qid, did, score = row[0], row[1], int(float(row[2]))
            if score > 0:
                qrels.setdefault(qid, {})[did] = score
    queries = {q: t for q, t in queries.items() if q in qrels}
    return BeirSet(folder.name, corpus, queries, qrels)


def load_cases_set(folder: Path, cases: Path) -> BeirSet:
    """Load a corpus.jsonl (ids as ``_id`` or ``id``; title, else the ``source`` file's stem)
    with questions from a JSONL file of ``{"id", "question", "relevant": [corpus ids]}``."""
    corpus: dict[str, tuple[str, str]] = {}
    with (folder / "corpus.jsonl").open() as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                title = d.get("title") or Path(str(d.get("source") or "")).stem
                corpus[str(d.get("_id", d.get("id")))] = (str(title), str(d.get("text") or ""))
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for line in cases.read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            queries[str(case["id"])] = str(case["question"])
            qrels[str(case["id"])] = {str(d): 1 for d in case["relevant"]}
    return BeirSet(f"{folder.name}:{cases.stem}", corpus, queries, qrels)


def ndcg_at_k(ranked: Sequence[str], rels: Mapping[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rels.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked: Sequence[str], rels: Mapping[str, int], k: int = 10) -> float:
    return len(set(ranked[:k]) & set(rels)) / len(rels) if rels else 0.0


def mrr_at_k(ranked: Sequence[str], rels: Mapping[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if rels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def summarize(
    runs: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    latencies_ms: Sequence[float],
) -> dict[str, float]:
    qids = list(qrels)
    lat = np.asarray(latencies_ms, dtype=float)
    return {
        "ndcg@10": round(float(np.mean([ndcg_at_k(runs.get(q, []), qrels[q]) for q in qids])), 4),
        "recall@10": round(
            float(np.mean([recall_at_k(runs.get(q, []), qrels[q]) for q in qids])), 4
        ),
        "mrr@10": round(float(np.mean([mrr_at_k(runs.get(q, []), qrels[q]) for q in qids])), 4),
        "p50_ms": round(float(np.percentile(lat, 50)), 2) if lat.size else 0.0,
        "p95_ms": round(float(np.percentile(lat, 95)), 2) if lat.size else 0.0,
    }
