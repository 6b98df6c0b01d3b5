"""Configuration of the records backend (``BOSUN_`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """Return the default ``BOSUN_HOME``: ``~/.local/share/bosun``."""
    return Path.home() / ".local" / "share" / "bosun"


class RecordsSettings(BaseSettings):
    """Where the relational database lives and how Bosun connects to it."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="Data directory (embedded).")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: a SQLite file bosun.db under BOSUN_HOME. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    database_role: str = Field(
        default="bosun_app",
        description="PostgreSQL role the application switches to (SET ROLE) so that "
        "row-level security applies; empty to stay as the connecting user.",
    )

    readings_raw_days: int = Field(
        default=400, ge=1, description="Days raw readings are kept before 1-minute rollups."
    )
    readings_rollup_days: int = Field(
        default=3650, ge=1, description="Days 1-minute rollups of readings are kept."
    )

    @property
    def url(self) -> str:
        """Return the effective database URL."""
        return self.database_url or f"sqlite:///{self.home / 'bosun.db'}"

    @property
    def is_embedded(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.url.startswith("sqlite")
