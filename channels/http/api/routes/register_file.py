"""Register files over the API: import (YAML or CSV text) and export in the same format."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import v1_router
from records import Permission, register, register_import, require
from records.register_import import RegisterError

router = v1_router(tags=["register"])


class RegisterImport(BaseModel):
    """A register file's text, as the CLI sends it to a running server."""

    filename: str = Field(description="Chooses the format by extension: .yaml, .yml or .csv")
    content: str
    sensors_content: str | None = None
    vessel_name: str | None = None
    imo: str | None = None
    organization: str | None = None
    prune: bool = False


@router.post("/register/import")
def import_register(body: RegisterImport, session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """Create or update a vessel of the caller's organization from a register file."""
    require(caller, Permission.manage_register)
    suffix = body.filename.lower().rsplit(".", 1)[-1]
    if suffix in ("yaml", "yml"):
        spec = register_import.parse_yaml(body.content, body.filename)
    elif suffix == "csv":
        if not body.vessel_name or not body.imo:
            raise RegisterError(body.filename, None, "a CSV register needs vessel_name and imo")
        spec = register_import.parse_csv(
            body.content,
            vessel_name=body.vessel_name,
            imo=body.imo,
            sensors_text=body.sensors_content,
            source=body.filename,
        )
    else:
        raise RegisterError(body.filename, None, "use a .yaml, .yml or .csv register")
    report = register_import.import_register(
        session, spec, caller=caller, prune=body.prune, organization=body.organization
    )
    return register_import.import_report_dict(report)


@router.get("/register/export")
def export_register(
    session: SessionDep, caller: CallerDep, imo: str | None = None
) -> dict[str, Any]:
    """Return a vessel's register in the import format (the only vessel when imo is omitted)."""
    vessels = register.list_vessels(session, caller)
    if imo is not None:
        vessel_id = register.get_vessel_by_imo(session, caller, imo).id
    elif len(vessels) == 1:
        vessel_id = vessels[0].id
    else:
        raise RegisterError("export", None, "several vessels: pass imo")
    return register_import.export_register(session, caller, vessel_id)
