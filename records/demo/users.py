"""The demo vessel's people: one user per role, as the demo history's roles refer to them."""

from __future__ import annotations

from dataclasses import dataclass

from records.demo.history_types import Role


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A demo user with a role on the demo vessel (shore and admin see the whole organization)."""

    name: str
    email: str
    role: Role
    position: str


def demo_users() -> tuple[DemoUser, ...]:
    """Return one demo user per role, in the order crew, officer, chief, shore, admin."""
    domain = "northern-offshore.example"
    return (
        DemoUser("Ola Berg", f"ola.berg@{domain}", "crew", "Motorman"),
        DemoUser("Sarah Lindqvist", f"sarah.lindqvist@{domain}", "officer", "Second engineer"),
        DemoUser("Ian MacLeod", f"ian.macleod@{domain}", "chief_engineer", "Chief engineer"),
        DemoUser("Kari Solberg", f"kari.solberg@{domain}", "shore", "Technical superintendent"),
        DemoUser("Tom Hansen", f"tom.hansen@{domain}", "admin", "Fleet systems administrator"),
    )
