"""Where a ``bosun`` command acts: the running ``bosun up``, or the home itself.

While ``bosun up`` serves a home, the embedded stores allow that one process, so a command
reaches the home through the server's API (:class:`ServerHome`); without a server it opens
the home directly, creating and migrating it when needed (:class:`LocalHome`). Commands are
written once against :class:`Home` and get theirs from :func:`reach`.

Kept light like :mod:`channels.cli.context`: heavy packages are imported where they are used.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from channels.cli.console import err, fail, out
from channels.cli.context import open_home, organization_id, user_id_by_email, vessel_ids_by_imo
from channels.cli.context import server as find_server
from channels.cli.context import settings as cli_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from channels.app.local_server import LocalServer
    from channels.app.runtime import Bosun
    from channels.app.settings import Settings
    from records import Caller, User
    from records.register_import import RegisterSpec

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RegisterOptions:
    """``bosun import register``'s file and options (``organization``: the one it names)."""

    file: Path
    sensors: Path | None
    vessel_name: str | None
    imo: str | None
    organization: str | None
    prune: bool


Turn = Callable[[str, bool], dict[str, Any]]
"""Send one message (text, whether it came from speech); return the reply as the API gives it."""


class Home(Protocol):
    """What the commands do to a home, whichever way they reach it."""

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API as the organization's admin; return the JSON body (None when empty)."""
        ...

    def import_register(self, spec: RegisterSpec, options: RegisterOptions) -> dict[str, Any]:
        """Import a register file loaded as ``spec``; return the report as the API gives it."""
        ...

    def export_register(self, imo: str | None) -> dict[str, Any]:
        """Return a vessel's register (the only vessel's without ``imo``)."""
        ...

    def add_user(self, *, name: str, email: str, role: str, imos: list[str]) -> dict[str, Any]:
        """Create a user on the vessels with these IMOs; return its id, email and role."""
        ...

    def set_password(self, email: str, password: str) -> None:
        """Set the admin-pages password of the user with this email."""
        ...

    def link_code(self, email: str) -> str:
        """Issue a one-time /link code for the user with this email."""
        ...

    def create_key(self, email: str, name: str) -> str:
        """Create an API key acting as the user with this email; return its secret."""
        ...

    def ingest(
        self,
        files: list[Path],
        *,
        kind: str,
        vessel: str | None,
        equipment: list[str],
        tags: list[str],
        force: bool,
    ) -> int:
        """Ingest files, printing what became of each; return how many failed."""
        ...

    def chat(self, email: str | None, imo: str | None, *, conversation: bool) -> Turn:
        """Return how to send turns as the user (the vessel's chief engineer by default).

        ``conversation``: the turns belong to one conversation (``bosun chat``), else each
        stands alone where the home allows it (``bosun ask``).
        """
        ...


def reach(organization: str | None = None) -> Home:
    """Return the home the commands act on: through ``bosun up`` when it serves it."""
    config = cli_settings()
    server = find_server(config, organization)
    if server is not None:
        return ServerHome(server)
    return LocalHome(config, organization)


def errors() -> tuple[type[Exception], ...]:
    """Return the errors a command turns into a one-line failure (either way of reaching)."""
    from channels.app.local_server import ServerRefused
    from records import BosunError

    return (BosunError, ServerRefused)


