"""Telegram: python-telegram-bot over the chat gateway (long polling or webhook).

Private chats and group mentions become assistant turns; proposed actions get Confirm /
Cancel buttons and every reply helpful / unhelpful buttons; ``/link CODE`` ties an account
to a Bosun user; voice notes are transcribed; photos are attached to the fault reported.
"""

from channels.chat.telegram.bot import CHANNEL, TelegramBot, conversation_key
from channels.chat.telegram.notifier import TelegramNotifier
from channels.chat.telegram.polling import TelegramPolling
from channels.chat.telegram.settings import TelegramSettings
from channels.chat.telegram.webhook import (
    PATH,
    SECRET_HEADER,
    TelegramWebhook,
    register_webhook,
    webhook_router,
)

__all__ = [
    "CHANNEL",
    "PATH",
    "SECRET_HEADER",
    "TelegramBot",
    "TelegramNotifier",
    "TelegramPolling",
    "TelegramSettings",
    "TelegramWebhook",
    "conversation_key",
    "register_webhook",
    "webhook_router",
]
