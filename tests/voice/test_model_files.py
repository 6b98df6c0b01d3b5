"""Assembling the model folder: once, atomically, checked by size, repaired when wrong."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from channels.app.runtime import Bosun
from channels.chat.voice import (
    ModelSources,
    ModelUnavailable,
    WhisperTranscriber,
    assemble_model,
    model_files,
    packaged_sources,
)
from channels.services.speech import open_transcriber


def _sources(tmp_path: Path) -> ModelSources:
    src = tmp_path / "src"
    src.mkdir()
    for name, data in {
        "config.json": b"{}",
        "tokenizer.json": b'{"t": 1}',
        "vocabulary.txt": b"a\nb\n",
        "model.bin.part1": os.urandom(3000),
        "model.bin.part2": os.urandom(1234),
    }.items():
        (src / name).write_bytes(data)
    return ModelSources(
        side_files=tuple(src / n for n in ("config.json", "tokenizer.json", "vocabulary.txt")),
        parts=(src / "model.bin.part1", src / "model.bin.part2"),
    )


def test_parts_are_joined_in_order_with_the_side_files(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    folder = assemble_model(tmp_path / "cache" / "whisper-base", sources)
    joined = b"".join(p.read_bytes() for p in sources.parts)
    assert (folder / "model.bin").read_bytes() == joined
    for side in sources.side_files:
        assert (folder / side.name).read_bytes() == side.read_bytes()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["whisper-base"]


def test_a_complete_folder_is_left_alone(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    folder = assemble_model(tmp_path / "whisper-base", sources)
    before = (folder / "model.bin").stat().st_mtime_ns
    assert assemble_model(tmp_path / "whisper-base", sources) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == before


def test_a_truncated_model_is_rebuilt(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    folder = assemble_model(tmp_path / "whisper-base", sources)
    with open(folder / "model.bin", "r+b") as f:
        f.truncate(100)
    (folder / "config.json").unlink()
    assemble_model(folder, sources)
    assert (folder / "model.bin").stat().st_size == 4234
    assert (folder / "config.json").read_bytes() == b"{}"


def test_concurrent_assembly_ends_with_one_complete_folder(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    target = tmp_path / "cache" / "whisper-base"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            assemble_model(target, sources)
        except BaseException as err:  # collected for the assertion below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert model_files.is_complete(target, sources)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["whisper-base"]


def test_a_missing_model_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "PART_PACKAGES", ("no_such_whisper_part1", "nor_part2"))
    with pytest.raises(ModelUnavailable, match="no-such-whisper-part1 is not installed"):
        packaged_sources()


def test_the_packaged_model_is_the_size_of_its_parts(model_dir: Path) -> None:
    sources = packaged_sources()
    sizes = sources.expected_sizes()
    assert sizes["model.bin"] > 100_000_000
    assert model_files.is_complete(assemble_model(model_dir, sources), sources)


@pytest.mark.slow(reason="loads the Whisper speech model")
def test_loading_is_once_even_from_many_threads(model_dir: Path) -> None:
    whisper = WhisperTranscriber(model_dir)
    assert not whisper.loaded
    models: list[object] = []
    threads = [threading.Thread(target=lambda: models.append(whisper.load())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(models) == 4 and all(m is models[0] for m in models)


def test_bosun_builds_its_transcriber_under_its_home(voice_bosun: Bosun) -> None:
    injected, voice_bosun.transcriber = voice_bosun.transcriber, None
    try:
        built = open_transcriber(voice_bosun)
        assert isinstance(built, WhisperTranscriber)
        assert built.cache_dir == voice_bosun.settings.home / "models" / "whisper-base"
        assert built.max_bytes == voice_bosun.settings.max_audio_bytes
        assert not built.loaded  # loaded on the first transcription, not before
        assert open_transcriber(voice_bosun) is built
    finally:
        voice_bosun.transcriber = injected
