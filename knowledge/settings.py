"""Configuration of the knowledge base, read from BOSUN_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.rerank import SHIPPED_MODEL, CrossEncoderReranker, LearnedReranker, Reranker

EmbedderBackend = Literal["torch", "onnx-int8", "onnx", "mpnet"]


class KnowledgeSettings(BaseSettings):
    """Settings for the embedder, the vector index and hybrid search."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_", extra="ignore")

    home: Path = Field(
        default=Path.home() / ".bosun",
        description="Root directory for embedded data (vector store, model caches).",
    )
    qdrant_url: str | None = Field(
        default=None,
        description="URL of a Qdrant server; when unset the embedded engine under home is used.",
    )
    qdrant_api_key: SecretStr | None = Field(default=None, description="API key for the server.")
    qdrant_collection: str = Field(default="bosun_knowledge", description="Collection name.")
    embedder: EmbedderBackend = Field(
        default="onnx-int8",
        description="Embedding backend: torch (sentence-transformers), onnx (fp32), onnx-int8, "
        "or mpnet (all-mpnet-base-v2, 768-dim, an optional extra: see README).",
    )
    embed_batch_size: int = Field(default=32, ge=1, description="Passages per embedding batch.")
    reranker: Literal["learned", "off"] = Field(
        default="learned",
        description="Rerank the fused candidates: learned (the shipped XGBoost model over "
        "candidate features, or BOSUN_RERANKER_MODEL) or off (the fused order as is).",
    )
    reranker_model: Path | None = Field(
        default=None,
        description="A learned reranker model file (python -m eval.rerank_train); unset uses "
        "the shipped knowledge/data/reranker.json.",
    )
    reranker_path: Path | None = Field(
        default=None,
        description="Folder of a sentence-transformers cross-encoder; when set (and "
        "BOSUN_RERANKER is not off) it reranks instead of the learned model.",
    )
    hnsw_ef: int = Field(
        default=256,
        ge=8,
        description="HNSW search breadth: 256 gave recall@10 0.97 vs exact at 100k (128: 0.88).",
    )
    glossary: bool = Field(
        default=True,
        description="Expand queries with the crew vocabulary (off: search as typed).",
    )
    pin_threshold: float = Field(
        default=0.85,
        ge=0.0,
        le=1.0,
        description="Cosine similarity above which a pinned answer is returned first.",
    )

    def build_reranker(self) -> Reranker | LearnedReranker | None:
        """Return the configured reranker (None when BOSUN_RERANKER=off)."""
        if self.reranker == "off":
            return None
        if self.reranker_path is not None:
            return CrossEncoderReranker(self.reranker_path)
        return LearnedReranker.load(self.reranker_model or SHIPPED_MODEL)

    @property
    def store_dir(self) -> Path:
        """Return the directory of the embedded vector store."""
        return self.home / "knowledge" / "qdrant-edge"

    @property
    def model_cache_dir(self) -> Path:
        """Return the directory where exported embedding models are cached."""
        return self.home / "knowledge" / "models"
