"""Embedders: the reference torch model and the ONNX int8 export made on this machine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import Embedder, OnnxEmbedder, SentenceTransformerEmbedder
from knowledge.embedder import embedding_thread_budget, usable_cpus

pytestmark = pytest.mark.slow(reason="exports the int8 ONNX model and embeds in batches")

TEXTS = [
    "Replace the lube oil filter cartridge every 500 running hours.",
    "The fuel injection pump delivers fuel at 1200 bar.",
    "Jacket cooling water outlet temperature is 80 to 85 degrees C, alarm at 95.",
    "short",
    "A much longer passage about the turbocharger: wash the compressor side with fresh water "
    "every 48 hours while the engine runs at half load, and check the exhaust temperatures.",
]


@pytest.fixture(scope="session")
def export_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache_plugin = getattr(pytestconfig, "cache", None)  # absent with -p no:cacheprovider
    if cache_plugin is not None:
        return Path(cache_plugin.mkdir("bosun-onnx-export"))  # export once per checkout
    return tmp_path_factory.mktemp("bosun-onnx-export")


@pytest.fixture(scope="session")
def onnx_int8(export_dir: Path, embedder: SentenceTransformerEmbedder) -> OnnxEmbedder:
    cache = export_dir
    return OnnxEmbedder(cache, quantize=True)


def test_reference_vectors_are_unit_length_and_in_input_order(
    embedder: SentenceTransformerEmbedder,
) -> None:
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed_documents(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # sorting by length inside must not change the order of the results
    for text, vector in zip(TEXTS, vectors, strict=True):
        assert np.allclose(embedder.embed_query(text), vector, atol=1e-5)
    assert embedder.embed_documents([]).shape == (0, 384)


def test_onnx_int8_matches_torch(
    onnx_int8: OnnxEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    assert onnx_int8.name.endswith("onnx-int8")
    reference = embedder.embed_documents(TEXTS)
    vectors = onnx_int8.embed_documents(TEXTS)
    cos = (reference * vectors).sum(axis=1)
    assert cos.min() > 0.95, cos
    assert cos.mean() > 0.98, cos
    query = onnx_int8.embed_query("how often is the oil filter changed")
    assert int(np.argmax(vectors @ query)) == 0
    # dynamic int8 quantisation scales activations per batch, so a text embedded alone and
    # in a batch differ slightly
    assert float(onnx_int8.embed_query(TEXTS[1]) @ vectors[1]) > 0.98


def test_export_is_cached(export_dir: Path, onnx_int8: OnnxEmbedder) -> None:
    cache = export_dir
    from knowledge.onnx_export import RECIPE

    # Exports of older recipes may sit beside the current one in a reused cache.
    files = sorted(p.name for p in cache.rglob("*.onnx") if p.parent.name.endswith(RECIPE))
    assert files == ["model.onnx", "model_qint8.onnx"]


def test_thread_budget_is_asked_per_batch_and_keeps_the_vectors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    small = SentenceTransformerEmbedder(batch_size=2)
    reference = small.embed_documents(TEXTS)
    before = torch.get_num_threads()
    threads_per_batch: list[int] = []
    encode = small._encode

    def recording(texts: list[str]) -> np.ndarray:
        threads_per_batch.append(torch.get_num_threads())
        return encode(texts)

    monkeypatch.setattr(small, "_encode", recording)
    budgets = iter([1, 64, 64])
    with embedding_thread_budget(lambda: next(budgets)):
        vectors = small.embed_documents(TEXTS)
    # 5 texts in batches of 2: one thread while the budget says 1, then the embedder's own
    # thread count (a budget never raises it); restored afterwards
    assert threads_per_batch == [1, before, before]
    assert torch.get_num_threads() == before
    assert np.allclose(vectors, reference, atol=1e-5)


def test_onnx_follows_the_thread_budget(onnx_int8: OnnxEmbedder) -> None:
    reference = onnx_int8.embed_documents(TEXTS)
    with embedding_thread_budget(lambda: 1):
        vectors = onnx_int8.embed_documents(TEXTS)
    assert onnx_int8._session_for(1) is not onnx_int8._session or usable_cpus() == 1
    assert ((reference * vectors).sum(axis=1) > 0.9999).all()
