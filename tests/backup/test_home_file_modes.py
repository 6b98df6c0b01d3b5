"""After ``bosun backup`` and ``bosun restore`` nothing under the home is readable by others.

Issue 15, finding 3 (the running-server path is checked in test_backup_restore).
"""

from __future__ import annotations

from pathlib import Path

from channels.app.home_files import loose_files
from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from channels.backup.archive import create_backup, restore_backup

SECRETS = ("secret.key", "demo-keys.txt", "cli-keys/1.key")


def _loose_home(home: Path) -> None:
    """A home as an older version left it: secrets and the database 0644, folders 0755."""
    open_bosun(Settings(home=home)).close()
    for name in SECRETS:
        path = home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("secret\n")
    for path in [home, *home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert "secret.key 0o644" in loose_files(home)


def test_backup_and_restore_leave_owner_only_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _loose_home(home)
    archive = tmp_path / "home.tar.gz"
    create_backup(Settings(home=home), archive)
    assert loose_files(home) == []
    assert archive.stat().st_mode & 0o777 == 0o600

    target = tmp_path / "elsewhere" / "home"
    restore_backup(archive, Settings(home=target))
    assert loose_files(target) == []
    for name in (*SECRETS, "bosun.db"):
        assert (target / name).stat().st_mode & 0o777 == 0o600, name
    assert (target / "cli-keys").stat().st_mode & 0o777 == 0o700
