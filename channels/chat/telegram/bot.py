"""The Telegram bot: python-telegram-bot handlers that turn updates into assistant turns."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from telegram import (
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from assistant import ChatError, ChatGateway, Speaker, TurnResult, Upload
from channels.chat.telegram.render import (
    ACTION,
    FEEDBACK,
    HELP,
    LINK_HELP,
    Button,
    DocumentLink,
    esc,
    keyboard,
    reply_html,
    without,
)
from channels.chat.telegram.settings import TelegramSettings
from channels.chat.voice import AudioError, Transcriber

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_DOWNLOAD = 20 * 1024 * 1024
"""The Bot API's getFile limit."""
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE


def conversation_key(chat_id: int, user_id: int, *, private: bool) -> str:
    """Return the assistant conversation of a chat (per person in a group)."""
    return f"telegram:{chat_id}" if private else f"telegram:{chat_id}:{user_id}"


def problem_text(err: BaseException) -> str | None:
    """Return the message of a Bosun error (``.code`` and ``.message``), else ``None``."""
    message = getattr(err, "message", None)
    if isinstance(err, ChatError) or (hasattr(err, "code") and isinstance(message, str)):
        return str(message)
    return None


def _quiet_httpx() -> None:
    """Keep httpx's per-request INFO lines out of the logs: their URLs carry the bot token."""
    httpx_log = logging.getLogger("httpx")
    if httpx_log.level == logging.NOTSET:
        httpx_log.setLevel(logging.WARNING)


