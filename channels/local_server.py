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
CLI_KEY_FILE = "cli.key"


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


def write_cli_key(home: Path, secret: str) -> None:
    """Store the local CLI's API key, readable by this user only."""
    path = home / CLI_KEY_FILE
    path.write_text(secret)
    path.chmod(0o600)


def read_cli_key(home: Path) -> str | None:
    """Return the local CLI's API key, if one was stored."""
    path = home / CLI_KEY_FILE
    return path.read_text().strip() if path.exists() else None


def find_server(home: Path) -> LocalServer | None:
    """Return the server running on this home, or None if no server answers."""
    path = home / SERVER_FILE
    if not path.exists():
        return None
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (ValueError, KeyError, OSError):
        return None
    key = read_cli_key(home)
    if key is None:
        return None
    try:
        ok = httpx.get(f"{info['url']}/healthz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return None
    return LocalServer(info["url"], key) if ok else None
