"""Turn results and notices in Telegram's idiom: HTML text, links, inline keyboards."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from assistant import Notice, TurnResult

MAX_TEXT = 4096
"""Telegram's limit on one message's text (after entities are parsed)."""
ACTION = "a"
FEEDBACK = "f"
NOTICE_ICONS = {"alarm": "🚨", "fault": "🛠", "overdue": "⏰"}

HELP = (
    "I am <b>Bosun</b>, your vessel's maintenance assistant. Ask me about equipment, "
    'manuals and fault history, or report a fault ("ME1 is leaking fuel"); I file it '
    "once you press <b>Confirm</b>.\n\n"
    "• Send a <b>voice note</b>: I transcribe it and answer.\n"
    "• Send a <b>photo</b> with a fault report (as caption or just before it): it is "
    "attached to the fault.\n"
    "• In a group, mention me or reply to my message.\n"
    "• <code>/link CODE</code> ties this Telegram account to your Bosun user."
)
LINK_HELP = (
    "I don't know this Telegram account yet, so I can't show you any vessel data.\n\n"
    'Get a one-time link code from Bosun (the chat widget\'s "link Telegram", your admin '
    "with <code>bosun users link-code YOUR-EMAIL</code>) and send it to me privately as "
    "<code>/link CODE</code>."
)


@dataclass(frozen=True, slots=True)
class Button:
    """What an inline button press asks for (its ``callback_data``, parsed)."""

    kind: str
    """``a`` (Confirm / Cancel a proposed action) or ``f`` (helpful / unhelpful)."""
    yes: bool
    target: int
    """The action id or the assistant message id."""

    def data(self) -> str:
        """Return the callback data (Telegram allows 64 bytes)."""
        return f"{self.kind}:{'y' if self.yes else 'n'}:{self.target}"

    @classmethod
    def parse(cls, data: str | None) -> Button | None:
        """Read callback data this module wrote; ``None`` for anything else."""
        parts = (data or "").split(":")
        if len(parts) != 3 or parts[0] not in (ACTION, FEEDBACK) or parts[1] not in ("y", "n"):
            return None
        if not parts[2].isdigit() or len(parts[2]) > 18:
            return None
        return cls(kind=parts[0], yes=parts[1] == "y", target=int(parts[2]))


def esc(text: str) -> str:
    """Escape text from users, documents or the model for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def absolute(url: str, public_url: str | None) -> str | None:
    """Return a link Telegram accepts (absolute http(s)), or ``None`` when there is none."""
    if url.startswith(("http://", "https://")):
        return url
    if public_url and url.startswith("/"):
        return public_url.rstrip("/") + url
    return None


DocumentLink = Callable[[int, int | None], str]
"""Returns the path that opens a document at a page for the reader (a signed link)."""


def citation_lines(
    citations: Sequence[Any], public_url: str | None, link_for: DocumentLink | None = None
) -> list[str]:
    """Return one line per cited document page: a link when Bosun has a public URL.

    ``link_for`` gives a signed link the reader's browser can open without a key; without
    it the citation's own URL (which needs an API key) is used.
    """
    lines: list[str] = []
    seen: set[tuple[int, int | None]] = set()
    for c in citations:
        key = (int(c.document_id), c.page)
        if key in seen:
            continue
        seen.add(key)
        label = c.title + (f", p. {c.page}" if c.page else "")
        if c.section:
            label += f" — {c.section}"
        path = link_for(int(c.document_id), c.page) if link_for else str(c.url)
        link = absolute(path, public_url)
        shown = (
            f'<a href="{html.escape(link, quote=True)}">{esc(label)}</a>' if link else esc(label)
        )
        lines.append(f"{len(lines) + 1}. {shown}")
    return lines


def reply_html(
    result: TurnResult,
    public_url: str | None,
    *,
    transcript: str | None = None,
    link_for: DocumentLink | None = None,
) -> str:
    """Return a turn's reply as Telegram HTML: transcript, answer, proposal, sources."""
    parts: list[str] = []
    if transcript is not None:
        parts.append(f"🎤 <i>{esc(transcript)}</i>")
    parts.append(esc(result.reply.strip() or "…"))
    action = result.proposed_action
    if action is not None:
        line = f"<b>Proposed:</b> {esc(action.summary)}"
        if action.duplicates:
            dup = ", ".join(f"#{d}" for d in action.duplicates)
            line += f"\nPossible duplicates of open fault(s) {dup}."
        parts.append(line)
    sources = citation_lines(result.citations, public_url, link_for)
    if sources:
        parts.append("<b>Sources</b>\n" + "\n".join(sources))
    return fit("\n\n".join(parts))


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """Shorten HTML text to Telegram's limit without cutting a tag or an entity in two."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    # Drop a half-written tag or entity at the end; close an open <i>/<b>/<a> by stripping.
    for opener, closer in (("<", ">"), ("&", ";")):
        start = cut.rfind(opener)
        if start > cut.rfind(closer):
            cut = cut[:start]
    cut = cut.rsplit("\n", 1)[0] if "\n" in cut[-400:] else cut
    for tag in ("a", "i", "b", "code"):
        opened = cut.count(f"<{tag}") - cut.count(f"</{tag}>")
        if opened > 0:
            cut = cut[: cut.rfind(f"<{tag}")]
    return cut + " …"


def keyboard(result: TurnResult) -> InlineKeyboardMarkup:
    """Confirm / Cancel for a proposed action, and helpful / unhelpful for every reply."""
    rows: list[list[InlineKeyboardButton]] = []
    if result.proposed_action is not None:
        rows.append(action_row(result.proposed_action.id))
    if result.message_id:
        rows.append(
            [
                InlineKeyboardButton(
                    "👍 Helpful", callback_data=Button(FEEDBACK, True, result.message_id).data()
                ),
                InlineKeyboardButton(
                    "👎 Unhelpful", callback_data=Button(FEEDBACK, False, result.message_id).data()
                ),
            ]
        )
    return InlineKeyboardMarkup(rows)


def action_row(action_id: int) -> list[InlineKeyboardButton]:
    """Return the Confirm / Cancel buttons of one proposed action."""
    return [
        InlineKeyboardButton("✅ Confirm", callback_data=Button(ACTION, True, action_id).data()),
        InlineKeyboardButton("✖️ Cancel", callback_data=Button(ACTION, False, action_id).data()),
    ]


def without(markup: InlineKeyboardMarkup | None, kind: str) -> InlineKeyboardMarkup:
    """Return a keyboard minus the rows whose buttons are of ``kind`` (once pressed)."""
    rows = []
    for row in markup.inline_keyboard if markup else ():
        kept = [
            b
            for b in row
            if not (isinstance(b.callback_data, str) and b.callback_data.startswith(f"{kind}:"))
        ]
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(rows)


def notice_html(notice: Notice, public_url: str | None) -> str:
    """Return a notice (alarm, new fault, overdue work) as Telegram HTML."""
    icon = NOTICE_ICONS.get(notice.kind, "ℹ️")  # noqa: RUF001 - the information emoji
    text = f"{icon} {esc(notice.text)}"
    link = absolute(notice.link, public_url) if notice.link else None
    if link:
        text += f'\n<a href="{html.escape(link, quote=True)}">Open in Bosun</a>'
    return fit(text)


def notice_keyboard(notice: Notice) -> InlineKeyboardMarkup | None:
    """Confirm / Cancel buttons when the notice offers a proposed action."""
    return InlineKeyboardMarkup([action_row(notice.action_id)]) if notice.action_id else None