class ServerHome:
    """The home served by ``bosun up``, reached through its API with the organization's key."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the server's API with the organization's CLI key."""
        from channels.app.local_server import ServerRefused

        try:
            return self.server.request(method, path, **kwargs)
        except ServerRefused as error:
            raise fail(str(error)) from error

    def import_register(self, spec: RegisterSpec, options: RegisterOptions) -> dict[str, Any]:
        """Send the register file to the server, which loads it again."""
        del spec  # the server loads the file itself
        sensors = options.sensors
        payload = {
            "filename": options.file.name,
            "content": options.file.read_text(encoding="utf-8"),
            "sensors_content": sensors.read_text(encoding="utf-8") if sensors else None,
            "vessel_name": options.vessel_name,
            "imo": options.imo,
            "organization": options.organization,
            "prune": options.prune,
        }
        return dict(self.api("POST", "/v1/register/import", json=payload))

    def export_register(self, imo: str | None) -> dict[str, Any]:
        """Return the register the server exports."""
        data: dict[str, Any] = self.server.request(
            "GET", "/v1/register/export", params={"imo": imo} if imo else None
        )
        return data

    def add_user(self, *, name: str, email: str, role: str, imos: list[str]) -> dict[str, Any]:
        """Create the user through the API (IMOs resolved within the key's organization)."""
        by_imo = vessel_ids_by_imo(self.server)
        unknown = [imo for imo in imos if imo not in by_imo]
        if unknown:
            raise fail(f"no vessel with IMO {', '.join(unknown)} in this organization")
        created: dict[str, Any] = self.server.request(
            "POST",
            "/v1/users",
            json={
                "name": name,
                "email": email,
                "role": role,
                "vessel_ids": [by_imo[imo] for imo in imos],
            },
        )
        return created

    def set_password(self, email: str, password: str) -> None:
        """Set the password through the API."""
        user_id = user_id_by_email(self.server, email)
        self.server.request("PATCH", f"/v1/users/{user_id}", json={"password": password})

    def link_code(self, email: str) -> str:
        """Issue the code through the API."""
        user_id = user_id_by_email(self.server, email)
        return str(self.server.request("POST", f"/v1/users/{user_id}/link-codes")["code"])

    def create_key(self, email: str, name: str) -> str:
        """Create the key through the API."""
        user_id = user_id_by_email(self.server, email)
        created = self.server.request(
            "POST", "/v1/api-keys", json={"name": name, "user_id": user_id}
        )
        return str(created["secret"])

    def ingest(
        self,
        files: list[Path],
        *,
        kind: str,
        vessel: str | None,
        equipment: list[str],
        tags: list[str],
        force: bool,
    ) -> int:
        """Upload each file; print "indexed", "unchanged" or "failed" per file."""
        from channels.app.local_server import ServerRefused

        vessels = vessel_ids_by_imo(self.server)
        if vessel and vessel not in vessels:
            raise fail(f"no vessel with IMO {vessel} in this organization")
        failed = 0
        for f in files:
            data = {"kind": kind, "equipment_codes": ",".join(equipment), "tags": ",".join(tags)}
            if vessel:
                data["vessel_id"] = str(vessels[vessel])
            try:
                with f.open("rb") as handle:
                    result = self.server.request(
                        "POST", "/v1/documents", data=data, files={"file": (f.name, handle)}
                    )
            except ServerRefused as error:
                err.print(f"failed {f}: {error}")
                failed += 1
                continue
            state = (
                "unchanged"
                if result["unchanged"]
                else ("failed" if result["failed"] else "indexed")
            )
            out.print(f"{state}: {f}")
        return failed

    def chat(self, email: str | None, imo: str | None, *, conversation: bool) -> Turn:
        """Chat through the server, under a chat token of the user when one is named."""
        return _ServerChat(self.server, email, imo).turn


class _ServerChat:
    """Turns through a running ``bosun up``, as a user: with ``--user``, under a chat token.

    The organization's CLI key asks ``POST /v1/chat/tokens`` for a token of that user (the
    issue is audited with both), so the turn runs with the user's role and vessels.
    """

    def __init__(self, server: LocalServer, email: str | None, imo: str | None) -> None:
        from channels.app.local_server import LocalServer

        self.conversation = f"cli-{uuid.uuid4().hex[:8]}"
        self.vessel_id = None
        if imo:
            vessels = vessel_ids_by_imo(server)
            if imo not in vessels:
                raise fail(f"no vessel with IMO {imo}")
            self.vessel_id = vessels[imo]
        self.server = server
        if email:
            token = server.request("POST", "/v1/chat/tokens", json={"user": email})["token"]
            self.server = LocalServer(server.url, token)

    def turn(self, text: str, voice: bool = False) -> dict[str, Any]:
        """Send one message; return the reply as the API gives it."""
        body: dict[str, Any] = {"text": text, "voice": voice, "conversation": self.conversation}
        if self.vessel_id is not None:
            body["vessel_id"] = self.vessel_id
        result: dict[str, Any] = self.server.request("POST", "/v1/chat/turns", json=body)
        return result


