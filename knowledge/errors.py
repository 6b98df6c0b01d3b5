"""Errors raised by the knowledge base."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class of knowledge-base errors."""


class EmbedderError(KnowledgeError):
    """The embedding model cannot be loaded or run."""


class VectorIndexError(KnowledgeError):
    """The vector index failed; the message says what to check."""


class DocumentNotFoundError(KnowledgeError):
    """No passages are indexed for the given document."""


def dimension_mismatch(where: str, stored: int, wanted: int) -> VectorIndexError:
    """Return the error for an index built with another embedder than the configured one."""
    return VectorIndexError(
        f"The knowledge index {where} holds {stored}-dim vectors but the configured embedder "
        f"makes {wanted}-dim ones (BOSUN_EMBEDDER changed since it was built). Set "
        "BOSUN_EMBEDDER back to the embedder it was built with, or move the index aside and "
        "re-index every document (bosun documents reindex ID) with the new embedder."
    )
