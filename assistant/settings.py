"""Configuration of the assistant (environment variables with the BOSUN_ prefix)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AssistantSettings(BaseSettings):
    """How the assistant talks: which chat model, where, and its thresholds."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_", extra="ignore")

    chat_model: str = Field(
        default="offline",
        description="'offline' (built-in engine) or 'openai:<model>' for an OpenAI-compatible "
        "endpoint at BOSUN_CHAT_BASE_URL",
    )
    chat_base_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8000/v1")
    chat_api_key: SecretStr | None = None
    chat_timeout_s: float = Field(default=60.0, gt=0)
    chat_temperature: float = Field(default=0.0, ge=0, le=2)
    assistant_min_score: float = Field(
        default=0.3,
        description="Least relevance of a passage (its dense similarity to the question, "
        "0-1, where the search measured one): below it a hit counts as nothing found, and a "
        "message the router calls off-topic is refused when no passage reaches it",
    )
    assistant_min_overlap: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Share of the question's key terms an answer sentence must contain",
    )
    assistant_pending_ttl_minutes: int = Field(default=24 * 60, gt=0)
    assistant_max_steps: int = Field(default=5, ge=1, le=12)
    assistant_history_turns: int = Field(default=6, ge=0, le=50)
