"""Local administration: a consistent backup of the running home (``bosun backup``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field

from channels.backup.archive import BackupError, create_backup, summary
from channels.http.api.deps import BosunDep, CallerDep
from channels.http.api.routes.common import v1_router
from channels.services.knowledge import open_knowledge
from records import BosunError, ErrorCode, Role

router = v1_router(tags=["admin"])
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class BackupIn(BaseModel):
    """Where the server writes the archive (a path on the server's own machine)."""

    path: str = Field(min_length=1, max_length=4096, description="Absolute path of a new file.")


@router.post("/admin/backup")
def backup(body: BackupIn, request: Request, bosun: BosunDep, caller: CallerDep) -> dict[str, Any]:
    """Write a consistent backup archive of this home (admin, from this machine only).

    Knowledge writes pause while the database and the vector index are copied, so the
    archive's index matches its database; requests and reads carry on.
    """
    if caller.role is not Role.admin:
        raise BosunError(ErrorCode.forbidden, "only an admin may back up Bosun")
    target = Path(body.path)
    if not target.is_absolute() or "\x00" in body.path:
        raise BosunError(
            ErrorCode.invalid, "path must be absolute (the server's working folder differs)"
        )
    folder = bosun.settings.backups.expanduser().resolve()
    target = Path(os.path.normpath(target))
    if folder not in target.parents:
        raise BosunError(
            ErrorCode.invalid,
            f"the server writes backups only under {folder} (BOSUN_BACKUP_DIR); "
            "bosun backup FILE moves the archive where you want it",
            field="path",
        )
    client = request.client.host if request.client else ""
    if client not in _LOOPBACK:
        raise BosunError(
            ErrorCode.forbidden,
            "backups are written on the server's machine: run bosun backup there",
        )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    service = open_knowledge(bosun)
    # The embedded index lives in this process: pause its writers during the copy.
    kb = None if service.settings.qdrant_url else service.kb
    try:
        result = create_backup(bosun.settings, target, knowledge=kb)
    except BackupError as err:
        raise BosunError(ErrorCode.conflict, str(err)) from err
    return summary(result)
