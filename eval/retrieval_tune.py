"""Explore pipeline options on a BEIR set with cached embeddings (development aid).

    python -m eval.retrieval_tune --beir DIR [--cache /tmp/emb.pkl]

Prints nDCG@10 per configuration. Use a dev set for choices; report test figures only
from eval.retrieval.
"""

from __future__ import annotations

import argparse
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from rich.console import Console

from eval.retrieval_metrics import load_beir, summarize
from eval.retrieval_pipeline import BosunPipeline, PipelineOptions
from knowledge import FusionWeights, KnowledgeSettings, SearchTuning
from knowledge.embedder import Embedder, FloatArray, build_embedder

err = Console(stderr=True)


class CachedEmbedder:
    """Memoise an embedder's vectors by text (persisted in a pickle)."""

    def __init__(self, inner: Embedder, cache: Path) -> None:
        self.inner = inner
        self.cache = cache
        self.memo: dict[str, FloatArray] = (
            pickle.loads(cache.read_bytes()) if cache.exists() else {}
        )

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            for t, v in zip(todo, self.inner.embed_documents(todo), strict=True):
                self.memo[t] = v
        return (
            np.stack([self.memo[t] for t in texts])
            if texts
            else np.zeros((0, self.dimension), dtype=np.float32)
        )

    def embed_query(self, text: str) -> FloatArray:
        if text not in self.memo:
            self.memo[text] = self.inner.embed_query(text)
        return self.memo[text]

    def save(self) -> None:
        self.cache.write_bytes(pickle.dumps(self.memo))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--beir", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--embedder", default="torch")
    parser.add_argument(
        "--variants",
        default="150:40:2:1.2:0.75",
        help="comma-separated chunk_words:overlap:title_weight:bm25_k:bm25_b",
    )
    args = parser.parse_args()
    data = load_beir(args.beir)
    settings = KnowledgeSettings(embedder=args.embedder)
    cache = args.cache or Path(f"/tmp/bosun-tune-{data.name}-{args.embedder}.pkl")
    emb = CachedEmbedder(build_embedder(settings), cache)
    for variant in args.variants.split(","):
        size, overlap, tw, bk, bb = variant.split(":")
        options = PipelineOptions(
            chunker="words",
            chunk_words=int(size),
            overlap_words=int(overlap),
            title_weight=int(tw),
            bm25_k=float(bk),
            bm25_b=float(bb),
        )
        with tempfile.TemporaryDirectory() as tmp:
            pipe = BosunPipeline(Path(tmp), emb, options)
            pipe.index(data, err)
            for q in data.queries.values():
                emb.embed_query(q)
            emb.save()
            configs: list[tuple[str, FusionWeights]] = [
                ("sparse only", FusionWeights(0, 1, 60)),
                ("dense only", FusionWeights(1, 0, 60)),
            ]
            for k in (5, 10):
                for ws in (2, 3, 4):
                    configs.append((f"rrf k={k} d=1 s={ws}", FusionWeights(1, ws, k)))
            for wd in (0.1, 0.2, 0.3, 0.5):
                configs.append((f"convex d={wd} s=1", FusionWeights(wd, 1, 0, "convex")))
            for label, fw in configs:
                pipe.kb._tuning = SearchTuning(candidates=50, fusion=fw)
                runs = {qid: pipe.rank(text) for qid, text in data.queries.items()}
                m = summarize(runs, data.qrels, [0.0])
                print(
                    f"{data.name} {variant} {label}: ndcg={m['ndcg@10']:.4f} "
                    f"recall={m['recall@10']:.4f} mrr={m['mrr@10']:.4f}",
                    flush=True,
                )
            pipe.close()


if __name__ == "__main__":
    main()
