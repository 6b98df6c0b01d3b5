"""Conversations and messages, with feedback and unanswered questions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.common import Page, get_owned, paginate, scoped
from records.context import Caller
from records.errors import invalid
from records.models import Conversation, Message


def get_or_start_conversation(
    session: Session,
    caller: Caller,
    *,
    channel: str,
    external_id: str,
    vessel_id: int | None = None,
) -> Conversation:
    """Return the conversation for a channel thread, starting it if new."""
    conv = session.scalar(
        select(Conversation).where(
            Conversation.org_id == caller.org_id,
            Conversation.channel == channel,
            Conversation.external_id == external_id,
        )
    )
    if conv is not None:
        return conv
    conv = Conversation(
        org_id=caller.org_id,
        user_id=caller.user_id,
        vessel_id=vessel_id,
        channel=channel,
        external_id=external_id,
        state={},
    )
    try:
        with session.begin_nested():  # two first messages of one thread may race
            session.add(conv)
    except IntegrityError:
        raced = session.scalar(
            select(Conversation).where(
                Conversation.org_id == caller.org_id,
                Conversation.channel == channel,
                Conversation.external_id == external_id,
            )
        )
        if raced is None:
            raise
        return raced
    return conv


def get_conversation(session: Session, caller: Caller, conversation_id: int) -> Conversation:
    """Return one conversation of the caller's organization."""
    return get_owned(session, caller, Conversation, conversation_id)


def save_state(session: Session, conv: Conversation, state: dict[str, Any]) -> None:
    """Replace a conversation's dialogue state."""
    conv.state = dict(state)


def add_message(
    session: Session,
    caller: Caller,
    conv: Conversation,
    *,
    role: str,
    text: str,
    citations: list[dict[str, Any]] | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    unanswered: bool = False,
) -> Message:
    """Append a message to a conversation."""
    msg = Message(
        org_id=caller.org_id,
        conversation_id=conv.id,
        role=role,
        text=text,
        citations=list(citations or []),
        tool_calls=list(tool_calls or []),
        unanswered=unanswered,
    )
    session.add(msg)
    session.flush()
    return msg


def messages(session: Session, caller: Caller, conv: Conversation, last: int = 20) -> list[Message]:
    """Return a conversation's last messages, oldest first."""
    stmt = scoped(select(Message), Message, caller).where(Message.conversation_id == conv.id)
    rows = list(session.scalars(stmt.order_by(Message.id.desc()).limit(last)))
    return rows[::-1]


def set_feedback(
    session: Session, caller: Caller, message_id: int, *, helpful: bool, comment: str | None = None
) -> Message:
    """Mark an assistant reply helpful or unhelpful."""
    msg = get_owned(session, caller, Message, message_id)
    if msg.role != "assistant":
        raise invalid("feedback is for the assistant's replies")
    msg.feedback = "helpful" if helpful else "unhelpful"
    msg.feedback_comment = comment
    return msg


def questions_to_review(
    session: Session, caller: Caller, *, cursor: str | None = None, limit: int = 50
) -> Page[Message]:
    """Return replies that found nothing or were marked unhelpful, for the admins."""
    stmt = scoped(select(Message), Message, caller).where(
        Message.role == "assistant",
        (Message.unanswered.is_(True)) | (Message.feedback == "unhelpful"),
    )
    return paginate(session, stmt, Message, cursor, limit)


def question_before(session: Session, caller: Caller, reply: Message) -> str | None:
    """Return the user's message a reply answered (the last one before it), if any."""
    conv = get_conversation(session, caller, reply.conversation_id)
    asked = [
        m.text
        for m in messages(session, caller, conv, last=50)
        if m.role == "user" and m.id < reply.id
    ]
    return asked[-1] if asked else None
