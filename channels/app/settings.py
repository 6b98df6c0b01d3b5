"""Configuration of the running service (``BOSUN_`` environment variables)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from records import RecordsSettings


class Settings(RecordsSettings):
    """Everything ``bosun up`` needs; extends the records settings."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address the API binds to.")
    port: int = Field(default=8000, description="Port the API binds to.")
    max_request_bytes: int = Field(
        default=1_000_000, description="Largest JSON request body accepted (bytes)."
    )
    max_upload_bytes: int = Field(
        default=50_000_000, description="Largest document upload accepted (bytes)."
    )
    max_audio_bytes: int = Field(
        default=10_000_000,
        description="Largest audio body accepted by POST /v1/transcribe (bytes).",
    )
    connectors_config: Path | None = Field(
        default=None,
        description="connectors.yaml that bosun up runs (default: BOSUN_HOME/connectors.yaml "
        "when it exists).",
    )
    public_url: str | None = Field(
        default=None, description="URL users reach Bosun at (links in chat replies)."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs chat tokens and admin sessions; set the same value on every server "
        "of a fleet (default: a random key kept in BOSUN_HOME/secret.key).",
    )
    files_dir: Path | None = Field(
        default=None,
        description="Folder for uploaded documents, chat attachments and trained models "
        "(default: BOSUN_HOME). In a fleet, shared storage mounted at the same path on every "
        "server.",
    )
    backup_dir: Path | None = Field(
        default=None,
        description="The only folder POST /v1/admin/backup writes archives to "
        "(default: BOSUN_HOME/backups).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token /metrics requires of every caller (unset: /metrics answers "
        "loopback callers only).",
    )
    cors_origins: tuple[str, ...] = Field(
        default=("*",),
        description="Origins whose pages may call the chat API from the widget (JSON list).",
    )

    @property
    def backups(self) -> Path:
        """Return the folder the server may write backup archives to."""
        return self.backup_dir or self.home / "backups"

    @property
    def files(self) -> Path:
        """Return the folder of uploaded documents, chat attachments and trained models."""
        return self.files_dir or self.home


def bosun_version() -> str:
    """Return the installed Bosun version (``0.0.0`` from a source tree not installed)."""
    try:
        return version("bosun-maintenance")
    except PackageNotFoundError:
        return "0.0.0"
