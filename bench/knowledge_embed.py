"""Embedder throughput: sentence-transformers on torch vs ONNX Runtime (fp32, int8).

    python -m bench.knowledge_embed [--passages 600] [--beir DIR ...]

Embeds the same passages (FAA powerplant handbook pages cut into ~120-word chunks) with
each backend, reports passages/s, the ratio to torch and the cosine to torch's vectors;
then, for each BEIR folder given, nDCG@10 of dense-only and of Bosun's pipeline with each
backend (fidelity). The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from rich.console import Console
from rich.table import Table

from eval.retrieval import dense_baseline
from eval.retrieval_metrics import load_beir, summarize
from eval.retrieval_pipeline import BosunPipeline, PipelineOptions, chunk_words
from knowledge import KnowledgeSettings, OnnxEmbedder, SentenceTransformerEmbedder
from knowledge.embedder import Embedder

FAA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "faa_amt_powerplant"
err = Console(stderr=True)


def faa_passages(corpus: Path, limit: int) -> list[str]:
    out: list[str] = []
    with corpus.open() as fh:
        for line in fh:
            out.extend(chunk_words(json.loads(line)["text"], 120, 20))
            if len(out) >= limit:
                break
    return out[:limit]


def throughput(embedder: Embedder, texts: list[str], repeats: int = 1) -> tuple[float, np.ndarray]:
    embedder.embed_documents(texts[:16])  # warm up
    best = 0.0
    vectors = np.zeros(0)
    for _ in range(repeats):
        t0 = time.perf_counter()
        vectors = embedder.embed_documents(texts)
        best = max(best, len(texts) / (time.perf_counter() - t0))
    return best, vectors


def bosun_ndcg(folder: Path, embedder: Embedder) -> float:
    data = load_beir(folder)
    with tempfile.TemporaryDirectory() as tmp:
        pipe = BosunPipeline(Path(tmp), embedder, PipelineOptions())
        pipe.index(data, err)
        runs = {qid: pipe.rank(text) for qid, text in data.queries.items()}
        pipe.close()
    return summarize(runs, data.qrels, [0.0])["ndcg@10"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=FAA / "corpus.jsonl")
    parser.add_argument("--passages", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--beir", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    texts = faa_passages(args.corpus, args.passages)
    words = np.mean([len(t.split()) for t in texts])
    err.print(f"{len(texts)} passages, {words:.0f} words on average")
    cache = KnowledgeSettings().model_cache_dir
    backends: dict[str, Embedder] = {}
    results: dict[str, dict[str, float]] = {}
    reference: np.ndarray | None = None
    for name in ["torch", "onnx-fp32", "onnx-int8"]:
        if name == "torch":
            emb: Embedder = SentenceTransformerEmbedder(batch_size=args.batch_size)
        else:
            emb = OnnxEmbedder(cache, quantize=name == "onnx-int8", batch_size=args.batch_size)
        err.print(f"embedding with {emb.name} ...")
        rate, vectors = throughput(emb, texts)
        if reference is None:
            reference = vectors
        cos = (vectors * reference).sum(axis=1)
        results[name] = {
            "passages_per_s": round(rate, 1),
            "cos_mean": round(float(cos.mean()), 5),
            "cos_min": round(float(cos.min()), 5),
        }
        backends[name] = emb
        gc.collect()
    for name in results:
        results[name]["ratio"] = round(
            results[name]["passages_per_s"] / results["torch"]["passages_per_s"], 2
        )
    for folder in args.beir:
        data = load_beir(folder)
        for name, emb in backends.items():
            err.print(f"{folder.name}: nDCG with {emb.name} ...")
            results[name][f"{folder.name}:dense_ndcg@10"] = dense_baseline(data, emb)["ndcg@10"]
            results[name][f"{folder.name}:bosun_ndcg@10"] = bosun_ndcg(folder, emb)
    table = Table(title=f"Embedding {len(texts)} FAA passages (~{words:.0f} words), 2 cores")
    keys = list(next(iter(results.values())))
    table.add_column("backend")
    for k in keys:
        table.add_column(k, justify="right")
    for name, r in results.items():
        table.add_row(name, *(str(r.get(k, "")) for k in keys))
    Console().print(table)
    print(json.dumps({"passages": len(texts), "avg_words": round(float(words), 1), **results}))


if __name__ == "__main__":
    main()
