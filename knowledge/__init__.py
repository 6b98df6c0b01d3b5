"""Knowledge base: embedder, vector index, hybrid search with citations."""

from knowledge.base import (
    IndexReport,
    KnowledgeBase,
    PinnedAnswer,
    SearchTuning,
    citation_url,
    embedding_text,
)
from knowledge.embedder import (
    Embedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    build_embedder,
    embedding_thread_budget,
    packaged_model_path,
    usable_cpus,
)
from knowledge.errors import (
    DocumentNotFoundError,
    EmbedderError,
    KnowledgeError,
    VectorIndexError,
)
from knowledge.factory import build_index, open_knowledge_base
from knowledge.fusion import FusionWeights
from knowledge.glossary import Expansion, Glossary, Term, Vocabulary, alias_terms
from knowledge.index import FileBackedIndex, VectorIndex
from knowledge.rerank import CrossEncoderReranker, Reranker
from knowledge.settings import KnowledgeSettings
from knowledge.types import Citation, DocumentKind, Hit, Passage, SearchScope

__all__ = [
    "Citation",
    "CrossEncoderReranker",
    "DocumentKind",
    "DocumentNotFoundError",
    "Embedder",
    "EmbedderError",
    "Expansion",
    "FileBackedIndex",
    "FusionWeights",
    "Glossary",
    "Hit",
    "IndexReport",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeSettings",
    "OnnxEmbedder",
    "Passage",
    "PinnedAnswer",
    "Reranker",
    "SearchScope",
    "SearchTuning",
    "SentenceTransformerEmbedder",
    "Term",
    "VectorIndex",
    "VectorIndexError",
    "Vocabulary",
    "alias_terms",
    "build_embedder",
    "build_index",
    "citation_url",
    "embedding_text",
    "embedding_thread_budget",
    "open_knowledge_base",
    "packaged_model_path",
    "usable_cpus",
]
