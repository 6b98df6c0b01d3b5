"""Equipment names from the register, as spelling hints: what goes in, and walls between orgs."""

from __future__ import annotations

from channels.app.runtime import Bosun
from channels.chat.voice import hint_text
from channels.services.speech import register_hints
from records import Role, users
from tests.api.conftest import Tenant, make_tenant
from tests.voice.conftest import EXTRA_EQUIPMENT


def _caller(bosun: Bosun, tenant: Tenant, role: Role):  # type: ignore[no-untyped-def]
    from records import ALL_TENANTS

    with bosun.db.transaction(ALL_TENANTS) as session:
        return users.authenticate_key(session, tenant.keys[role], channel="api")


def test_hints_are_the_callers_register_systems_first(voice_bosun: Bosun, crew: Tenant) -> None:
    caller = _caller(voice_bosun, crew, Role.crew)
    with voice_bosun.db.transaction(caller) as session:
        names = register_hints(session, caller)
    assert set(EXTRA_EQUIPMENT.values()) | {
        "Main engines",
        "Fire pump",
        "Main engine No. 1",
    } == set(names)
    # Machines come before the systems grouping them (the prompt keeps the first ones).
    assert names.index("Main engine No. 1") < names.index("Main engines")


def test_hints_never_cross_organizations(voice_bosun: Bosun, crew: Tenant) -> None:
    other = make_tenant(voice_bosun)
    caller = _caller(voice_bosun, other, Role.crew)
    with voice_bosun.db.transaction(caller) as session:
        names = register_hints(session, caller)
    assert not set(EXTRA_EQUIPMENT.values()) & set(names)


def test_hints_of_one_vessel_only(voice_bosun: Bosun, crew: Tenant) -> None:
    caller = _caller(voice_bosun, crew, Role.admin)
    with voice_bosun.db.transaction(caller) as session:
        assert register_hints(session, caller, crew.other_vessel_id) == []
        assert "Fire pump" in register_hints(session, caller, crew.vessel_id)


def test_hint_text_drops_duplicates_and_stops_at_the_cap() -> None:
    names = [
        "Fire pump",
        "fire  pump",
        "",
        "Bow thruster No. 1",
        *[f"Pump {i}" for i in range(500)],
    ]
    text = hint_text(names, max_tokens=120, count_tokens=len)
    assert text.startswith("Fire pump; Bow thruster No. 1; Pump 0; ")
    assert text.count("Fire pump") == 1
    assert len(text) <= 120 < len(text) + len("; Pump 99")