class LocalHome:
    """The home opened in this process (no server runs on it), acting as the command line."""

    def __init__(self, config: Settings, organization: str | None) -> None:
        self.settings = config
        self.organization = organization
        self._bosun: Bosun | None = None
        self._key: str | None = None

    @property
    def bosun(self) -> Bosun:
        """The home, opened (created and migrated when needed) on first use."""
        if self._bosun is None:
            self._bosun = open_home(self.settings)
        return self._bosun

    def _caller(self) -> tuple[int, Caller]:
        from records import system_caller

        org_id = organization_id(self.bosun, self.organization)
        return org_id, system_caller(org_id, "cli")

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API in this process with a short-lived admin key."""
        from fastapi.testclient import TestClient

        from channels.http.app import create_app

        if self._key is None:
            self._key = _admin_key(self.bosun, self.organization)
        with TestClient(create_app(self.bosun)) as client:
            response = client.request(
                method, path, headers={"Authorization": f"Bearer {self._key}"}, **kwargs
            )
        if response.status_code >= 400:
            raise fail(response.json().get("detail", response.text))
        return response.json() if response.content else None

    def import_register(self, spec: RegisterSpec, options: RegisterOptions) -> dict[str, Any]:
        """Import into the organization the file or option names."""
        from records import ALL_TENANTS, register_import

        named = options.organization
        with self.bosun.db.transaction(ALL_TENANTS) as s:
            org_id = register_import.resolve_organization(s, named).id
        with self.bosun.db.transaction(org_id) as s:
            return register_import.import_report_dict(
                register_import.import_register(s, spec, prune=options.prune, organization=named)
            )

    def export_register(self, imo: str | None) -> dict[str, Any]:
        """Export from the home's database."""
        from records import ALL_TENANTS, register, register_import, system_caller

        db = self.bosun.db
        if self.organization is None and imo is not None:
            with db.transaction(ALL_TENANTS) as s:
                vessel_id, org_id = register_import.pick_vessel(s, imo)
            with db.transaction(org_id) as s:
                return register_import.export_register(s, system_caller(org_id, "cli"), vessel_id)
        org_id, caller = self._caller()
        with db.transaction(org_id) as s:
            vessels = [v for v in register.list_vessels(s, caller) if imo is None or v.imo == imo]
            if not vessels:
                raise fail(
                    f"no vessel with IMO {imo}" if imo else "no vessel yet: import a register"
                )
            if len(vessels) > 1:
                raise fail("several vessels: pass --vessel IMO")
            return register_import.export_register(s, caller, vessels[0].id)

    def add_user(self, *, name: str, email: str, role: str, imos: list[str]) -> dict[str, Any]:
        """Create the user in the home's database."""
        from records import register, users

        org_id, caller = self._caller()
        with self.bosun.db.transaction(org_id) as s:
            vessel_ids = [register.get_vessel_by_imo(s, caller, imo).id for imo in imos]
            user = users.create_user(
                s, caller, name=name, email=email, role=role, vessel_ids=vessel_ids
            )
            s.flush()
            return {"id": user.id, "email": user.email, "role": user.role.value}

    def set_password(self, email: str, password: str) -> None:
        """Set the password in the home's database."""
        from records import users

        self._on_user(
            email, lambda s, caller, user: users.update_user(s, caller, user, password=password)
        )

    def link_code(self, email: str) -> str:
        """Issue the code in the home's database."""
        from records import users

        return self._on_user(
            email, lambda s, caller, user: users.issue_link_code(s, caller, user=user)
        )

    def create_key(self, email: str, name: str) -> str:
        """Create the key in the home's database."""
        from records import users

        return self._on_user(
            email,
            lambda s, caller, user: users.create_api_key(s, caller, user=user, name=name).secret,
        )

    def _on_user(self, email: str, act: Callable[[Session, Caller, User], T]) -> T:
        """Run ``act`` on the organization's user with this email, as the command line."""
        from records import users

        org_id, caller = self._caller()
        with self.bosun.db.transaction(org_id) as s:
            user = users.find_user_by_email(s, caller, email)
            if user is None:
                raise fail(f"no user with email {email}; add one with: bosun users add")
            return act(s, caller, user)

    def ingest(
        self,
        files: list[Path],
        *,
        kind: str,
        vessel: str | None,
        equipment: list[str],
        tags: list[str],
        force: bool,
    ) -> int:
        """Ingest in this process; print the run's summary."""
        from channels.services.knowledge import open_knowledge
        from records import BosunError, system_caller

        org_id, vessel_id = org_and_vessel(self.bosun, vessel, self.organization)
        try:
            summary = open_knowledge(self.bosun).ingest(
                system_caller(org_id, "cli"),
                files,
                kind=kind,
                vessel_id=vessel_id,
                equipment_codes=equipment,
                tags=tags,
                force=force,
                progress=True,
            )
        except BosunError as error:
            raise fail(error.message) from error
        out.print(summary.render())
        return len(summary.failed)

    def chat(self, email: str | None, imo: str | None, *, conversation: bool) -> Turn:
        """Chat in this process."""
        from channels.services.chat import open_assistant

        bosun = self.bosun
        caller, vessel_id = acting_caller(bosun, email, imo, self.organization)
        key = f"cli-{uuid.uuid4().hex[:8]}" if conversation else None
        assistant = open_assistant(bosun)

        def turn(text: str, voice: bool = False) -> dict[str, Any]:
            with bosun.db.transaction(caller) as s:
                reply: dict[str, Any] = assistant.turn(
                    s,
                    caller,
                    text,
                    channel="cli",
                    conversation_key=key,
                    voice=voice,
                    vessel_id=vessel_id,
                ).to_dict()
            return reply

        return turn


