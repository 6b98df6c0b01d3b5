"""Decide a file's format from its content (the extension only breaks ties between texts)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ingestion.archives import MAX_MEMBERS, member_count
from ingestion.documents import FileKind
from ingestion.errors import (
    FileTooLargeError,
    MalformedDocumentError,
    UnreadableFileError,
    UnsupportedFileTypeError,
)

_SNIFF_BYTES = 64 * 1024
_HTML_RE = re.compile(rb"<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
_MD_HEADING_RE = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)
_MD_EXTENSIONS = {".md", ".markdown", ".mdown", ".mkd"}
_BINARY_EXTENSIONS = {".pdf": FileKind.PDF, ".docx": FileKind.DOCX, ".xlsx": FileKind.XLSX}
_CSV_EXTENSIONS = {".csv", ".tsv"}


def check_size(path: Path, max_bytes: int) -> int:
    """Return the file's size, raising FileTooLargeError above `max_bytes`."""
    try:
        size = path.stat().st_size
    except OSError as err:
        raise UnreadableFileError(f"cannot read the file ({err.strerror})", path=str(path)) from err
    if size > max_bytes:
        raise FileTooLargeError(
            f"{size / 1048576:.1f} MiB exceeds the limit of {max_bytes / 1048576:.1f} MiB; "
            "split the file or raise BOSUN_INGEST_MAX_FILE_MB",
            path=str(path),
        )
    return size


def _decode_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "utf-16"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as err:
            # A multi-byte character cut at the sniff boundary is still text.
            if encoding == "utf-8" and err.start >= len(head) - 4:
                return head[: err.start].decode("utf-8")
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if printable >= 0.95 * max(len(text), 1) else None


def _zip_kind(path: Path) -> FileKind | None:
    """DOCX or XLSX by the archive's main part; None for any other archive."""
    try:
        if member_count(path) > MAX_MEMBERS:
            return None  # not a document; listing it would cost memory
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, MalformedDocumentError):
        return None
    if "word/document.xml" in names:
        return FileKind.DOCX
    if "xl/workbook.xml" in names:
        return FileKind.XLSX
    return None


def detect_file_kind(path: Path) -> FileKind:
    """Return the format of `path` judged by its bytes; raise when it is not supported."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as err:
        raise UnreadableFileError(f"cannot read the file ({err.strerror})", path=str(path)) from err
    suffix = path.suffix.lower()
    if not head.strip():
        raise MalformedDocumentError("the file is empty", path=str(path))
    if b"%PDF-" in head[:1024]:
        return FileKind.PDF
    if head.startswith(b"PK\x03\x04"):
        found = _zip_kind(path)
        if found is not None:
            return found
        if suffix in (".docx", ".xlsx"):
            part = "word/document.xml" if suffix == ".docx" else "xl/workbook.xml"
            raise MalformedDocumentError(
                f"the {suffix} archive is damaged or lacks {part}; "
                "re-save it from the office program",
                path=str(path),
            )
        raise UnsupportedFileTypeError(
            "a ZIP archive that is not a Word document or Excel workbook; "
            "unpack it and ingest its files",
            path=str(path),
        )
    expected = _BINARY_EXTENSIONS.get(suffix)
    if expected is not None:
        raise MalformedDocumentError(
            f"the name says {expected.value.upper()} but the content is not; "
            "the file is damaged or misnamed",
            path=str(path),
        )
    text = _decode_text(head)
    if text is None:
        raise UnsupportedFileTypeError(
            "binary content of an unsupported format; supported are PDF, DOCX, XLSX, "
            "HTML, Markdown, CSV and plain text",
            path=str(path),
        )
    if suffix in _CSV_EXTENSIONS:
        return FileKind.CSV
    if suffix in {".html", ".htm", ".xhtml"} or _HTML_RE.search(head[:4096]):
        return FileKind.HTML
    if suffix in _MD_EXTENSIONS or _MD_HEADING_RE.search(text):
        return FileKind.MARKDOWN
    return FileKind.TEXT
