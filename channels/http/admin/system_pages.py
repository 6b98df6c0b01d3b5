"""The machinery: connector health and the predictor models."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import Request
from fastapi.responses import Response

from channels.http.admin.web import CheckedForm, SignedIn, Site, back, page_router, render
from records import BosunError, model_registry

router = page_router()


@router.get("/connectors")
def connectors_page(request: Request, site: Site, session: SignedIn) -> Response:
    """Show each data source's health (when the connectors run)."""
    running = site.bosun.connectors
    sources = [asdict(h) for h in running.health()] if running is not None else []
    return render(request, "connectors.html", session, running=running is not None, sources=sources)


@router.get("/models")
def models_page(request: Request, site: Site, session: SignedIn) -> Response:
    """List the predictor models and which is active per class."""
    with site.bosun.db.transaction(session.caller) as s:
        models = [
            {
                "id": m.id,
                "equipment_class": m.equipment_class,
                "version": m.version,
                "active": m.active,
                "metrics": m.metrics or {},
                "created_at": m.created_at,
            }
            for m in model_registry.list_models(s, session.caller)
        ]
    return render(request, "models.html", session, models=models)


@router.post("/models/{model_id}/activate")
async def activate(site: Site, session: SignedIn, _form: CheckedForm, model_id: int) -> Response:
    """Make a model version the active one of its class."""
    try:
        with site.bosun.db.transaction(session.caller) as s:
            mv = model_registry.get_model(s, session.caller, model_id)
            model_registry.activate_model(s, session.caller, mv)
    except BosunError as err:
        return back("/admin/models", err.message, error=True)
    return back("/admin/models", f"Model {model_id} is now active.")
