"""Telegram configuration (``BOSUN_TELEGRAM_...`` environment variables)."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_URL = "https://api.telegram.org"
_SECRET_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramSettings(BaseSettings):
    """The bot's token, the webhook's secret and the Bot API address."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_TELEGRAM_", extra="ignore")

    bot_token: SecretStr | None = Field(
        default=None, description="Token BotFather gave the bot (unset: Telegram is off)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token; when set, "
        "updates arrive at POST /telegram/webhook instead of long polling.",
    )
    api_url: str = Field(
        default=DEFAULT_API_URL,
        description="Bot API base URL (a local Bot API server, a proxy, or a test server).",
    )

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts_secret(cls, value: SecretStr | None) -> SecretStr | None:
        raw = value.get_secret_value() if value is not None else ""
        if raw and not _SECRET_CHARS.match(raw):
            raise ValueError("use 1-256 characters A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("api_url")
    @classmethod
    def _plain_base(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value

    @property
    def token(self) -> str | None:
        """The bot token, or ``None`` when Telegram is not configured."""
        value = self.bot_token.get_secret_value().strip() if self.bot_token else ""
        return value or None

    @property
    def secret(self) -> str | None:
        """The webhook secret, or ``None`` (then the webhook refuses everything)."""
        value = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        return value or None

    @property
    def polls(self) -> bool:
        """Whether updates come by long polling (a token and no webhook secret)."""
        return self.token is not None and self.secret is None

    @property
    def bot_url(self) -> str:
        """Base URL of the Bot API methods (python-telegram-bot's ``base_url``)."""
        return f"{self.api_url}/bot"

    @property
    def file_url(self) -> str:
        """Base URL of file downloads (python-telegram-bot's ``base_file_url``)."""
        return f"{self.api_url}/file/bot"
