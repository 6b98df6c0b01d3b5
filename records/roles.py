"""What each role may do."""

from __future__ import annotations

import enum

from records.context import Caller
from records.errors import forbidden
from records.models import Role


class Permission(enum.StrEnum):
    """Things a caller may be allowed to do."""

    read = "read"
    ask = "ask"
    report_fault = "report_fault"
    create_work_order = "create_work_order"
    update_work_order = "update_work_order"
    acknowledge_fault = "acknowledge_fault"
    close_fault = "close_fault"
    manage_register = "manage_register"
    manage_plans = "manage_plans"
    manage_users = "manage_users"
    manage_keys = "manage_keys"
    manage_notifications = "manage_notifications"
    curate_knowledge = "curate_knowledge"
    write_readings = "write_readings"


_CREW = {Permission.read, Permission.ask, Permission.report_fault}
_OFFICER = _CREW | {Permission.create_work_order, Permission.update_work_order}
_CHIEF = _OFFICER | {
    Permission.acknowledge_fault,
    Permission.close_fault,
    Permission.manage_register,
    Permission.manage_plans,
    Permission.write_readings,
}
_SHORE = {Permission.read, Permission.ask, Permission.create_work_order}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.crew: frozenset(_CREW),
    Role.officer: frozenset(_OFFICER),
    Role.chief_engineer: frozenset(_CHIEF),
    Role.shore: frozenset(_SHORE),
    Role.admin: frozenset(Permission),
}


RANK: dict[Role, int] = {
    Role.crew: 0,
    Role.officer: 1,
    Role.chief_engineer: 2,
    Role.shore: 1,
    Role.admin: 3,
}
"""Seniority: an action addressed to a role may be decided by that role or a senior one."""

_ON_BOARD_CONFIRMERS = tuple(
    r for r in sorted(Role, key=RANK.__getitem__) if r not in (Role.crew, Role.shore)
)
"""Who may confirm a crew member's request, most junior first (by ``RANK``)."""


def confirming_role(caller: Caller, permission: Permission) -> Role | None:
    """Return the role that must confirm what the caller may propose but not carry out.

    Crew on board may ask for any change (a work order done, a job raised); the most junior
    role that holds the permission confirms it. ``None`` where the caller may not even
    propose it (no right to report faults, so not a crew member of the vessel).
    """
    if can(caller, permission) or not can(caller, Permission.report_fault):
        return None
    return next(r for r in _ON_BOARD_CONFIRMERS if permission in GRANTS[r])


def can(caller: Caller, permission: Permission) -> bool:
    """Whether the caller's role grants the permission."""
    return permission in GRANTS[caller.role]


def require(caller: Caller, permission: Permission) -> None:
    """Raise ``forbidden`` unless the caller's role grants the permission."""
    if not can(caller, permission):
        raise forbidden(f"role {caller.role.value} may not {permission.value.replace('_', ' ')}")