def org_and_vessel(
    bosun: Bosun, imo: str | None, organization: str | None
) -> tuple[int, int | None]:
    """Return (org id, vessel id or None) for the options ``--vessel`` and ``--organization``."""
    from records import ALL_TENANTS, BosunError, register_import

    try:
        with bosun.db.transaction(ALL_TENANTS) as s:
            if imo and organization:
                vessel_id, org_id = register_import.vessel_in_organization(s, imo, organization)
            elif imo:
                vessel_id, org_id = register_import.pick_vessel(s, imo)
            else:
                return register_import.find_organization(s, organization).id, None
    except BosunError as error:
        raise fail(error.message) from error
    return org_id, vessel_id


def acting_caller(
    bosun: Bosun, email: str | None, imo: str | None, organization: str | None = None
) -> tuple[Caller, int]:
    """Return (caller, vessel id): the named user, else the only vessel's chief engineer."""
    from records import Caller, Role, register, system_caller, users

    org_id, vessel_id = org_and_vessel(bosun, imo, organization)
    with bosun.db.transaction(org_id) as s:
        if vessel_id is None:
            vessels = register.list_vessels(s, system_caller(org_id))
            if len(vessels) != 1:
                raise fail(
                    "several vessels: pass --vessel IMO"
                    if vessels
                    else "no vessel yet: import a register with bosun import register FILE"
                )
            vessel_id = vessels[0].id
        if email:
            user = users.find_user_by_email(s, system_caller(org_id), email)
            if user is None:
                raise fail(f"no user with email {email}")
        else:
            user = users.first_user_with_role(s, Role.chief_engineer, org_id=org_id)
        if user is None:
            return Caller(org_id=org_id, role=Role.chief_engineer, channel="cli"), vessel_id
        return users.caller_for(user, "cli"), vessel_id


def _admin_key(bosun: Bosun, organization: str | None) -> str:
    """Return a short-lived admin key for in-process API calls (revoked at exit)."""
    import atexit

    from records import Role, system_caller, users

    org_id = organization_id(bosun, organization)
    system = system_caller(org_id, "cli")
    with bosun.db.transaction(org_id) as s:
        user = users.find_user_by_email(s, system, "cli@bosun.local") or users.create_user(
            s, system, name="Local command line", email="cli@bosun.local", role=Role.admin
        )
        s.flush()
        issued = users.create_api_key(s, system, user=user, name=f"cli-{uuid.uuid4().hex[:6]}")
        key_id, secret = issued.key.id, issued.secret

    def revoke() -> None:
        with bosun.db.transaction(org_id) as s:
            users.revoke_api_key(s, system, key_id)

    atexit.register(revoke)
    return secret
