"""Where each organization's notices (alarms, new faults, overdue work) go on Slack and Telegram.

Routes map a vessel's IMO number, or ``*`` for every vessel of the organization, to a Slack
channel id or a Telegram chat id. They belong to one organization: a notice about a vessel is
sent only along the routes of the vessel's own organization.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import audit, snapshot
from records.context import Caller
from records.errors import invalid
from records.models import NotificationRoute, Vessel
from records.roles import Permission, require

PLATFORMS = ("slack", "telegram")
EVERY_VESSEL = "*"
MAX_DESTINATION = 200
_DESTINATION = re.compile(r"[A-Za-z0-9@#_.:+\-]{1,200}")

Routes = dict[str, dict[str, str]]
"""Platform -> (IMO or ``*``) -> destination."""


def empty_routes() -> Routes:
    """Return routes with every platform and no destination."""
    return {platform: {} for platform in PLATFORMS}


def get_routes(session: Session, caller: Caller) -> Routes:
    """Return the caller's organization's routes (admins only)."""
    require(caller, Permission.manage_notifications)
    return _rows_to_routes(_rows(session, caller.org_id))


def set_routes(session: Session, caller: Caller, routes: Mapping[str, Mapping[str, str]]) -> Routes:
    """Replace the organization's routes with ``routes`` (admins only); return them."""
    require(caller, Permission.manage_notifications)
    wanted = _validated(session, caller, routes)
    existing = {(r.platform, r.vessel): r for r in _rows(session, caller.org_id)}
    for (platform, vessel), row in existing.items():
        if vessel not in wanted.get(platform, {}):
            audit(session, caller, "delete", row)
            session.delete(row)
    for platform, targets in wanted.items():
        for vessel, destination in targets.items():
            found = existing.get((platform, vessel))
            if found is None:
                created = NotificationRoute(
                    org_id=caller.org_id, platform=platform, vessel=vessel, destination=destination
                )
                session.add(created)
                audit(session, caller, "create", created)
            elif found.destination != destination:
                before = snapshot(found)
                found.destination = destination
                audit(session, caller, "update", found, before)
    session.flush()
    return _rows_to_routes(_rows(session, caller.org_id))


def routes_by_organization(session: Session) -> dict[int, Routes]:
    """Return every organization's routes (system use: a session bound to all tenants)."""
    by_org: dict[int, list[NotificationRoute]] = {}
    for row in session.scalars(select(NotificationRoute).order_by(NotificationRoute.id)):
        by_org.setdefault(row.org_id, []).append(row)
    return {org_id: _rows_to_routes(rows) for org_id, rows in by_org.items()}


def destination_for(routes: Mapping[str, str], imo: str) -> str | None:
    """Return where one platform's notices about a vessel go, if anywhere."""
    return routes.get(imo) or routes.get(EVERY_VESSEL)


def _rows(session: Session, org_id: int) -> list[NotificationRoute]:
    stmt = select(NotificationRoute).where(NotificationRoute.org_id == org_id)
    return list(session.scalars(stmt.order_by(NotificationRoute.id)))


def _rows_to_routes(rows: list[NotificationRoute]) -> Routes:
    routes = empty_routes()
    for row in rows:
        routes.setdefault(row.platform, {})[row.vessel] = row.destination
    return routes


def _validated(session: Session, caller: Caller, routes: Mapping[str, Mapping[str, str]]) -> Routes:
    unknown = sorted(set(routes) - set(PLATFORMS))
    if unknown:
        raise invalid(
            f"unknown platform {', '.join(unknown)}: routes are for {' and '.join(PLATFORMS)}",
            field="platform",
        )
    imos = set(session.scalars(select(Vessel.imo).where(Vessel.org_id == caller.org_id)))
    clean = empty_routes()
    for platform, targets in routes.items():
        for vessel, destination in targets.items():
            key = vessel.strip()
            if key != EVERY_VESSEL and key not in imos:
                raise invalid(
                    f"{platform}: no vessel with IMO {key!r} in this organization "
                    f'(use an IMO of one of its vessels, or "{EVERY_VESSEL}" for all)',
                    field=f"{platform}.{key}",
                )
            target = destination.strip()
            if not _DESTINATION.fullmatch(target):
                raise invalid(
                    f"{platform}.{key}: {destination!r} is not a channel or chat id "
                    f"(1 to {MAX_DESTINATION} letters, digits or - _ . : @ # +)",
                    field=f"{platform}.{key}",
                )
            clean[platform][key] = target
    return clean


__all__ = [
    "EVERY_VESSEL",
    "PLATFORMS",
    "Routes",
    "destination_for",
    "empty_routes",
    "get_routes",
    "routes_by_organization",
    "set_routes",
]
