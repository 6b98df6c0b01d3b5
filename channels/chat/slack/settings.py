"""Slack configuration (environment variables ``BOSUN_SLACK_...``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"


class SlackSettings(BaseSettings):
    """The Slack app's credentials; Slack is off until the bot token is set."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_SLACK_", extra="ignore")

    bot_token: SecretStr | None = Field(
        default=None, description="Bot User OAuth token (xoxb-...) of the Slack app."
    )
    app_token: SecretStr | None = Field(
        default=None,
        description="App-level token (xapp-..., scope connections:write): turns on Socket Mode "
        "for vessels behind NAT.",
    )
    signing_secret: SecretStr | None = Field(
        default=None,
        description="Signing secret: turns on HTTP events at POST /slack/events.",
    )
    api_url: str = Field(
        default=SLACK_API_URL,
        description="Slack Web API base URL (tests and proxies point it elsewhere).",
    )

    @property
    def bot(self) -> str | None:
        """Return the bot token, or ``None`` when unset or blank."""
        return _value(self.bot_token)

    @property
    def http_enabled(self) -> bool:
        """Return whether ``POST /slack/events`` serves (bot token and signing secret set)."""
        return self.bot is not None and _value(self.signing_secret) is not None

    @property
    def socket_mode_enabled(self) -> bool:
        """Return whether Socket Mode runs (bot token and app token set)."""
        return self.bot is not None and _value(self.app_token) is not None

    @property
    def base_url(self) -> str:
        """Return the API base URL with a trailing slash (what slack_sdk expects)."""
        return self.api_url if self.api_url.endswith("/") else f"{self.api_url}/"


def _value(secret: SecretStr | None) -> str | None:
    if secret is None:
        return None
    return secret.get_secret_value().strip() or None