class TelegramBot:
    """A python-telegram-bot ``Application`` whose handlers talk to the chat gateway.

    Run it with :class:`channels.chat.telegram.TelegramPolling` or feed it webhook updates
    (:func:`channels.chat.telegram.webhook_router`).
    """

    def __init__(
        self,
        gateway: ChatGateway,
        settings: TelegramSettings,
        *,
        transcriber: Transcriber | None = None,
        public_url: str | None = None,
    ) -> None:
        if settings.token is None:
            raise ValueError("BOSUN_TELEGRAM_BOT_TOKEN is not set")
        self.gateway = gateway
        self.settings = settings
        self.transcriber = transcriber
        self.public_url = public_url
        self._albums: OrderedDict[str, None] = OrderedDict()
        _quiet_httpx()
        self.application: AnyApplication = (
            ApplicationBuilder()
            .token(settings.token)
            .base_url(settings.bot_url)
            .base_file_url(settings.file_url)
            .build()
        )
        new = filters.UpdateType.MESSAGE
        app = self.application
        app.add_handler(CommandHandler(["start", "help"], self._on_start, filters=new))
        app.add_handler(CommandHandler("link", self._on_link, filters=new))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(new & (filters.VOICE | filters.AUDIO), self._on_voice))
        app.add_handler(MessageHandler(new & (filters.PHOTO | filters.Document.ALL), self._on_file))
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_error_handler(self._on_error)

    # --- commands ------------------------------------------------------------------------

    async def _on_start(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if context.args:  # t.me/<bot>?start=CODE deep links carry a link code
            await self._link(message, user, "".join(context.args))
            return
        speaker = await self._identify(user)
        hello = f"Hello {esc(speaker.name)}. " if speaker else ""
        text = hello + HELP + ("" if speaker else "\n\n" + LINK_HELP)
        await self._send(message, text)

    async def _on_link(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if not context.args:
            await self._send(message, "Send the code with the command: <code>/link CODE</code>.")
            return
        await self._link(message, user, "".join(context.args))

    async def _link(self, message: Message, user: User, code: str) -> None:
        try:
            speaker = await asyncio.to_thread(self.gateway.link, CHANNEL, str(user.id), code)
        except ChatError as err:
            await self._send(
                message,
                f"That code did not work: {esc(err.message)}\nAsk for a new code and send "
                "<code>/link CODE</code> again.",
            )
            return
        await self._send(
            message,
            f"✅ Linked: this Telegram account is <b>{esc(speaker.name)}</b> "
            f"({esc(speaker.role)}) in Bosun. Ask me anything about your equipment.",
        )

    # --- messages ------------------------------------------------------------------------

    async def _on_text(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        addressed, text = self._addressed(message, message.text, message.parse_entities())
        if not addressed:
            return
        speaker = await self._speaker_or_help(message, user)
        if speaker is None:
            return
        if not text.strip():
            await self._send(message, HELP)
            return
        await self._typing(message)
        result = await self._turn(message, speaker, user, text)
        if result is not None:
            await self._reply(message, speaker, result)

    async def _on_voice(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        audio = message.voice or message.audio
        caption = message.caption or ""
        addressed, _ = self._addressed(message, caption, message.parse_caption_entities())
        if audio is None or not addressed:
            return
        speaker = await self._speaker_or_help(message, user)
        if speaker is None:
            return
        if self.transcriber is None:
            await self._send(message, "Voice notes are not set up on this Bosun; please type.")
            return
        if audio.file_size and audio.file_size > MAX_DOWNLOAD:
            await self._send(message, "That recording is too long for me; keep it under a minute.")
            return
        await self._typing(message)
        data = await self._download(audio.file_id)
        try:
            hints = await asyncio.to_thread(self.gateway.vocabulary, speaker)
            heard = await asyncio.to_thread(
                self.transcriber.transcribe,
                data,
                content_type=audio.mime_type or "audio/ogg",
                hints=hints,
            )
        except AudioError as err:  # says what to send instead
            await self._send(message, f"🎤 I could not transcribe that voice note: {esc(str(err))}")
            return
        except Exception as err:
            await self._problem(message, err)
            return
        text = heard.text.strip()
        if not text:
            await self._send(message, "🎤 I could not make out any words; please try again.")
            return
        result = await self._turn(message, speaker, user, text, voice=True)
        if result is not None:
            await self._reply(message, speaker, result, transcript=text)

    async def _on_file(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        addressed, caption = self._addressed(
            message, message.caption or "", message.parse_caption_entities()
        )
        if not addressed:
            return
        speaker = await self._speaker_or_help(message, user)
        if speaker is None:
            return
        if message.photo:
            photo = message.photo[-1]  # the largest size Telegram made
            file_id, size = photo.file_id, photo.file_size
            name, kind = f"telegram-{photo.file_unique_id}.jpg", "image/jpeg"
        elif message.document is not None:
            doc = message.document
            file_id, size = doc.file_id, doc.file_size
            name = doc.file_name or f"telegram-{doc.file_unique_id}"
            kind = doc.mime_type or "application/octet-stream"
        else:
            return
        if size and size > MAX_DOWNLOAD:
            await self._send(message, "That file is larger than 20 MB; send a smaller one.")
            return
        upload = Upload(name=name, content_type=kind, data=await self._download(file_id))
        if caption.strip():
            await self._typing(message)
            result = await self._turn(message, speaker, user, caption, uploads=[upload])
            if result is not None:
                await self._reply(message, speaker, result)
            return
        key = self._key(message, user)
        try:
            await asyncio.to_thread(self.gateway.attach, speaker, upload, conversation=key)
        except Exception as err:
            await self._problem(message, err)
            return
        if message.media_group_id and not self._first_of_album(message.media_group_id):
            return
        await self._send(
            message,
            "📎 Kept. It will be attached to the fault you report next in this chat: "
            "tell me what is wrong.",
        )

    # --- buttons -------------------------------------------------------------------------

    async def _on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        button = Button.parse(query.data)
        if button is None:
            await query.answer("This button no longer works.")
            return
        speaker = await self._identify(query.from_user)
        if speaker is None:
            await query.answer(
                "Link your Telegram account first: send me /link CODE privately.", show_alert=True
            )
            return
        message = query.message if isinstance(query.message, Message) else None
        if button.kind == FEEDBACK:
            try:
                await asyncio.to_thread(
                    self.gateway.feedback, speaker, button.target, helpful=button.yes
                )
            except Exception as err:
                await query.answer(problem_text(err) or "That did not work.", show_alert=True)
                if problem_text(err) is None:
                    raise
                return
            await query.answer("Thanks: marked helpful." if button.yes else "Thanks: noted.")
            if message is not None:
                await self._drop_buttons(message, FEEDBACK)
            return
        try:
            result = await asyncio.to_thread(
                self.gateway.decide, speaker, button.target, approve=button.yes
            )
        except Exception as err:
            await query.answer(problem_text(err) or "That did not work.", show_alert=True)
            if problem_text(err) is None:
                raise
            return
        await query.answer("Confirmed." if button.yes else "Cancelled.")
        if query.message is None:
            return
        if message is not None:
            await self._drop_buttons(message, ACTION)
        await context.bot.send_message(
            chat_id=query.message.chat.id,
            text=reply_html(result, self.public_url, link_for=self._links(speaker)),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(result),
            link_preview_options=NO_PREVIEW,
        )

    # --- helpers -------------------------------------------------------------------------

    def _addressed(
        self, message: Message, text: str, entities: dict[MessageEntity, str]
    ) -> tuple[bool, str]:
        """Return whether a message is for the bot (private, mention, reply) and its text."""
        if message.chat.type == ChatType.PRIVATE:
            return True, text
        bot = message.get_bot()
        handle = f"@{bot.username}".lower()
        mentioned = False
        for entity, value in entities.items():
            if entity.type == MessageEntity.MENTION and value.lower() == handle:
                mentioned = True
            elif entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
                mentioned = mentioned or entity.user.id == bot.id
        replied = message.reply_to_message
        to_bot = bool(replied and replied.from_user and replied.from_user.id == bot.id)
        if mentioned:
            lowered = text.lower()
            while handle in lowered:
                at = lowered.index(handle)
                text = text[:at] + text[at + len(handle) :]
                lowered = text.lower()
        return mentioned or to_bot, " ".join(text.split())

    async def _identify(self, user: User) -> Speaker | None:
        return await asyncio.to_thread(self.gateway.identify, CHANNEL, str(user.id))

    async def _speaker_or_help(self, message: Message, user: User) -> Speaker | None:
        speaker = await self._identify(user)
        if speaker is None:
            await self._send(message, LINK_HELP)
        return speaker

    def _key(self, message: Message, user: User) -> str:
        return conversation_key(
            message.chat.id, user.id, private=message.chat.type == ChatType.PRIVATE
        )

    async def _turn(
        self,
        message: Message,
        speaker: Speaker,
        user: User,
        text: str,
        *,
        voice: bool = False,
        uploads: list[Upload] | None = None,
    ) -> TurnResult | None:
        try:
            return await asyncio.to_thread(
                self.gateway.turn,
                speaker,
                text,
                conversation=self._key(message, user),
                voice=voice,
                uploads=uploads or [],
            )
        except Exception as err:
            await self._problem(message, err)
            return None

    async def _problem(self, message: Message, err: Exception) -> None:
        text = problem_text(err)
        if text is None:
            await self._send(message, "Something went wrong on my side; please try again.")
            raise err
        await self._send(message, f"⚠️ {esc(text)}")

    def _links(self, speaker: Speaker) -> DocumentLink:
        """Return signed document links for the reader (no key in a Telegram browser)."""
        return lambda document_id, page: self.gateway.document_link(speaker, document_id, page)

    async def _reply(
        self,
        message: Message,
        speaker: Speaker,
        result: TurnResult,
        *,
        transcript: str | None = None,
    ) -> None:
        await message.reply_text(
            reply_html(
                result, self.public_url, transcript=transcript, link_for=self._links(speaker)
            ),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(result),
            link_preview_options=NO_PREVIEW,
        )

    async def _send(self, message: Message, html_text: str) -> None:
        await message.reply_text(
            html_text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        )

    async def _typing(self, message: Message) -> None:
        try:
            await message.get_bot().send_chat_action(message.chat.id, ChatAction.TYPING)
        except TelegramError as err:  # only a courtesy
            log.debug("telegram: chat action failed: %s", err)

    async def _download(self, file_id: str) -> bytes:
        file = await self.application.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    async def _drop_buttons(self, message: Message, kind: str) -> None:
        try:
            await message.edit_reply_markup(reply_markup=without(message.reply_markup, kind))
        except BadRequest as err:  # "message is not modified" after a second tap
            log.debug("telegram: keyboard not edited: %s", err)

    def _first_of_album(self, group_id: str) -> bool:
        if group_id in self._albums:
            return False
        self._albums[group_id] = None
        while len(self._albums) > 200:
            self._albums.popitem(last=False)
        return True

    async def _on_error(self, update: object, context: Context) -> None:
        log.error("telegram: update failed", exc_info=context.error)
