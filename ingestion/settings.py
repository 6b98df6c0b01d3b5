"""Ingestion configuration (environment variables with the BOSUN_INGEST_ prefix)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestionSettings(BaseSettings):
    """Limits and knobs for parsing, chunking and the ingestion pipeline."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_INGEST_", extra="ignore")

    max_file_mb: float = Field(
        100.0, gt=0, description="Refuse source files larger than this (MiB)."
    )
    ocr: Literal["auto", "never"] = Field(
        "auto",
        description="PDFs without a text layer: OCR with tesseract when installed ('auto'), "
        "or fail with a no_text_layer error ('never').",
    )
    ocr_languages: str = Field("eng", description="Tesseract language codes, '+'-separated.")
    ocr_max_page_mpix: float = Field(
        60.0,
        gt=0,
        description="Refuse to OCR a page whose rendering at 300 dpi, or any image on it, "
        "exceeds this many megapixels (image bombs); the rest of the PDF is read.",
    )
    chunk_max_tokens: int = Field(
        230,
        ge=32,
        description="Upper bound of a chunk in embedder tokens (all-MiniLM-L6-v2 reads 256).",
    )
    chunk_overlap_tokens: int = Field(
        30, ge=0, description="Tokens repeated at the start of the next chunk of a split section."
    )
    parse_workers: int = Field(
        1, ge=1, description="Parser processes running beside embedding/indexing."
    )
    parse_executor: Literal["process", "thread"] = Field(
        "process", description="Run parsers in processes (default) or threads."
    )
    prefetch: int = Field(4, ge=1, description="Parsed documents allowed to wait for the indexer.")
    embed_beside_parsers: Literal["share", "all"] = Field(
        "share",
        description="Threads the embedder uses while parser workers are busy: 'share' the "
        "cores (CPUs minus busy parsers, at least one; all once parsing is done), or 'all' "
        "of its threads regardless (oversubscribes the cores).",
    )

    max_unpacked_mb: float = Field(
        500.0,
        gt=0,
        description="Refuse archives (DOCX, XLSX, ...) that unpack to more than this (MiB), "
        "judged from the zip directory before parsing and while unpacking.",
    )
    max_ratio: float = Field(
        100.0,
        gt=1,
        description="Refuse archives unpacking to more than this many times their size "
        "(archives unpacking to under 16 MiB are not judged on ratio).",
    )
    parser_rss_mb: float = Field(
        2048.0,
        gt=0,
        description="Stop a parser process whose resident memory grows past this (MiB); "
        "its document fails with the reason, the rest of the batch goes on.",
    )
    parse_s_per_page: float = Field(
        60.0,
        gt=0,
        description="Stop a parser process spending longer than this per page of its "
        "document (pages estimated from size for formats without pages).",
    )

    @property
    def max_unpacked_bytes(self) -> int:
        """Return the unpacked-size limit of archives in bytes."""
        return int(self.max_unpacked_mb * 1024 * 1024)

    @property
    def parser_rss_bytes(self) -> int:
        """Return the parser memory limit in bytes."""
        return int(self.parser_rss_mb * 1024 * 1024)

    @property
    def max_file_bytes(self) -> int:
        """Return the size limit in bytes."""
        return int(self.max_file_mb * 1024 * 1024)
