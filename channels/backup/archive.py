"""Backup and restore of a Bosun home: one archive with the database, index, models and files.

The archive is a gzipped tar: ``manifest.json`` first (format version, Bosun version,
creation time, every file with its size and sha256, row counts of every table, the index's
point count), then the home's files under ``home/``.

Consistency while Bosun runs: the SQLite database (and the connectors' buffer) are copied
with SQLite's online backup API, which reads one committed snapshot while writers go on;
the embedded vector index is flushed and its files copied while the knowledge base's
writers are paused, and the database snapshot is taken inside the same pause, so the index
holds exactly the passages of the documents the database knows. Uploaded documents and
model artifacts are hard-linked (or copied) into a staging folder inside the pause too.
Hashing and compressing happen after the pause, from the staging folder.

On PostgreSQL (fleet mode) the database is not in the archive: the backup says so and
prints the ``pg_dump`` command; everything else under the home is archived as usual.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.engine import make_url

from channels.app.home_files import secure_home
from channels.app.local_server import LOCK_FILE, SERVER_FILE, HomeLocked, acquire_home
from channels.app.logs import LOGS_DIR
from channels.app.settings import Settings, bosun_version
from knowledge import FileBackedIndex, KnowledgeBase, KnowledgeSettings, build_index
from records import sqlite_file
from records.sqlite_file import table_counts

FORMAT = "bosun-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
HOME = "home"
DB_FILE = "bosun.db"
BUFFER_FILE = "connectors-buffer.sqlite3"
INDEX_DIR = "knowledge/qdrant-edge"
EXTERNAL_DIR = "documents/external"
RUNTIME_FILES = frozenset({LOCK_FILE, SERVER_FILE})
"""Files of a running server, never archived."""
CACHE_DIRS = ("knowledge/models", "models/whisper-base")
BACKUPS_DIR = "backups"
"""Default folder of the archives the server writes (``BOSUN_BACKUP_DIR``); never archived."""
"""Folders rebuilt on first use on the new machine (the exported embedding model, the speech
model assembled from its packages), skipped."""
_SQLITE_SIDE = ("-wal", "-shm", "-journal")
_STAGING_PREFIXES = (".backup-", ".restore-")
_CHUNK = 1 << 20

Step = Callable[[str], None]
"""Reports a step of a long operation (one line)."""
Bytes = Callable[[int, int], None]
"""Reports progress through bytes: (done, total)."""


class BackupError(Exception):
    """A backup or restore that could not be done; the message says what to do next."""


@dataclass
class BackupResult:
    """What a backup wrote."""

    path: Path
    size: int
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    """What a restore brought back."""

    home: Path
    manifest: dict[str, Any]
    files: int
    notes: list[str] = field(default_factory=list)


def _quiet(_text: str) -> None:
    """Report nothing."""


def _no_bytes(_done: int, _total: int) -> None:
    """Report nothing."""


# ------------------------------------------------------------------------------ helpers


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (one consistent snapshot)."""
    try:
        sqlite_file.copy_live(source, target)
    except sqlite3.Error as err:
        raise BackupError(f"cannot copy the database {source}: {err}") from err


def _sha256(path: Path, on_bytes: Callable[[int], None]) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            on_bytes(len(chunk))
    return digest.hexdigest()


def _skipped(relative: PurePosixPath) -> bool:
    text = relative.as_posix()
    name = relative.name
    if text in RUNTIME_FILES or text.startswith(_STAGING_PREFIXES):
        return True
    skipped_dirs = (*CACHE_DIRS, INDEX_DIR, BACKUPS_DIR, LOGS_DIR)
    if any(text == d or text.startswith(d + "/") for d in skipped_dirs):
        return True
    if any(text == f + side for f in (DB_FILE, BUFFER_FILE) for side in ("", *_SQLITE_SIDE)):
        return True
    return name.endswith((".part", ".tmp"))


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _home_files(home: Path) -> Iterator[tuple[Path, PurePosixPath]]:
    for root, dirs, files in os.walk(home):
        base = Path(root)
        rel_root = PurePosixPath(base.relative_to(home).as_posix())
        dirs[:] = sorted(d for d in dirs if not _skipped(rel_root / d))
        for name in sorted(files):
            path = base / name
            rel = rel_root / name
            if not _skipped(rel) and path.is_file() and not path.is_symlink():
                yield path, rel


