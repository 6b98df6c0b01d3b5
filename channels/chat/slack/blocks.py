"""Slack's idiom for Bosun's replies: mrkdwn text, citation links and Block Kit buttons."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from assistant import Notice, TurnResult

CONFIRM = "bosun_confirm"
CANCEL = "bosun_cancel"
HELPFUL = "bosun_helpful"
UNHELPFUL = "bosun_unhelpful"
DECISION_BLOCK = "bosun_decision"
FEEDBACK_BLOCK = "bosun_feedback"
SECTION_LIMIT = 2900
"""Slack refuses section text over 3,000 characters."""
MAX_CITATIONS = 5

Block = dict[str, Any]

_ENTITY = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def escape(text: str) -> str:
    """Escape text for Slack mrkdwn, so user or document text cannot form links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """Turn a Slack message's text into what the person typed (mentions of the bot removed)."""
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", " ")

    def entity(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if label:
            return label
        if target.startswith(("@", "#")):
            return target
        if target.startswith("!"):
            return f"@{target[1:]}"
        return target.removeprefix("mailto:")

    return html.unescape(_ENTITY.sub(entity, text)).strip()


def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}
    if block_id:
        block["block_id"] = block_id
    return block


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def decision_buttons(action_id: int) -> Block:
    """Return Confirm / Cancel buttons for a proposed action (a records PendingAction id)."""
    return {
        "type": "actions",
        "block_id": DECISION_BLOCK,
        "elements": [
            _button("Confirm", CONFIRM, str(action_id), "primary"),
            _button("Cancel", CANCEL, str(action_id), "danger"),
        ],
    }


def feedback_buttons(message_id: int) -> Block:
    """Return helpful / unhelpful buttons for one of the assistant's replies."""
    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [
            _button(":thumbsup: Helpful", HELPFUL, str(message_id)),
            _button(":thumbsdown: Not helpful", UNHELPFUL, str(message_id)),
        ],
    }


def citation_line(
    title: str, page: int | None, section: str | None, url: str, public_url: str | None
) -> str:
    """Return one source as a mrkdwn link (plain text when Bosun has no public URL)."""
    label = title or "document"
    if page:
        label += f", p. {page}"
    if section:
        label += f" ({section})"
    label = escape(label).replace("|", "¦")
    if public_url and url:
        target = url if url.startswith(("http://", "https://")) else public_url.rstrip("/") + url
        return f"<{_safe_url(target)}|{label}>"
    return label


def _safe_url(url: str) -> str:
    return url.replace(">", "%3E").replace("|", "%7C").replace("<", "%3C")


def reply_blocks(
    result: TurnResult,
    *,
    public_url: str | None,
    note: str | None = None,
    links: Sequence[str] = (),
) -> tuple[str, list[Block]]:
    """Return a turn's reply as fallback text and Block Kit blocks.

    ``links`` are the citations' openable paths in order (signed document links; the
    citation's own URL when missing), made absolute with ``public_url``.
    """
    body = escape(result.reply)
    if note:
        body = f"_{escape(note)}_\n{body}"
    blocks: list[Block] = [_section(body)]
    sources = [
        citation_line(c.title, c.page, c.section, links[i] if i < len(links) else c.url, public_url)
        for i, c in enumerate(result.citations[:MAX_CITATIONS])
    ]
    if sources:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _clip("Sources: " + " · ".join(sources))}],
            }
        )
    if result.proposed_action is not None:
        blocks.append(decision_buttons(result.proposed_action.id))
    if result.message_id:
        blocks.append(feedback_buttons(result.message_id))
    return _clip(result.reply, 3000), blocks


def after_decision(
    blocks: list[Block] | None, result: TurnResult, user_id: str, *, approve: bool
) -> tuple[str, list[Block]]:
    """Replace a message's Confirm / Cancel buttons with who decided and what happened."""
    verb = "confirmed" if approve else "cancelled"
    mark = ":white_check_mark:" if approve and result.outcome == "done" else ":x:"
    if approve and result.outcome == "error":
        mark = ":warning:"
    outcome = _section(
        f"{mark} <@{escape(user_id)}> {verb}: {escape(result.reply)}", DECISION_BLOCK
    )
    kept = [b for b in blocks or [] if isinstance(b, dict)]
    if any(b.get("block_id") == DECISION_BLOCK for b in kept):
        new = [outcome if b.get("block_id") == DECISION_BLOCK else b for b in kept]
    else:
        new = [*kept, outcome]
    return _clip(result.reply, 3000), new


def notice_blocks(notice: Notice, *, public_url: str | None = None) -> tuple[str, list[Block]]:
    """Return an alarm, new fault or overdue notice as text and blocks (buttons when asked)."""
    icon = {"alarm": ":rotating_light:", "fault": ":wrench:", "overdue": ":alarm_clock:"}.get(
        notice.kind, ":information_source:"
    )
    text = f"{icon} *{escape(notice.kind.capitalize())}*: {escape(notice.text)}"
    blocks: list[Block] = [_section(text)]
    if notice.link:
        link = notice.link
        if public_url and link.startswith("/"):
            link = public_url.rstrip("/") + link
        if link.startswith(("http://", "https://")):
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "text": f"<{_safe_url(link)}|Open in Bosun>",
                        }
                    ],
                }
            )
    if notice.action_id is not None:
        blocks.append(decision_buttons(notice.action_id))
    return _clip(f"{notice.kind}: {notice.text}", 3000), blocks
