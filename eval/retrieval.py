"""Retrieval evaluation on a BEIR folder: BM25 alone, dense MiniLM alone, Bosun's pipeline.

    python -m eval.retrieval --beir ../shared/datasets/beir/emanual-s10

The Bosun row reranks as BOSUN_RERANKER says (default: the shipped learned model);
``--reranker off`` shows the fused order, ``--reranker-model FILE`` another model, and
``--reranker-train DIR ...`` trains one first on the shipped training data plus those BEIR
sets (leave-one-corpus-out: ``--beir emanual-s10 --reranker-train emanual-tv-dev``).
``--queries FILE`` asks a JSONL question set (``id``, ``question``, ``relevant``) of the
corpus in ``--beir`` instead of its queries.jsonl (eval/cases/faa_dev.jsonl).

Prints a side-by-side table (nDCG@10, recall@10, MRR@10, p50/p95 ms per query with the
query embedding included), then, as the last line, one JSON object:
{"set": NAME, "bm25": M, "dense": M, "bosun": M}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from eval.retrieval_metrics import BeirSet, load_beir, load_cases_set, summarize
from eval.retrieval_pipeline import BosunPipeline, PipelineOptions
from knowledge import Embedder, KnowledgeSettings, SentenceTransformerEmbedder
from knowledge.embedder import build_embedder
from knowledge.rerank import LearnedReranker, Reranker

err = Console(stderr=True)

Ranker = Callable[[str], list[str]]


def _timed_runs(
    data: BeirSet, rank: Ranker, label: str
) -> tuple[dict[str, list[str]], list[float]]:
    runs: dict[str, list[str]] = {}
    lat: list[float] = []
    for qid, text in track(list(data.queries.items()), description=label, console=err):
        t0 = time.perf_counter()
        runs[qid] = rank(text)
        lat.append((time.perf_counter() - t0) * 1000)
    return runs, lat


def bm25_baseline(data: BeirSet) -> dict[str, float]:
    import bm25s

    ids = list(data.corpus)
    docs = [f"{t} {x}" for t, x in (data.corpus[i] for i in ids)]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(docs, stopwords="en", show_progress=False), show_progress=False)

    def rank(q: str) -> list[str]:
        tokens = bm25s.tokenize([q], stopwords="en", show_progress=False)
        k = min(10, len(ids))
        found, _ = retriever.retrieve(tokens, k=k, show_progress=False)
        return [ids[int(i)] for i in found[0]]

    rank("warm up")
    runs, lat = _timed_runs(data, rank, "bm25")
    return summarize(runs, data.qrels, lat)


def dense_baseline(data: BeirSet, embedder: Embedder) -> dict[str, float]:
    ids = list(data.corpus)
    err.print(f"dense: embedding {len(ids)} documents with {embedder.name}")
    matrix = embedder.embed_documents([f"{t}\n{x}" for t, x in (data.corpus[i] for i in ids)])

    def rank(q: str) -> list[str]:
        scores = matrix @ embedder.embed_query(q)
        top = np.argsort(-scores)[:10]
        return [ids[int(i)] for i in top]

    rank("warm up")
    runs, lat = _timed_runs(data, rank, "dense")
    return summarize(runs, data.qrels, lat)


def bosun_pipeline(data: BeirSet, embedder: Embedder, options: PipelineOptions) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bosun-eval-") as tmp:
        pipeline = BosunPipeline(Path(tmp), embedder, options)
        try:
            pipeline.index(data, console=err)
            pipeline.rank("warm up")
            runs, lat = _timed_runs(data, pipeline.rank, "bosun")
            return summarize(runs, data.qrels, lat)
        finally:
            pipeline.close()


def _reranker(
    settings: KnowledgeSettings, embedder: Embedder, train_on: list[Path] | None
) -> LearnedReranker | Reranker | None:
    """Return the Bosun row's reranker: as settings say, or trained here (--reranker-train)."""
    if not train_on or settings.reranker == "off":
        return settings.build_reranker()
    from eval.rerank_train import train, training_groups

    groups = training_groups(embedder, settings.home / "cache" / "rerank", train_on)
    model = LearnedReranker(train(groups), source="--reranker-train")
    err.print(f"reranker {model.version} trained on {', '.join(model.trained_on)}")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", type=Path, required=True, help="BEIR folder")
    parser.add_argument("--split", default="test")
    parser.add_argument(
        "--embedder",
        choices=["torch", "onnx", "onnx-int8", "mpnet", "settings"],
        default="settings",
        help="Bosun pipeline's embedder (default: BOSUN_EMBEDDER / settings)",
    )
    parser.add_argument(
        "--chunker",
        choices=["ingestion", "words"],
        default="ingestion",
        help="ingestion: the product's chunker (default); words: 150-word windows, 40 overlap",
    )
    parser.add_argument(
        "--reranker",
        choices=["settings", "learned", "off"],
        default="settings",
        help="Bosun pipeline's reranker (default: BOSUN_RERANKER / settings, i.e. learned)",
    )
    parser.add_argument("--reranker-model", type=Path, help="a learned reranker model file")
    parser.add_argument(
        "--reranker-train",
        type=Path,
        nargs="+",
        help="train a reranker on the shipped training data plus these BEIR sets, use it",
    )
    parser.add_argument("--queries", type=Path, help="JSONL questions over --beir's corpus")
    args = parser.parse_args(argv)
    data = (
        load_cases_set(args.beir, args.queries)
        if args.queries
        else load_beir(args.beir, args.split)
    )
    err.print(f"{data.name}: {len(data.corpus)} documents, {len(data.queries)} queries with qrels")
    settings = KnowledgeSettings()
    if args.embedder != "settings":
        settings = settings.model_copy(update={"embedder": args.embedder})
    if args.reranker != "settings":
        settings = settings.model_copy(update={"reranker": args.reranker})
    if args.reranker_model:
        settings = settings.model_copy(update={"reranker_model": args.reranker_model})
    reference = SentenceTransformerEmbedder()
    bosun_embedder = reference if settings.embedder == "torch" else build_embedder(settings)
    reranker = _reranker(settings, bosun_embedder, args.reranker_train)

    results = {
        "bm25": bm25_baseline(data),
        "dense": dense_baseline(data, reference),
        "bosun": bosun_pipeline(
            data,
            bosun_embedder,
            PipelineOptions(chunker=args.chunker, glossary=settings.glossary, reranker=reranker),
        ),
    }
    label = getattr(reranker, "version", None) and f"reranker {reranker.version}"  # type: ignore[union-attr]
    label = label or ("reranker off" if reranker is None else "cross-encoder")
    table = Table(
        title=f"{data.name} ({len(data.queries)} queries; Bosun: {bosun_embedder.name}, {label})"
    )
    table.add_column("system")
    for metric in ["ndcg@10", "recall@10", "mrr@10", "p50_ms", "p95_ms"]:
        table.add_column(metric, justify="right")
    for name, m in results.items():
        table.add_row(name, *(f"{v:.4f}" if "ms" not in k else f"{v:.1f}" for k, v in m.items()))
    Console().print(table)
    best = max(results["bm25"]["ndcg@10"], results["dense"]["ndcg@10"])
    gain = (results["bosun"]["ndcg@10"] / best - 1) * 100 if best else float("nan")
    print(f"Bosun nDCG@10 vs better baseline: {gain:+.1f} %")
    sys.stdout.flush()
    print(json.dumps({"set": data.name, **results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
