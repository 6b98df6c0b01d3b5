"""What every ``bosun`` command shares: the settings, the running server, the organization.

Kept light on purpose: ``bosun --help`` imports this, so heavy packages (SQLAlchemy models,
FastAPI, torch, the connectors' protocol stacks) are imported inside the functions that
need them.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from channels.cli.console import fail

if TYPE_CHECKING:
    from channels.app.local_server import LocalServer
    from channels.app.runtime import Bosun
    from channels.app.settings import Settings

OrganizationOption = Annotated[
    str | None,
    typer.Option(
        "--organization",
        help="Organization name (or id) to act in; needed when the home holds several.",
    ),
]


class RoleName(enum.StrEnum):
    """``records.Role``'s values, spelled out so ``--help`` needs no models (a test pins them)."""

    crew = "crew"
    officer = "officer"
    chief_engineer = "chief_engineer"
    shore = "shore"
    admin = "admin"


def settings() -> Settings:
    """Return the ``BOSUN_`` settings."""
    from channels.app.settings import Settings

    return Settings()


def server(config: Settings, organization: str | None = None) -> LocalServer | None:
    """Return the ``bosun up`` serving this home, with the chosen organization's CLI key."""
    if not config.is_embedded:
        return None
    from channels.app.local_server import OrganizationNeeded, find_server

    try:
        return find_server(config.home, organization)
    except OrganizationNeeded as error:
        raise fail(str(error)) from error


def open_home(config: Settings) -> Bosun:
    """Open the home directly (no server runs on it), creating and migrating it when needed."""
    from channels.app.runtime import open_bosun

    return open_bosun(config)


def organization_id(bosun: Bosun, organization: str | None) -> int:
    """Return the id of the named organization, or of the only one (never create one)."""
    from records import ALL_TENANTS, BosunError, register_import

    try:
        with bosun.db.transaction(ALL_TENANTS) as s:
            return register_import.find_organization(s, organization).id
    except BosunError as error:
        raise fail(error.message) from error


def vessel_ids_by_imo(server_: LocalServer) -> dict[str, int]:
    """Return the server's vessels (of the key's organization) by IMO."""
    found: dict[str, int] = {}
    for vessel in server_.request("GET", "/v1/vessels")["items"]:
        found[str(vessel["imo"])] = int(vessel["id"])
    return found


def user_id_by_email(server_: LocalServer, email: str) -> int:
    """Return the id of the organization's user with this email."""
    cursor = None
    wanted = email.strip().lower()
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = server_.request("GET", "/v1/users", params=params)
        for user in page["items"]:
            if user["email"] == wanted:
                return int(user["id"])
        cursor = page["next_cursor"]
        if not cursor:
            raise fail(f"no user with email {email}; add one with: bosun users add")
