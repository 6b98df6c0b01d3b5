"""Errors raised while reading a source file; each names its reason and what to do next."""

from __future__ import annotations

from enum import StrEnum


class IngestionErrorCode(StrEnum):
    """Stable reason codes, suitable for a Document row's status/error columns."""

    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    ENCRYPTED = "encrypted"
    MALFORMED = "malformed"
    NO_TEXT_LAYER = "no_text_layer"
    EMPTY = "empty"
    UNREADABLE = "unreadable"
    BAD_MAPPING = "bad_mapping"
    INDEX_FAILED = "index_failed"
    PARSER_CRASHED = "parser_crashed"
    OVER_LIMIT = "over_limit"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal_error"


class IngestionError(Exception):
    """A source file could not be turned into passages."""

    code: IngestionErrorCode = IngestionErrorCode.INTERNAL

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class FileTooLargeError(IngestionError):
    """The file exceeds the configured size limit."""

    code = IngestionErrorCode.TOO_LARGE


class UnsupportedFileTypeError(IngestionError):
    """The file's content is not one of the supported formats."""

    code = IngestionErrorCode.UNSUPPORTED_TYPE


class EncryptedDocumentError(IngestionError):
    """The document is password-protected."""

    code = IngestionErrorCode.ENCRYPTED


class MalformedDocumentError(IngestionError):
    """The file is damaged or not what its format claims."""

    code = IngestionErrorCode.MALFORMED


class NoTextLayerError(IngestionError):
    """The PDF has no extractable text (a scan) and OCR is not available."""

    code = IngestionErrorCode.NO_TEXT_LAYER


class EmptyDocumentError(IngestionError):
    """The document parsed but contains no text to index."""

    code = IngestionErrorCode.EMPTY


class UnreadableFileError(IngestionError):
    """The file could not be read from disk."""

    code = IngestionErrorCode.UNREADABLE


class MappingError(IngestionError):
    """A fault-history column mapping is invalid or does not fit the CSV."""

    code = IngestionErrorCode.BAD_MAPPING


class IndexingError(IngestionError):
    """The passage sink (embedding / vector index) failed for this document."""

    code = IngestionErrorCode.INDEX_FAILED


class ParserCrashedError(IngestionError):
    """The parser process died on this file (a crash or an out-of-memory kill)."""

    code = IngestionErrorCode.PARSER_CRASHED


class ResourceLimitError(IngestionError):
    """The document goes over a configured resource limit (archive size, parser memory/time)."""

    code = IngestionErrorCode.OVER_LIMIT