def pg_dump_command(url: str, file: Path) -> str:
    """Return the pg_dump command that backs up a PostgreSQL database (password hidden)."""
    parsed = make_url(url).set(drivername="postgresql")
    shown = parsed.render_as_string(hide_password=True)
    return f"pg_dump --format=custom --file={file} '{shown}'"


def pg_restore_command(url: str, file: Path) -> str:
    """Return the pg_restore command that brings a pg_dump archive back (password hidden)."""
    parsed = make_url(url).set(drivername="postgresql")
    shown = parsed.render_as_string(hide_password=True)
    return f"pg_restore --clean --if-exists --no-owner --dbname='{shown}' {file}"


def _pgdump_name(target: Path) -> Path:
    name = target.name
    for suffix in (".tar.gz", ".tgz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return target.with_name(name + ".pgdump")


# ------------------------------------------------------------------------------ backup


def create_backup(
    settings: Settings,
    target: Path,
    *,
    knowledge: KnowledgeBase | None = None,
    progress: Step = _quiet,
    on_bytes: Bytes = _no_bytes,
) -> BackupResult:
    """Write a consistent archive of the home to ``target`` (which must not exist).

    Pass the running server's ``knowledge`` base so its writers pause while the index and
    the database are copied; without it the index is opened from the home (the caller
    holds the home's lock, so nothing else writes).
    """
    target = target.expanduser().resolve()
    home = settings.home.expanduser().resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose another file name or remove it")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist; create it first")
    if home in target.parents and (home / BACKUPS_DIR) not in target.parents:
        raise BackupError(f"write the backup outside BOSUN_HOME ({home}), e.g. to your home folder")
    embedded = settings.is_embedded
    if embedded and not (home / DB_FILE).exists():
        raise BackupError(f"there is no Bosun database at {home / DB_FILE}; nothing to back up")
    home.mkdir(parents=True, exist_ok=True)
    ksettings = KnowledgeSettings(home=home)
    notes: list[str] = []
    staging = Path(tempfile.mkdtemp(prefix=".backup-", dir=home))
    staged = staging / HOME
    try:
        index_info: dict[str, Any]
        database: dict[str, Any]
        pause: AbstractContextManager[None] = (
            knowledge.writes_paused() if knowledge is not None else nullcontext()
        )
        with pause:
            if embedded:
                progress("database: copying bosun.db with SQLite's online backup")
                sqlite_copy(home / DB_FILE, staged / DB_FILE)
                database = {"kind": "sqlite", "file": f"{HOME}/{DB_FILE}"}
            else:
                dump = _pgdump_name(target)
                command = pg_dump_command(settings.url, dump)
                database = {"kind": "postgresql", "included": False, "pg_dump": command}
                notes.append(
                    "the PostgreSQL database is NOT in this archive; back it up with pg_dump:\n"
                    f"    {command}"
                )
            if (home / BUFFER_FILE).exists():
                progress("connectors: copying the store-and-forward buffer")
                sqlite_copy(home / BUFFER_FILE, staged / BUFFER_FILE)
            index_info = _copy_index(ksettings, knowledge, staged / INDEX_DIR, progress, notes)
            progress("files: uploaded documents, model artifacts, keys and configuration")
            for path, rel in _home_files(home):
                _link_or_copy(path, staged / rel)
        external = _collect_external(staged, home, progress, notes) if embedded else []
        counts = table_counts(staged / DB_FILE) if embedded else {}
        files = _hash_tree(staging, progress, on_bytes)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "bosun_version": bosun_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "home": str(home),
            "database": database,
            "index": index_info,
            "counts": counts,
            "external_documents": external,
            "excluded": sorted([*RUNTIME_FILES, *CACHE_DIRS]),
            "files": files,
        }
        progress(f"archive: writing {target.name}")
        _write_archive(staging, manifest, target, on_bytes)
        target.chmod(0o600)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    secure_home(home)
    return BackupResult(target, target.stat().st_size, manifest, notes)


