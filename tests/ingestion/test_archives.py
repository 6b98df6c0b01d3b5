"""Zip-based documents are judged from their directory, and unpacking is bounded."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import pytest

from bench.zip_bomb import _small, _write_zip, build_docx_bomb
from ingestion import (
    IngestionSettings,
    MalformedDocumentError,
    MemoryDocumentRegistry,
    MemoryPassageSink,
    ResourceLimitError,
    SourceFile,
    check_archive,
    ingest_files,
    parse_document,
)
from ingestion.archives import read_member


def test_a_2_gib_docx_bomb_is_refused_from_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = build_docx_bomb(tmp_path / "bomb.docx", 2048)
    assert bomb.stat().st_size < 4 * 1024 * 1024

    def unpack(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was opened: the directory alone should refuse it")

    with monkeypatch.context() as patched:
        patched.setattr(zipfile.ZipFile, "open", unpack)
        with pytest.raises(ResourceLimitError) as info:
            check_archive(bomb)
    assert info.value.code.value == "over_limit"
    assert "2,048 MiB" in info.value.message
    assert "BOSUN_INGEST_MAX_UNPACKED_MB=500" in info.value.message
    with pytest.raises(ResourceLimitError):
        parse_document(bomb)  # parse_document checks before any parser runs


def test_a_high_ratio_archive_is_refused_under_the_size_limit(tmp_path: Path) -> None:
    bomb = build_docx_bomb(tmp_path / "ratio.docx", 64)
    with pytest.raises(ResourceLimitError) as info:
        check_archive(bomb)
    assert "BOSUN_INGEST_MAX_RATIO=100" in info.value.message
    facts = check_archive(bomb, IngestionSettings(max_ratio=5000))
    assert facts.unpacked_bytes > 64 * 1024 * 1024 and facts.ratio > 100


def test_a_genuine_docx_passes(corpus: dict[str, Path]) -> None:
    facts = check_archive(corpus["guide.docx"])
    assert facts.members >= 3 and facts.unpacked_bytes > 0


def test_a_member_forged_smaller_than_its_data_is_refused(tmp_path: Path) -> None:
    real = b"<w:t>" + b"A" * (4 * 1024 * 1024) + b"</w:t>"
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(real) + comp.flush()
    forged = tmp_path / "forged.docx"
    # The directory says 1 KiB; the data unpacks to 4 MiB.
    _write_zip(
        forged,
        [
            _small("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", data, zlib.crc32(real), 1024),
        ],
    )
    with pytest.raises(MalformedDocumentError) as info:
        check_archive(forged)
    assert "damaged" in info.value.message
    # What any reader of it gets: no more than the declared 1 KiB, then a CRC error.
    with zipfile.ZipFile(forged) as archive, pytest.raises(zipfile.BadZipFile):
        archive.read("word/document.xml")


def test_member_reads_are_bounded(tmp_path: Path) -> None:
    small = build_docx_bomb(tmp_path / "small.docx", 2)
    assert read_member(small, "word/document.xml", 1024) is None
    assert read_member(small, "missing.xml", 1024) is None
    body = read_member(small, "word/document.xml", 4 * 1024 * 1024)
    assert body is not None and body.endswith(b"</w:document>")


@pytest.mark.slow(reason="parses and embeds a batch beside the bomb")
def test_a_bomb_in_a_batch_fails_alone(corpus: dict[str, Path], tmp_path: Path) -> None:
    bomb = build_docx_bomb(tmp_path / "bomb.docx", 2048)
    sources = [SourceFile(p, org_id=3) for p in (corpus["boiler.md"], bomb, corpus["guide.docx"])]
    registry = MemoryDocumentRegistry()
    summary = ingest_files(
        sources,
        registry=registry,
        sink=MemoryPassageSink(),
        settings=IngestionSettings(parse_executor="thread"),
        progress=False,
    )
    assert sorted(f.path.name for f in summary.indexed) == ["boiler.md", "guide.docx"]
    assert [(f.path.name, f.code) for f in summary.failed] == [("bomb.docx", "over_limit")]
    status, error = registry.status(3, bomb)
    assert status == "failed" and error and "BOSUN_INGEST_MAX_UNPACKED_MB" in error
