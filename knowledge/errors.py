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