def _copy_index(
    ksettings: KnowledgeSettings,
    knowledge: KnowledgeBase | None,
    target: Path,
    progress: Step,
    notes: list[str],
) -> dict[str, Any]:
    if ksettings.qdrant_url:
        notes.append(
            f"the knowledge index lives on the Qdrant server {ksettings.qdrant_url} and is NOT in "
            "this archive; take a snapshot there (POST /collections/"
            f"{ksettings.qdrant_collection}/snapshots) or re-index after restoring"
        )
        return {"kind": "qdrant-server", "included": False, "url": ksettings.qdrant_url}
    if knowledge is not None:
        progress("knowledge: copying the vector index with writes paused")
        points = knowledge.copy_index_files(target)
    elif ksettings.store_dir.exists() and any(ksettings.store_dir.iterdir()):
        progress("knowledge: copying the vector index")
        index = build_index(ksettings, dimension=None)  # as built, whatever the embedder
        try:
            if not isinstance(index, FileBackedIndex):  # pragma: no cover - embedded is
                raise BackupError("the embedded index cannot copy its files")
            points = index.copy_files_to(target)
        finally:
            index.close()
    else:
        return {"kind": "qdrant-edge", "included": False, "points": 0}
    return {"kind": "qdrant-edge", "included": True, "dir": f"{HOME}/{INDEX_DIR}", "points": points}


def _collect_external(staged: Path, home: Path, progress: Step, notes: list[str]) -> list[Any]:
    """Copy documents ingested from outside the home (``bosun ingest PATH``) into the archive."""
    rows = sqlite_file.document_files(staged / DB_FILE)
    found: list[dict[str, Any]] = []
    for doc_id, org_id, raw in rows:
        source = Path(raw)
        if source == home or home in source.parents:
            continue
        if not source.is_file():
            notes.append(f"document {doc_id}: its file {source} is gone; not in the archive")
            continue
        rel = PurePosixPath(EXTERNAL_DIR) / f"doc-{doc_id}" / source.name
        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, staged / rel)
        found.append({"document_id": doc_id, "org_id": org_id, "original": raw, "path": str(rel)})
    if found:
        progress(f"files: {len(found)} document(s) ingested from outside the home included")
    return found


def _hash_tree(staging: Path, progress: Step, on_bytes: Bytes) -> list[dict[str, Any]]:
    paths = sorted(p for p in staging.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in paths)
    progress(f"archive: checksumming {len(paths)} files ({total / 1e6:.1f} MB)")
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        on_bytes(done, total)

    return [
        {
            "path": p.relative_to(staging).as_posix(),
            "size": p.stat().st_size,
            "sha256": _sha256(p, advance),
        }
        for p in paths
    ]


def _write_archive(staging: Path, manifest: dict[str, Any], target: Path, on_bytes: Bytes) -> None:
    part = target.with_name(target.name + ".part")
    total = sum(int(f["size"]) for f in manifest["files"])
    done = 0
    try:
        with tarfile.open(part, "w:gz", compresslevel=6) as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
            tar.addfile(info, _BytesReader(data))
            for entry in manifest["files"]:
                path = staging / entry["path"]
                info = tarfile.TarInfo(entry["path"])
                info.size, info.mode = int(entry["size"]), 0o600
                info.mtime = int(path.stat().st_mtime)
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
                done += info.size
                on_bytes(done, total)
        os.chmod(part, 0o600)
        part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


