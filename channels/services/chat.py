"""The assistant and its chat gateway, wired to the knowledge base (one per running Bosun)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from assistant import Assistant, AssistantSettings, ChatGateway
from channels.app.runtime import Bosun
from channels.services.knowledge import open_knowledge

SECRET_FILE = "secret.key"


def open_assistant(bosun: Bosun) -> Assistant:
    """Return the running Bosun's assistant, built on first use."""
    existing = bosun.extras.get("assistant")
    if isinstance(existing, Assistant):
        return existing
    assistant = Assistant(retriever=open_knowledge(bosun), settings=AssistantSettings())
    bosun.extras["assistant"] = assistant
    return assistant


def open_gateway(bosun: Bosun) -> ChatGateway:
    """Return the gateway the chat adapters (Slack, Telegram, widget, voice) talk to."""
    existing = bosun.extras.get("gateway")
    if isinstance(existing, ChatGateway):
        return existing
    gateway = ChatGateway(
        db=bosun.db,
        assistant=open_assistant(bosun),
        secret=server_secret(bosun),
        files=uploads_dir(bosun),
    )
    bosun.extras["gateway"] = gateway
    return gateway


def uploads_dir(bosun: Bosun) -> Path:
    """Return where files sent in chats are kept."""
    return bosun.settings.files / "uploads"


def server_secret(bosun: Bosun) -> str:
    """Return the key that signs chat tokens and admin sessions.

    ``BOSUN_SECRET_KEY`` when set (a fleet shares one), else a random key created once in
    ``BOSUN_HOME/secret.key`` (readable by the owner only).
    """
    configured = bosun.settings.secret_key
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    path = bosun.settings.home / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    with contextlib.suppress(FileExistsError):
        os.link(tmp, path)  # the first of two servers starting at once wins
    tmp.unlink(missing_ok=True)
    return path.read_text().strip()
