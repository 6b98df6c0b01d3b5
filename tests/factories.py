"""Test data made through the records services the app uses, so it follows the domain rules.

Organizations, vessels, users and API keys one at a time, or :func:`tenant` for a fresh
organization with a vessel and one user per role. Each call commits its own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from records import ALL_TENANTS, Caller, Database, Role, register, system_caller, users
from records import register_import as importer
from records.register_import import ImportReport

if TYPE_CHECKING:
    from channels.app.runtime import Bosun

SHORE_SIDE = (Role.shore, Role.admin)
"""Roles that see the whole fleet: the tenant gives them no vessel list."""


def organization(db: Database, name: str | None = None) -> int:
    """Return the id of the organization with this name (created if missing; fresh if None)."""
    with db.transaction(ALL_TENANTS) as s:
        return register.get_or_create_organization(s, name or unique_name()).id


def vessel(db: Database, org_id: int, *, name: str, imo: str, type: str | None = None) -> int:
    """Add (or update) a vessel; return its id."""
    with db.transaction(org_id) as s:
        found, _ = register.upsert_vessel(s, system_caller(org_id), name=name, imo=imo, type=type)
        s.flush()
        return found.id


def import_register(db: Database, org_id: int, spec_yaml: str) -> ImportReport:
    """Import a register (YAML, as ``bosun register import`` reads it) into an organization."""
    with db.transaction(org_id) as s:
        return importer.import_register(s, importer.parse_yaml(spec_yaml))


@dataclass
class Person:
    """A user made by :func:`user`: its id and the caller it acts as."""

    id: int
    caller: Caller


def user(
    db: Database,
    org_id: int,
    role: Role,
    *,
    vessel_ids: Iterable[int] = (),
    email: str | None = None,
    name: str | None = None,
) -> Person:
    """Add a user to an organization."""
    with db.transaction(org_id) as s:
        made = users.create_user(
            s,
            system_caller(org_id),
            name=name or f"{role.value} user",
            email=email or f"{role.value}-{uuid.uuid4().hex[:8]}@{org_id}.example",
            role=role,
            vessel_ids=list(vessel_ids),
        )
        s.flush()
        return Person(made.id, users.caller_for(made, "test"))


def api_key(db: Database, org_id: int, user_id: int, *, name: str = "test") -> str:
    """Issue an API key for a user; return its secret."""
    with db.transaction(org_id) as s:
        owner = users.get_user(s, system_caller(org_id), user_id)
        return users.create_api_key(s, system_caller(org_id), user=owner, name=name).secret


@dataclass
class Tenant:
    """An organization with a vessel and one user per role (their callers, ids and keys)."""

    db: Database
    org_id: int
    vessel_id: int
    callers: dict[Role, Caller]
    user_ids: dict[Role, int]
    keys: dict[Role, str] = field(default_factory=dict)
    equipment_ids: dict[str, int] = field(default_factory=dict)
    """Equipment ids by code, for tenants made with a register."""

    def __getitem__(self, role: Role) -> Caller:
        return self.callers[role]

    def auth(self, role: Role) -> dict[str, str]:
        """Headers carrying the API key of the user with this role."""
        return {"Authorization": f"Bearer {self.keys[role]}"}

    @property
    def admin(self) -> Caller:
        return self.callers[Role.admin]


def unique_name() -> str:
    """Return an organization name no other test uses."""
    return f"Org {uuid.uuid4().hex[:8]}"


def tenant(
    db: Database,
    *,
    name: str | None = None,
    vessel_name: str | None = None,
    imo: str | None = None,
    spec_yaml: str | None = None,
    roles: Iterable[Role] = tuple(Role),
    fleet_wide: Iterable[Role] = (),
    with_keys: bool = False,
    email: str = "{role}@{org_id}.example",
) -> Tenant:
    """Create a fresh organization with a vessel and a user per role.

    The vessel comes from ``spec_yaml`` (a register, ``{org}`` and ``{imo}`` filled in) or is a
    bare PSV. Users in ``fleet_wide`` get no vessel list; ``with_keys`` issues an API key each.
    """
    name = name or unique_name()
    org_id = organization(db, name)
    imo = imo or str(9_000_000 + org_id)
    codes: dict[str, int] = {}
    if spec_yaml is not None:
        report = import_register(db, org_id, spec_yaml.format(org=name, imo=imo))
        vessel_id = report.vessel_id
        with db.transaction(org_id) as s:
            items = register.equipment_of_vessel(s, system_caller(org_id), vessel_id)
            codes = {item.code: item.id for item in items}
    else:
        vessel_id = vessel(db, org_id, name=vessel_name or f"MV {name}", imo=imo, type="PSV")
    made = Tenant(db, org_id, vessel_id, callers={}, user_ids={}, equipment_ids=codes)
    shore = set(fleet_wide)
    for role in roles:
        person = user(
            db,
            org_id,
            role,
            vessel_ids=[] if role in shore else [vessel_id],
            email=email.format(role=role.value, org_id=org_id, name=name),
        )
        made.callers[role] = person.caller
        made.user_ids[role] = person.id
        if with_keys:
            made.keys[role] = api_key(db, org_id, person.id)
    return made


@contextmanager
def ready_bosun(home: Path, **settings: Any) -> Iterator[Bosun]:
    """A running Bosun on a fresh ``home``, marked ready, embedding with torch.

    torch, not the default int8 ONNX model, because ONNX is exported once per home and a
    test home is thrown away.
    """
    from channels.app.runtime import open_bosun
    from channels.app.settings import Settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOSUN_EMBEDDER", "torch")
        running = open_bosun(Settings(home=home, **settings))
        running.startup.ready.set()
        try:
            yield running
        finally:
            running.close()
