"""Slack: Bosun as a Slack app (slack-bolt), over HTTP events or Socket Mode.

``SlackBot`` holds the bolt app and its listeners; ``slack_router`` serves
``POST /slack/events``; ``SlackNotifier`` posts notices to a vessel's channel. Like every
chat adapter it talks only to ``assistant`` (the ``ChatGateway``).
"""

from channels.chat.slack.blocks import escape, plain_text
from channels.chat.slack.bot import CHANNEL, SlackBot, conversation_key
from channels.chat.slack.notifier import SlackDeliveryError, SlackNotifier
from channels.chat.slack.router import EVENTS_PATH, slack_router
from channels.chat.slack.settings import SlackSettings

__all__ = [
    "CHANNEL",
    "EVENTS_PATH",
    "SlackBot",
    "SlackDeliveryError",
    "SlackNotifier",
    "SlackSettings",
    "conversation_key",
    "escape",
    "plain_text",
    "slack_router",
]
