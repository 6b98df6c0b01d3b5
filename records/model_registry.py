"""Trained predictor versions (one active per equipment class) and their predictions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.common import audit, get_owned, scoped, snapshot
from records.context import Caller
from records.errors import BosunError, ErrorCode
from records.models import ModelVersion, Prediction
from records.roles import Permission, require


def register_model(
    session: Session,
    caller: Caller,
    *,
    equipment_class: str,
    artifact_path: str,
    features: list[str],
    params: dict[str, Any],
    metrics: dict[str, Any],
    data_from: datetime | None,
    data_to: datetime | None,
    horizon_days: int = 14,
    task: str = "failure_risk",
    activate: bool = True,
) -> ModelVersion:
    """Store a trained model as the class's next version (active by default)."""
    require(caller, Permission.manage_register)
    latest = session.scalar(
        select(func.max(ModelVersion.version)).where(
            ModelVersion.org_id == caller.org_id, ModelVersion.equipment_class == equipment_class
        )
    )
    mv = ModelVersion(
        org_id=caller.org_id,
        equipment_class=equipment_class,
        version=(latest or 0) + 1,
        task=task,
        horizon_days=horizon_days,
        features=features,
        params=params,
        metrics=metrics,
        data_from=data_from,
        data_to=data_to,
        artifact_path=artifact_path,
    )
    session.add(mv)
    audit(session, caller, "create", mv)
    if activate:
        activate_model(session, caller, mv)
    return mv


def list_models(
    session: Session, caller: Caller, equipment_class: str | None = None
) -> list[ModelVersion]:
    """Return model versions, newest first."""
    stmt = scoped(select(ModelVersion), ModelVersion, caller)
    if equipment_class:
        stmt = stmt.where(ModelVersion.equipment_class == equipment_class)
    return list(
        session.scalars(stmt.order_by(ModelVersion.equipment_class, ModelVersion.version.desc()))
    )


def get_model(session: Session, caller: Caller, model_id: int) -> ModelVersion:
    """Return one model version."""
    return get_owned(session, caller, ModelVersion, model_id)


def active_model(session: Session, caller: Caller, equipment_class: str) -> ModelVersion | None:
    """Return the active version for an equipment class, if any."""
    return session.scalar(
        scoped(select(ModelVersion), ModelVersion, caller).where(
            ModelVersion.equipment_class == equipment_class, ModelVersion.active.is_(True)
        )
    )


def activate_model(session: Session, caller: Caller, mv: ModelVersion) -> ModelVersion:
    """Make a version the active one of its class."""
    require(caller, Permission.manage_register)
    current = active_model(session, caller, mv.equipment_class)
    if current is not None and current.id != mv.id:
        before = snapshot(current)
        current.active = False
        audit(session, caller, "deactivate", current, before)
        session.flush()
    before = snapshot(mv)
    mv.active = True
    audit(session, caller, "activate", mv, before)
    return mv


def roll_back(session: Session, caller: Caller, equipment_class: str) -> ModelVersion:
    """Re-activate the version before the active one."""
    current = active_model(session, caller, equipment_class)
    if current is None:
        raise BosunError(ErrorCode.not_found, f"no active model for class {equipment_class}")
    previous = session.scalar(
        scoped(select(ModelVersion), ModelVersion, caller)
        .where(
            ModelVersion.equipment_class == equipment_class, ModelVersion.version < current.version
        )
        .order_by(ModelVersion.version.desc())
    )
    if previous is None:
        raise BosunError(ErrorCode.conflict, f"version {current.version} is the first one")
    return activate_model(session, caller, previous)


def add_prediction(
    session: Session,
    caller: Caller,
    *,
    equipment_id: int,
    model_version_id: int,
    as_of: datetime,
    risk: float,
    factors: list[dict[str, Any]],
    anomalies: list[dict[str, Any]] | None = None,
) -> Prediction:
    """Store a prediction (not audited: it is computed, not a change someone made)."""
    pred = Prediction(
        org_id=caller.org_id,
        equipment_id=equipment_id,
        model_version_id=model_version_id,
        as_of=as_of,
        risk=risk,
        factors=factors,
        anomalies=list(anomalies or []),
    )
    session.add(pred)
    return pred


def latest_prediction(session: Session, caller: Caller, equipment_id: int) -> Prediction | None:
    """Return the newest prediction for a piece of equipment."""
    return session.scalar(
        scoped(select(Prediction), Prediction, caller)
        .where(Prediction.equipment_id == equipment_id)
        .order_by(Prediction.as_of.desc(), Prediction.id.desc())
    )
