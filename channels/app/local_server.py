"""How CLI commands find a running ``bosun up`` on the same home, and the home's lock."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

SERVER_FILE = "server.json"
LOCK_FILE = "bosun.lock"
CLI_KEYS_DIR = "cli-keys"
"""One admin key per organization, ``cli-keys/ORG_ID.key`` (0600): no key crosses tenants."""
CLI_ORGS_FILE = "organizations.json"
"""``cli-keys/organizations.json``: organization id -> name, so ``--organization`` takes names."""
LEGACY_CLI_KEY_FILE = "cli.key"
"""The single key of earlier versions (replaced by ``cli-keys/`` at the next ``bosun up``)."""


class OrganizationNeeded(Exception):
    """The home holds several organizations and the command did not say which, or a wrong one."""


class ServerRefused(Exception):
    """The running server answered a CLI request with an error."""


class HomeLocked(RuntimeError):
    """Another ``bosun up`` already serves this home."""


@dataclass(frozen=True)
class LocalServer:
    """A running server on this home and the key the CLI uses with it."""

    url: str
    key: str

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the local API; raise with the server's problem detail on errors."""
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=120) as client:
            response = client.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail") or response.text
            except ValueError:
                detail = response.text
            raise ServerRefused(f"the running server refused: {detail}")
        return response.json() if response.content else None


def acquire_home(home: Path) -> IO[str]:
    """Take the home's exclusive lock (held while ``bosun up`` runs)."""
    home.mkdir(parents=True, exist_ok=True)
    handle = (home / LOCK_FILE).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as err:
        handle.close()
        raise HomeLocked(
            f"another bosun up is serving {home}; stop it first or set BOSUN_HOME to another folder"
        ) from err
    return handle


def write_server_file(home: Path, url: str) -> None:
    """Tell CLI commands where this home's server listens."""
    path = home / SERVER_FILE
    path.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    path.chmod(0o600)


def remove_server_file(home: Path) -> None:
    """Forget the server (on shutdown)."""
    (home / SERVER_FILE).unlink(missing_ok=True)


def write_cli_key(home: Path, org_id: int, secret: str) -> Path:
    """Store the local CLI's admin key for one organization, readable by this user only."""
    folder = home / CLI_KEYS_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    path = folder / f"{org_id}.key"
    _write_private(path, secret)
    return path


def write_cli_organizations(home: Path, names: dict[int, str]) -> None:
    """Store the organizations' names beside their keys."""
    folder = home / CLI_KEYS_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    _write_private(folder / CLI_ORGS_FILE, json.dumps({str(k): v for k, v in names.items()}))


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    path.chmod(0o600)


def read_cli_keys(home: Path) -> dict[int, str]:
    """Return the local CLI's admin key of each organization."""
    folder = home / CLI_KEYS_DIR
    keys: dict[int, str] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.key")):
            if path.stem.isdigit():
                keys[int(path.stem)] = path.read_text(encoding="utf-8").strip()
    return keys


def read_cli_organizations(home: Path) -> dict[int, str]:
    """Return organization id -> name as ``bosun up`` last wrote them."""
    path = home / CLI_KEYS_DIR / CLI_ORGS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {int(k): str(v) for k, v in raw.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def pick_organization(keys: dict[int, str], names: dict[int, str], organization: str | None) -> int:
    """Return the id of the organization a command acts in (by name or id)."""
    if organization:
        wanted = organization.strip()
        for org_id in keys:
            if wanted == str(org_id) or wanted.casefold() == names.get(org_id, "").casefold():
                return org_id
        known = ", ".join(_label(i, names) for i in sorted(keys)) or "none"
        raise OrganizationNeeded(f"no organization {wanted!r} on this server (known: {known})")
    if len(keys) == 1:
        return next(iter(keys))
    known = ", ".join(_label(i, names) for i in sorted(keys))
    raise OrganizationNeeded(
        f"this home holds {len(keys)} organizations ({known}): pass --organization NAME"
    )


def _label(org_id: int, names: dict[int, str]) -> str:
    return f"{names[org_id]!r} (id {org_id})" if org_id in names else f"id {org_id}"


def running_server_url(home: Path) -> str | None:
    """Return the URL of the ``bosun up`` serving this home, if one answers."""
    path = home / SERVER_FILE
    if not path.exists():
        return None
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
        url = str(info["url"])
    except (ValueError, KeyError, OSError):
        return None
    try:
        ok = httpx.get(f"{url}/healthz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return None
    return url if ok else None


def find_server(home: Path, organization: str | None = None) -> LocalServer | None:
    """Return the server running on this home with the CLI key of the chosen organization.

    None if no server answers. Raise ``OrganizationNeeded`` when the home holds several
    organizations and ``organization`` (a name or an id) does not pick one of them.
    """
    keys = read_cli_keys(home)
    if not keys:
        return None
    url = running_server_url(home)
    if url is None:
        return None
    org_id = pick_organization(keys, read_cli_organizations(home), organization)
    return LocalServer(url, keys[org_id])