class _BytesReader:
    """A minimal file object over bytes (what tarfile.addfile reads)."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


def summary(result: BackupResult) -> dict[str, Any]:
    """Return what a backup wrote, as JSON (the manifest without its file list)."""
    manifest = {k: v for k, v in result.manifest.items() if k != "files"}
    return {
        "path": str(result.path),
        "size": result.size,
        "files": len(result.manifest["files"]),
        "manifest": manifest,
        "notes": result.notes,
    }


# ------------------------------------------------------------------------------ restore


def home_is_empty(home: Path) -> bool:
    """Whether a home holds nothing but a server's runtime files."""
    if not home.exists():
        return True
    return all(p.name in RUNTIME_FILES for p in home.iterdir())


def read_manifest(archive: Path) -> dict[str, Any]:
    """Return an archive's manifest (checked for format and version)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST or not member.isfile():
                raise BackupError(f"{archive} is not a Bosun backup (no {MANIFEST} at its start)")
            handle = tar.extractfile(member)
            assert handle is not None  # a regular file always has one
            manifest: dict[str, Any] = json.loads(handle.read())
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as err:
        raise BackupError(f"{archive} is damaged or not a Bosun backup ({err})") from err
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a Bosun backup (format {manifest.get('format')!r})")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(
            f"{archive} was written by a newer Bosun ({manifest.get('bosun_version')}); "
            "upgrade Bosun on this machine first"
        )
    return manifest


def restore_backup(
    archive: Path,
    settings: Settings,
    *,
    force: bool = False,
    progress: Step = _quiet,
    on_bytes: Bytes = _no_bytes,
) -> RestoreResult:
    """Bring an archive back into the home: verify everything first, then swap it in."""
    archive = archive.expanduser().resolve()
    home = settings.home.expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist")
    manifest = read_manifest(archive)
    sqlite_archive = manifest["database"]["kind"] == "sqlite"
    if sqlite_archive and not settings.is_embedded:
        raise BackupError(
            "this archive holds an embedded (SQLite) home but BOSUN_DATABASE_URL points at "
            "another database; unset BOSUN_DATABASE_URL to restore it as an embedded home"
        )
    if not sqlite_archive and settings.is_embedded:
        raise BackupError(
            "this archive comes from a PostgreSQL (fleet) installation; set BOSUN_DATABASE_URL "
            "to the restored database first (see the pg_restore command in the backup's notes)"
        )
    if not home_is_empty(home) and not force:
        raise BackupError(
            f"{home} is not empty; restore into an empty BOSUN_HOME, or pass --force to "
            "replace everything in it"
        )
    home.parent.mkdir(parents=True, exist_ok=True)
    created = not home.exists()
    try:
        lock = acquire_home(home)
    except HomeLocked as err:
        raise BackupError(
            f"bosun up is running on {home}; stop it first, then restore again"
        ) from err
    work = Path(tempfile.mkdtemp(prefix=f".restore-{home.name}-", dir=home.parent))
    notes: list[str] = []
    try:
        progress(f"checking {archive.name}: every file against its sha256")
        _extract_verified(archive, manifest, work, on_bytes)
        restored = work / HOME
        restored.mkdir(exist_ok=True)
        if sqlite_archive:
            _check_database(restored / DB_FILE, manifest)
            _rewrite_paths(restored / DB_FILE, manifest, home)
        else:
            dump = _pgdump_name(archive)
            notes.append(
                "the PostgreSQL database is not in the archive; restore it with:\n"
                f"    {pg_restore_command(settings.url, dump)}\n"
                "then run: bosun migrate (document and model paths in it keep the old home "
                f"{manifest['home']}: restore to the same folder)"
            )
        _check_index(restored, manifest)
        progress(f"swapping the restored home into {home}")
        secure_home(restored)
        _swap(restored, home)
        secure_home(home)
    except BaseException:
        if created:  # leave no trace of a restore that did not happen
            shutil.rmtree(home, ignore_errors=True)
        raise
    finally:
        lock.close()
        shutil.rmtree(work, ignore_errors=True)
    if manifest["index"].get("kind") == "qdrant-server":
        notes.append(
            f"the knowledge index was on the Qdrant server {manifest['index'].get('url')}; "
            "restore its snapshot there or re-index the documents (bosun documents reindex)"
        )
    return RestoreResult(home, manifest, len(manifest["files"]), notes)


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and path.parts[:1] == (HOME,)


def _extract_verified(archive: Path, manifest: dict[str, Any], work: Path, on_bytes: Bytes) -> None:
    expected = {str(f["path"]): f for f in manifest["files"]}
    total = sum(int(f["size"]) for f in expected.values())
    seen: set[str] = set()
    done = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                entry = expected.get(member.name)
                if entry is None or not member.isfile() or not _safe_name(member.name):
                    raise BackupError(
                        f"{archive} holds {member.name!r}, which its manifest does not list; "
                        "it was altered after it was written: use another backup"
                    )
                handle = tar.extractfile(member)
                assert handle is not None  # checked isfile above
                out = work / member.name
                out.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with out.open("wb") as sink:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        sink.write(chunk)
                        done += len(chunk)
                        on_bytes(done, total)
                if digest.hexdigest() != entry["sha256"]:
                    raise BackupError(
                        f"{member.name} in {archive.name} does not match its sha256: the archive "
                        "is damaged; nothing was restored, use another backup"
                    )
                seen.add(member.name)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise BackupError(
            f"{archive} is damaged ({err}); nothing was restored, use another backup"
        ) from err
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(
            f"{archive} lacks {len(missing)} file(s) its manifest lists (first: {missing[0]}); "
            "it is incomplete: nothing was restored, use another backup"
        )


def _check_database(db_file: Path, manifest: dict[str, Any]) -> None:
    verdict = sqlite_file.integrity_verdict(db_file)
    if verdict != "ok":
        raise BackupError(f"the archived database fails SQLite's integrity check: {verdict}")
    counts = table_counts(db_file)
    if counts != manifest["counts"]:
        differ = sorted(
            k
            for k in set(counts) | set(manifest["counts"])
            if counts.get(k) != manifest["counts"].get(k)
        )
        raise BackupError(f"the archived database's row counts differ from its manifest: {differ}")


def _rewrite_paths(db_file: Path, manifest: dict[str, Any], home: Path) -> None:
    """Point document files and model artifacts at the new home."""
    old = str(manifest["home"]).rstrip("/")
    new = str(home)
    sqlite_file.move_home_paths(
        db_file,
        old,
        new,
        [
            (int(ext["document_id"]), str(home / ext["path"]))
            for ext in manifest.get("external_documents", [])
        ],
    )


def _check_index(restored: Path, manifest: dict[str, Any]) -> None:
    info = manifest["index"]
    if info.get("kind") != "qdrant-edge" or not info.get("included"):
        return
    index = build_index(KnowledgeSettings(home=restored, qdrant_url=None), dimension=None)
    try:
        if not isinstance(index, FileBackedIndex):  # pragma: no cover - embedded always is
            raise BackupError("the embedded index cannot be checked")
        points = index.point_count()
    except BackupError:
        raise
    except Exception as err:  # the engine's own error: the archived index does not open
        raise BackupError(
            f"the archived vector index does not open ({err}); use another backup"
        ) from err
    finally:
        index.close()
    if points != int(info["points"]):
        raise BackupError(
            f"the archived vector index holds {points} points, its manifest says "
            f"{info['points']}; use another backup"
        )


def _swap(restored: Path, home: Path) -> None:
    """Move the verified home into place (the old one, locked by us, goes after)."""
    old = home.with_name(f".{home.name}.replaced-{os.getpid()}")
    home.rename(old)
    try:
        restored.rename(home)
    except OSError:
        old.rename(home)
        raise
    shutil.rmtree(old, ignore_errors=True)
