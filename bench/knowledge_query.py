"""Query latency of the embedded store at 10k and 100k chunks, with and without filters.

    python -m bench.knowledge_query [--sizes 10000 100000] [--queries 60] [--no-recall]

Each scope is timed with the learned reranker (BOSUN_RERANKER's default) and with
reranking off, on the same index in the same run (keys ``...:p95_ms`` and
``...:off:p95_ms``).

Points are built from real passages (FAA powerplant handbook): their BM25 vectors are
real, their dense vectors are real MiniLM embeddings of a few hundred passages plus
Gaussian jitter (embedding 100k real chunks takes most of an hour on 2 cores). Queries are
real questions, embedded at query time through KnowledgeBase.search (query embedding,
dense + sparse search, fusion, pin lookup all included). HNSW recall@10 against exact
search is measured for several hnsw_ef values, unfiltered and filtered.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from bench.knowledge_embed import FAA, faa_passages
from eval.retrieval_metrics import load_beir
from knowledge import (
    KnowledgeBase,
    KnowledgeSettings,
    Passage,
    SearchScope,
    SearchTuning,
    build_embedder,
)
from knowledge.base import _payload, keyword_text
from knowledge.index import DENSE, IndexPoint, PayloadFilter, VectorQuery
from knowledge.index_edge import EdgeVectorIndex
from knowledge.sparse import Bm25Encoder

BEIR = FAA.parent / "beir"
err = Console(stderr=True)
VESSELS = 20
CODES = [f"EQ{i:03d}" for i in range(200)]


def questions(limit: int) -> list[str]:
    out: list[str] = []
    qna = FAA / "qna_eval.jsonl"
    if qna.exists():
        out += [json.loads(line)["question"] for line in qna.open() if line.strip()]
    for name in ["emanual-s10", "emanual-tv-dev"]:
        if (BEIR / name).exists():
            out += list(load_beir(BEIR / name).queries.values())
    return out[:limit]


def fill(index: EdgeVectorIndex, size: int, base: np.ndarray, texts: list[str]) -> float:
    rng = np.random.default_rng(7)
    sparse = Bm25Encoder(pair_weight=SearchTuning().pair_weight)  # as KnowledgeBase indexes
    sparse_vecs = [sparse.encode_document(t) for t in texts]
    t0 = time.perf_counter()
    batch: list[IndexPoint] = []
    for i in track(range(size), description=f"upsert {size}", console=err):
        j = i % len(texts)
        v = base[j] + rng.normal(scale=0.04, size=base.shape[1])
        v /= np.linalg.norm(v)
        vessel = int(rng.integers(0, VESSELS + 1))  # 0 = organization-wide
        doc = i // 50 + 1
        p = Passage(
            id=f"{doc}-{i}",
            org_id=1 + (i % 10 == 0),  # 10 % belong to another organization
            document_id=doc,
            document_version=1,
            text=texts[j],
            title=f"Manual {doc}",
            section=f"Section {i % 50}",
            page=i % 50 + 1,
            vessel_id=vessel or None,
            equipment_codes=(CODES[int(rng.integers(0, len(CODES)))],),
            tags=("engine",) if i % 3 else ("deck",),
            ordinal=i % 50,
        )
        batch.append(
            IndexPoint(
                str(uuid.uuid4()),
                v.astype(np.float32).tolist(),
                sparse_vecs[j],
                _payload(p, doc_key=f"{doc}:1:0", doc_hash="-", enabled=True),
            )
        )
        if len(batch) == 1000:
            index.upsert(batch)
            batch = []
    index.upsert(batch)
    _ = keyword_text
    return time.perf_counter() - t0


def recall(index: EdgeVectorIndex, qvecs: np.ndarray, flt: PayloadFilter) -> float:
    hits = 0
    for q in qvecs:
        approx, exact = index.search(
            [
                VectorQuery(DENSE, q.tolist(), flt, 10),
                VectorQuery(DENSE, q.tolist(), flt, 10, exact=True),
            ]
        )
        hits += len({p.id for p in approx} & {p.id for p in exact})
    return hits / (10 * len(qvecs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--base", type=int, default=300, help="real passages embedded")
    parser.add_argument("--no-recall", action="store_true", help="skip the HNSW recall table")
    args = parser.parse_args()
    settings = KnowledgeSettings()
    embedder = build_embedder(settings)
    texts = faa_passages(FAA / "corpus.jsonl", args.base)
    err.print(f"embedding {len(texts)} real passages with {embedder.name}")
    base = embedder.embed_documents(texts)
    qs = questions(args.queries)
    qvecs = np.stack([embedder.embed_query(q) for q in qs])
    rng = random.Random(3)
    scopes: dict[str, Callable[[], SearchScope]] = {
        "org only": lambda: SearchScope(org_id=1),
        "vessel": lambda: SearchScope(org_id=1, vessel_id=rng.randint(1, VESSELS)),
        "vessel+equipment": lambda: SearchScope(
            org_id=1,
            vessel_id=rng.randint(1, VESSELS),
            equipment_codes=tuple(rng.sample(CODES, 5)),
        ),
    }
    table = Table(title=f"KnowledgeBase.search latency, {embedder.name}, edge store, top 5")
    for col in ["chunks", "scope", "reranker", "p50 ms", "p95 ms", "mean hits"]:
        table.add_column(col, justify="right")
    summary: dict[str, object] = {"embedder": embedder.name}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bosun-bench-") as tmp:
            index = EdgeVectorIndex(Path(tmp) / "store", hnsw_ef=settings.hnsw_ef)
            upsert_s = fill(index, size, base, texts)
            t0 = time.perf_counter()
            index.optimize()
            optimize_s = time.perf_counter() - t0
            err.print(f"{size}: upsert {upsert_s:.1f} s, optimize (HNSW) {optimize_s:.1f} s")
            summary[f"{size}:upsert_s"] = round(upsert_s, 1)
            summary[f"{size}:optimize_s"] = round(optimize_s, 1)
            for ef in [] if args.no_recall else [32, 64, 128, 256]:
                index._hnsw_ef = ef
                from knowledge.base import scope_filter

                for label, scope in [
                    ("org", SearchScope(org_id=1)),
                    (
                        "vessel+eq",
                        SearchScope(org_id=1, vessel_id=3, equipment_codes=tuple(CODES[:20])),
                    ),
                ]:
                    r = recall(index, qvecs[:30], scope_filter(scope, frozenset()))
                    summary[f"{size}:recall@10:ef{ef}:{label}"] = round(r, 3)
                    err.print(f"{size}: hnsw_ef={ef} {label} recall@10={r:.3f}")
            index._hnsw_ef = settings.hnsw_ef
            rerankers = {"learned": settings.build_reranker(), "off": None}
            for name, reranker in rerankers.items():
                rng.seed(3)  # the same scopes for both
                kb = KnowledgeBase(index, embedder, journal_dir=Path(tmp), reranker=reranker)
                for label, make in scopes.items():
                    lat: list[float] = []
                    nhits: list[int] = []
                    for q in qs[:3]:
                        kb.search(q, make())  # warm up
                    for q in qs:
                        scope = make()
                        t0 = time.perf_counter()
                        hits = kb.search(q, scope)
                        lat.append((time.perf_counter() - t0) * 1000)
                        nhits.append(len(hits))
                    p50, p95 = np.percentile(lat, 50), np.percentile(lat, 95)
                    table.add_row(
                        str(size), label, name, f"{p50:.1f}", f"{p95:.1f}", f"{np.mean(nhits):.1f}"
                    )
                    key = f"{size}:{label}" if name == "learned" else f"{size}:{label}:off"
                    summary[f"{key}:p50_ms"] = round(float(p50), 1)
                    summary[f"{key}:p95_ms"] = round(float(p95), 1)
            kb.close()
    Console().print(table)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
