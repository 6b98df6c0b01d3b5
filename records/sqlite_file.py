"""A SQLite database file as a whole: copied, counted, checked and re-pointed (backups).

These work on the file (Python's ``sqlite3``), not through a session: a backup copies a
live database with SQLite's online backup API and inspects the copy before restoring it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path


def copy_live(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (one consistent snapshot).

    Raises ``sqlite3.Error`` when the copy fails.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, from one read snapshot; in WAL mode
        # writers carry on meanwhile (a stepped copy would restart on every write).
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def table_counts(db_file: Path) -> dict[str, int]:
    """Return the row count of every table of a SQLite database."""
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        names = [
            str(r[0])
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


def integrity_verdict(db_file: Path) -> str:
    """Return SQLite's integrity check of a database file (``ok`` when sound)."""
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def document_files(db_file: Path) -> list[tuple[int, int, str]]:
    """Return (document id, organization id, path) of every document stored as a file."""
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        rows = conn.execute(
            "SELECT id, org_id, path FROM documents WHERE path IS NOT NULL "
            "AND path NOT LIKE 'records://%' ORDER BY id"
        ).fetchall()
    return [(int(i), int(o), str(p)) for i, o, p in rows]


def move_home_paths(
    db_file: Path, old: str, new: str, documents: Iterable[tuple[int, str]] = ()
) -> None:
    """Point document files and model artifacts under ``old`` at ``new``; set ``documents``.

    ``documents`` gives (document id, new path) of files that lived outside the old home.
    """
    with contextlib.closing(sqlite3.connect(db_file)) as conn, conn:
        for table, column in (("documents", "path"), ("model_versions", "artifact_path")):
            conn.execute(
                f'UPDATE "{table}" SET "{column}" = ? || substr("{column}", ?) '
                f"WHERE \"{column}\" LIKE ? ESCAPE '\\'",
                (new, len(old) + 1, _like_prefix(old) + "/%"),
            )
        for document_id, path in documents:
            conn.execute("UPDATE documents SET path = ? WHERE id = ?", (path, document_id))


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["copy_live", "document_files", "integrity_verdict", "move_home_paths", "table_counts"]
