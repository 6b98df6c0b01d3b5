"""Predictor models: versions with metrics, activate, roll back; latest predictions."""

from __future__ import annotations

from typing import Any

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import v1_router
from channels.http.api.schemas.common import Id
from records import BosunError, ErrorCode, model_registry, register

router = v1_router(tags=["predictors"])


def _model(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "equipment_class": m.equipment_class,
        "version": m.version,
        "active": m.active,
        "task": m.task,
        "horizon_days": m.horizon_days,
        "metrics": m.metrics,
        "features": m.features,
        "data_from": m.data_from.isoformat() if m.data_from else None,
        "data_to": m.data_to.isoformat() if m.data_to else None,
        "created_at": m.created_at.isoformat(),
    }


@router.get("/models")
def list_models(
    session: SessionDep, caller: CallerDep, equipment_class: str | None = None
) -> dict[str, Any]:
    """List model versions, newest first per class."""
    return {
        "items": [_model(m) for m in model_registry.list_models(session, caller, equipment_class)]
    }


@router.post("/models/{model_id}/activate")
def activate(model_id: Id, session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """Make a version the active model of its class."""
    mv = model_registry.get_model(session, caller, model_id)
    return _model(model_registry.activate_model(session, caller, mv))


@router.post("/models/rollback")
def rollback(equipment_class: str, session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """Re-activate the version before the active one."""
    return _model(model_registry.roll_back(session, caller, equipment_class))


@router.get("/equipment/{equipment_id}/prediction")
def latest_prediction(equipment_id: Id, session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """Return the newest failure-risk prediction of a piece of equipment with its factors."""
    register.get_equipment(session, caller, equipment_id)
    p = model_registry.latest_prediction(session, caller, equipment_id)
    if p is None:
        raise BosunError(
            ErrorCode.not_found,
            f"no prediction for equipment {equipment_id} yet; "
            "train a model for its class (bosun train)",
        )
    return {
        "equipment_id": equipment_id,
        "as_of": p.as_of.isoformat(),
        "risk": p.risk,
        "model_version_id": p.model_version_id,
        "factors": p.factors,
        "anomalies": p.anomalies,
    }
