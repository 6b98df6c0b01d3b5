"""Post alarms, new faults and overdue work orders to a vessel's Slack channel."""

from __future__ import annotations

import asyncio

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant import Notice
from channels.chat.slack.blocks import notice_blocks
from channels.chat.slack.settings import SlackSettings

PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
    }
)


class SlackDeliveryError(Exception):
    """A notice Slack did not take; ``transient`` says whether trying later may work."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class SlackNotifier:
    """Posts ``Notice``s with chat.postMessage (Confirm / Cancel buttons when it has an action).

    Clicks on those buttons come back to ``POST /slack/events`` (or Socket Mode) and are
    decided for the clicking Slack user's Bosun account.
    """

    def __init__(self, client: WebClient, *, public_url: str | None = None) -> None:
        self._client = client
        self.public_url = public_url

    @classmethod
    def from_settings(
        cls, settings: SlackSettings, *, public_url: str | None = None
    ) -> SlackNotifier | None:
        """Return a notifier for the configured bot token, or ``None`` when Slack is off."""
        token = settings.bot
        if token is None:
            return None
        return cls(
            WebClient(token=token, base_url=settings.base_url, timeout=30), public_url=public_url
        )

    async def notify(self, destination: str, notice: Notice) -> None:
        """Post a notice to a Slack channel id (the vessel's crew channel)."""
        text, blocks = notice_blocks(notice, public_url=self.public_url)
        try:
            await asyncio.to_thread(
                self._client.chat_postMessage,
                channel=destination,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as err:
            code = str(err.response.get("error") or "error")
            raise SlackDeliveryError(
                f"Slack refused the {notice.kind} notice for {destination}: {code}",
                transient=code not in PERMANENT,
            ) from err
        except OSError as err:  # Slack unreachable: the satellite link is down
            raise SlackDeliveryError(
                f"Slack unreachable for the {notice.kind} notice: {err}", transient=True
            ) from err
