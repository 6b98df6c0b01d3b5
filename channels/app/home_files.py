"""Owner-only files under ``BOSUN_HOME``: secrets, the database, documents, the index, models."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
PRIVATE_UMASK = 0o077
"""New files 0600 and folders 0700, whoever creates them (SQLite's -wal, the index, uploads)."""


def private_umask() -> None:
    """Make every file this process creates from now on readable by its owner only."""
    os.umask(PRIVATE_UMASK)


def secure_home(home: Path) -> None:
    """Make the home 0700, and every file and folder under it 0600 / 0700 (symlinks kept)."""
    if not home.is_dir():
        return
    _chmod(home, DIR_MODE)
    for root, dirs, files in os.walk(home):
        base = Path(root)
        for name in dirs:
            _chmod(base / name, DIR_MODE)
        for name in files:
            _chmod(base / name, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError):  # a temporary file gone meanwhile
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == mode:
            return
        if stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode):
            path.chmod(mode)


def loose_files(home: Path) -> list[str]:
    """Return what under the home others could read or enter (for checks and tests)."""
    loose: list[str] = []
    for root, dirs, files in os.walk(home):
        base = Path(root)
        for name in [*dirs, *files]:
            info = (base / name).lstat()
            if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
                loose.append(f"{(base / name).relative_to(home)} {oct(stat.S_IMODE(info.st_mode))}")
    if stat.S_IMODE(home.stat().st_mode) & 0o077:
        loose.append(f". {oct(stat.S_IMODE(home.stat().st_mode))}")
    return sorted(loose)
