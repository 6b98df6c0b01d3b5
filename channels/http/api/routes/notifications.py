"""Where the organization's notices go: ``GET|PUT /v1/notifications/routes`` (admin)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import v1_router
from records import notify_routes

router = v1_router(tags=["notifications"])

Target = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Targets = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=20)], Target],
    Field(max_length=1000),
]


class NotificationRoutes(BaseModel):
    """Vessel IMO (or ``*`` for every vessel of the organization) -> channel or chat id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"slack": {"*": "C0123ABC"}, "telegram": {"9876543": "-100123"}}]
        },
    )

    slack: Targets = Field(default_factory=dict, description="IMO or * -> Slack channel id.")
    telegram: Targets = Field(default_factory=dict, description="IMO or * -> Telegram chat id.")


@router.get("/notifications/routes")
def get_routes(session: SessionDep, caller: CallerDep) -> NotificationRoutes:
    """Show where this organization's alarms, new faults and overdue work are posted (admin)."""
    return NotificationRoutes.model_validate(notify_routes.get_routes(session, caller))


@router.put("/notifications/routes")
def put_routes(
    body: NotificationRoutes, session: SessionDep, caller: CallerDep
) -> NotificationRoutes:
    """Replace this organization's notice routes (admin); ``{}`` for a platform stops it."""
    routes = notify_routes.set_routes(session, caller, body.model_dump())
    return NotificationRoutes.model_validate(routes)
