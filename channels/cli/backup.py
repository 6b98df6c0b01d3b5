"""``bosun backup FILE`` and ``bosun restore FILE``."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from channels.cli.console import err, fail, out

if TYPE_CHECKING:
    from channels.backup.archive import Bytes, Step

KEY_TABLES = (
    "organizations",
    "vessels",
    "equipment",
    "sensors",
    "readings",
    "faults",
    "work_orders",
    "parts",
    "documents",
    "model_versions",
    "predictions",
    "users",
    "messages",
)
BACKUP_TIMEOUT_S = 3600.0


@contextmanager
def _progress() -> Iterator[tuple[Step, Bytes]]:
    """Yield a step reporter (one line each) and a bytes reporter (a bar) on stderr."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None, visible=False)

        def step(text: str) -> None:
            bar.console.print(text, highlight=False)
            bar.update(task, description=text.split(":")[0], completed=0, visible=False)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=True)

        yield step, advance


def _counts_line(counts: dict[str, Any]) -> str:
    return ", ".join(f"{counts[t]:,} {t.replace('_', ' ')}" for t in KEY_TABLES if t in counts)


def _print_backup(result: dict[str, Any]) -> None:
    manifest = result["manifest"]
    out.print(
        f"[bold green]backup written[/]: {result['path']} ({result['size'] / 1e6:.1f} MB, "
        f"{result['files']} files, Bosun {manifest['bosun_version']}, {manifest['created_at']})",
        highlight=False,
        soft_wrap=True,
    )
    if manifest["counts"]:
        out.print(
            f"  database: {_counts_line(manifest['counts'])}", highlight=False, soft_wrap=True
        )
    elif manifest["database"]["kind"] == "postgresql":
        out.print("  database: NOT included (PostgreSQL: back it up with pg_dump, see below)")
    index = manifest["index"]
    if index.get("included"):
        out.print(f"  knowledge index: {index['points']:,} points", highlight=False)
    if manifest["external_documents"]:
        out.print(
            f"  {len(manifest['external_documents'])} document(s) ingested from outside the home "
            "are included",
            highlight=False,
        )
    for note in result["notes"]:
        err.print(f"[bold yellow]note:[/] {note}", highlight=False, soft_wrap=True)


def backup(
    file: Annotated[Path, typer.Argument(help="Archive to write (.tar.gz); must not exist.")],
) -> None:
    """Write a consistent archive of BOSUN_HOME: database, index, models, uploaded files.

    While bosun up runs, the server writes it (knowledge writes pause during the copy);
    otherwise the home is read directly.
    """
    from channels.app.local_server import (
        HomeLocked,
        ServerRefused,
        acquire_home,
        find_server,
        read_cli_keys,
    )
    from channels.app.settings import Settings
    from channels.backup.archive import BackupError, create_backup, summary

    settings = Settings()
    target = file.expanduser().resolve()
    # The whole home is one archive: any organization's admin CLI key asks the server for it.
    keys = read_cli_keys(settings.home) if settings.is_embedded else {}
    server = find_server(settings.home, str(min(keys))) if keys else None
    if server is not None:
        if target.exists():
            raise fail(f"{target} already exists; choose another file name or remove it")
        if not target.parent.is_dir():
            raise fail(f"the folder {target.parent} does not exist; create it first")
        # The server writes only under BOSUN_BACKUP_DIR; the archive is moved from there.
        staged = settings.backups.expanduser().resolve() / f".cli-{uuid.uuid4().hex}.tar.gz"
        with err.status("the running server is writing the backup (writes to the index pause)"):
            try:
                result = server.request(
                    "POST",
                    "/v1/admin/backup",
                    json={"path": str(staged)},
                    timeout=BACKUP_TIMEOUT_S,
                )
            except ServerRefused as error:
                raise fail(str(error)) from error
        if staged != target:
            shutil.move(staged, target)
            result["path"] = str(target)
        _print_backup(result)
        return
    if settings.is_embedded and not (settings.home / "bosun.db").exists():
        raise fail(f"there is no Bosun database at {settings.home}; check BOSUN_HOME")
    try:
        lock = acquire_home(settings.home)
    except HomeLocked as error:
        raise fail(
            f"bosun up is starting on {settings.home}; wait until it prints 'Bosun is ready' "
            "and run bosun backup again (it then writes the backup itself)"
        ) from error
    try:
        with _progress() as (step, advance):
            done = create_backup(settings, target, progress=step, on_bytes=advance)
    except BackupError as error:
        raise fail(str(error)) from error
    finally:
        lock.close()
    _print_backup(summary(done))


def restore(
    file: Annotated[Path, typer.Argument(help="Archive written by bosun backup.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a home that already holds data.")
    ] = False,
) -> None:
    """Bring a backup back into BOSUN_HOME (verified file by file before anything is touched)."""
    from channels.app.local_server import running_server_url
    from channels.app.settings import Settings
    from channels.backup.archive import BackupError, restore_backup

    settings = Settings()
    if running_server_url(settings.home) is not None:
        raise fail(f"bosun up is running on {settings.home}; stop it first, then restore again")
    try:
        with _progress() as (step, advance):
            result = restore_backup(file, settings, force=force, progress=step, on_bytes=advance)
    except BackupError as error:
        raise fail(str(error)) from error
    manifest = result.manifest
    out.print(
        f"[bold green]restored[/] {file} into {result.home}: {result.files} files from a backup "
        f"of {manifest['home']} taken {manifest['created_at']} (Bosun {manifest['bosun_version']})",
        highlight=False,
        soft_wrap=True,
    )
    if manifest["counts"]:
        out.print(
            f"  database: {_counts_line(manifest['counts'])}", highlight=False, soft_wrap=True
        )
    index = manifest["index"]
    if index.get("included"):
        out.print(f"  knowledge index: {index['points']:,} points", highlight=False)
    for note in result.notes:
        err.print(f"[bold yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    out.print("start it with: bosun up", highlight=False)
