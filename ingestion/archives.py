"""Check zip-based documents (DOCX, and XLSX, PPTX, ODT, EPUB when added) before any parser.

A zip bomb is refused from its central directory alone: declared unpacked size against
``BOSUN_INGEST_MAX_UNPACKED_MB`` and unpacked/packed ratio against ``BOSUN_INGEST_MAX_RATIO``.
Declared sizes are then not trusted blindly: every member is decompressed as a stream with
a byte budget (the declared size, and what is left of the limit), so a member whose data
unpacks to more than its header says, or whose CRC does not match, is refused too. Python's
zipfile (which python-docx and the other Office readers use) never returns more than a
member's declared size, so the checked sizes also bound what the parsers unpack later.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ingestion.errors import MalformedDocumentError, ResourceLimitError, UnreadableFileError
from ingestion.settings import IngestionSettings

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MAX_MEMBERS = 20_000
"""More members than this is not a document (and costs memory just to list)."""
RATIO_FLOOR_BYTES = 16 * 1024 * 1024
"""Archives that unpack to less than this are not judged on their ratio (harmless)."""
_BLOCK = 1 << 20
_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ArchiveFacts:
    """What the central directory of a checked archive declares."""

    members: int
    packed_bytes: int
    unpacked_bytes: int

    @property
    def ratio(self) -> float:
        """Return unpacked bytes per packed byte of the whole file."""
        return self.unpacked_bytes / max(self.packed_bytes, 1)


def is_zip_file(path: Path) -> bool:
    """Return True when the file starts with a zip signature."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) in ZIP_MAGIC
    except OSError:
        return False


def member_count(path: Path) -> int:
    """Read the member count from the end-of-central-directory record (no listing)."""
    with path.open("rb") as handle:
        end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]
    if not end:
        raise MalformedDocumentError(
            "the archive has no zip directory; it is damaged: re-save it", path=str(path)
        )
    return int(end[zipfile._ECD_ENTRIES_TOTAL])  # type: ignore[attr-defined]


def _unpacked_limit_error(path: Path, unpacked: int, limit: int, *, actual: bool) -> Exception:
    said = (
        f"unpacks to more than {unpacked / _MIB:,.0f} MiB"
        if actual
        else (f"declares {unpacked / _MIB:,.0f} MiB unpacked")
    )
    return ResourceLimitError(
        f"the archive {said}, over "
        f"BOSUN_INGEST_MAX_UNPACKED_MB={limit / _MIB:g}; this looks like a zip bomb. If the "
        "document is genuine, split it or raise BOSUN_INGEST_MAX_UNPACKED_MB",
        path=str(path),
    )


def check_archive(path: str | Path, settings: IngestionSettings | None = None) -> ArchiveFacts:
    """Refuse an archive over the unpacked-size or ratio limits; return what it declares.

    Raises ResourceLimitError naming the limit, MalformedDocumentError for a damaged archive.
    """
    settings = settings or IngestionSettings()
    source = Path(path)
    limit = settings.max_unpacked_bytes
    try:
        packed = source.stat().st_size
        count = member_count(source)
        if count > MAX_MEMBERS:
            raise ResourceLimitError(
                f"the archive holds {count:,} members (more than {MAX_MEMBERS:,}); "
                "it is not a document Bosun reads: unpack it and ingest its files",
                path=str(source),
            )
        with zipfile.ZipFile(source) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            declared = sum(i.file_size for i in infos)
            facts = ArchiveFacts(members=len(infos), packed_bytes=packed, unpacked_bytes=declared)
            _check_declared(source, facts, settings)
            actual = 0
            for info in infos:
                actual += _drain_member(archive, info, limit - actual, limit, source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as err:
        raise MalformedDocumentError(
            f"the archive is damaged ({err}); re-save it from the program that made it",
            path=str(source),
        ) from err
    except (RuntimeError, ValueError) as err:  # encrypted members, bad compression values
        raise MalformedDocumentError(
            f"the archive cannot be read ({err})", path=str(source)
        ) from err
    except OSError as err:
        raise UnreadableFileError(
            f"cannot read the file ({err.strerror})", path=str(source)
        ) from err
    return facts


def _check_declared(path: Path, facts: ArchiveFacts, settings: IngestionSettings) -> None:
    limit = settings.max_unpacked_bytes
    if facts.unpacked_bytes > limit:
        raise _unpacked_limit_error(path, facts.unpacked_bytes, limit, actual=False)
    if facts.unpacked_bytes >= RATIO_FLOOR_BYTES and facts.ratio > settings.max_ratio:
        raise ResourceLimitError(
            f"the archive unpacks {facts.ratio:,.0f} times its size "
            f"({facts.packed_bytes / _MIB:.1f} MiB to {facts.unpacked_bytes / _MIB:,.0f} MiB), "
            f"over BOSUN_INGEST_MAX_RATIO={settings.max_ratio:g}; this looks like a zip bomb. "
            "If the document is genuine, raise BOSUN_INGEST_MAX_RATIO",
            path=str(path),
        )


def _drain_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, limit: int, path: Path
) -> int:
    """Decompress one member as a stream; refuse it past its declared size or the budget."""
    seen = 0
    with bounded_member(archive, info, budget, path, limit=limit) as stream:
        while block := stream.read(_BLOCK):
            seen += len(block)
    return seen


class _BoundedReader:
    """A member stream that raises once more than `budget` bytes came out of it."""

    def __init__(
        self, raw: IO[bytes], budget: int, info: zipfile.ZipInfo, path: Path, limit: int
    ) -> None:
        self.raw, self.budget, self.info, self.path = raw, budget, info, path
        self.limit, self.seen = limit, 0

    def read(self, size: int = _BLOCK) -> bytes:
        block = self.raw.read(min(size, _BLOCK) if size > 0 else _BLOCK)
        self.seen += len(block)
        if self.seen > self.info.file_size:
            raise MalformedDocumentError(
                f"member {self.info.filename} unpacks to more than the "
                f"{self.info.file_size:,} bytes its header declares; the archive is forged "
                "or damaged",
                path=str(self.path),
            )
        if self.seen > self.budget:
            raise _unpacked_limit_error(self.path, self.limit, self.limit, actual=True)
        return block


@contextmanager
def bounded_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: int,
    path: Path,
    *,
    limit: int | None = None,
) -> Iterator[_BoundedReader]:
    """Open an archive member for reading with a byte budget (use for every member read).

    `limit` is the configured limit named in the error (the budget when not given).
    """
    with archive.open(info) as raw:
        yield _BoundedReader(raw, budget, info, path, budget if limit is None else limit)


def read_member(path: Path, name: str, max_bytes: int) -> bytes | None:
    """Return one member's bytes (None when absent), refusing more than `max_bytes`."""
    with zipfile.ZipFile(path) as archive:
        try:
            info = archive.getinfo(name)
        except KeyError:
            return None
        if info.file_size > max_bytes:
            return None
        parts = []
        with bounded_member(archive, info, max_bytes, path) as stream:
            while block := stream.read(_BLOCK):
                parts.append(block)
        return b"".join(parts)
