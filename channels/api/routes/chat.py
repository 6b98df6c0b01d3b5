"""Chat: one turn over HTTP, streaming over a WebSocket, decisions, feedback, review."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from channels.api.deps import BosunDep, CallerDep, SessionDep
from channels.api.routes.common import Cursor, Limit, v1_router
from channels.chat_service import open_assistant
from records import ALL_TENANTS, BosunError, conversations, users

router = v1_router(tags=["chat"])


class TurnIn(BaseModel):
    """One message to the assistant."""

    text: str = Field(min_length=1, max_length=4000)
    conversation: str | None = Field(
        default=None,
        max_length=200,
        description="Your key for the conversation (a thread, a session); omit for a new one.",
    )
    voice: bool = Field(default=False, description="The text came from speech.")
    vessel_id: int | None = Field(default=None, description="Needed if you see several vessels.")


class FeedbackIn(BaseModel):
    """Whether a reply helped."""

    helpful: bool
    comment: str | None = Field(default=None, max_length=2000)


@router.post("/chat/turns")
def chat_turn(
    body: TurnIn, bosun: BosunDep, session: SessionDep, caller: CallerDep
) -> dict[str, Any]:
    """Send one message; get the reply with its citations and any proposed action."""
    result = open_assistant(bosun).turn(
        session,
        caller,
        body.text,
        channel="api",
        conversation_key=body.conversation,
        voice=body.voice,
        vessel_id=body.vessel_id,
    )
    return result.to_dict()


@router.post("/chat/actions/{action_id}/confirm")
def confirm_action(
    action_id: int, bosun: BosunDep, session: SessionDep, caller: CallerDep
) -> dict[str, Any]:
    """Confirm a proposed action (executed once, even if confirmed twice)."""
    return open_assistant(bosun).decide(session, caller, action_id, approve=True).to_dict()


@router.post("/chat/actions/{action_id}/cancel")
def cancel_action(
    action_id: int, bosun: BosunDep, session: SessionDep, caller: CallerDep
) -> dict[str, Any]:
    """Cancel a proposed action."""
    return open_assistant(bosun).decide(session, caller, action_id, approve=False).to_dict()


@router.post("/chat/messages/{message_id}/feedback")
def feedback(
    message_id: int, body: FeedbackIn, session: SessionDep, caller: CallerDep
) -> dict[str, Any]:
    """Mark a reply helpful or unhelpful."""
    msg = conversations.set_feedback(
        session, caller, message_id, helpful=body.helpful, comment=body.comment
    )
    return {"message_id": msg.id, "feedback": msg.feedback}


@router.get("/chat/review")
def review(
    session: SessionDep, caller: CallerDep, cursor: Cursor = None, limit: Limit = 50
) -> dict[str, Any]:
    """Questions nothing answered and replies marked unhelpful (for the admins)."""
    from records import Permission, require

    require(caller, Permission.curate_knowledge)
    page = conversations.questions_to_review(session, caller, cursor=cursor, limit=limit)
    items = []
    for msg in page.items:
        question = next(
            (
                m.text
                for m in reversed(
                    conversations.messages(
                        session,
                        caller,
                        conversations.get_conversation(session, caller, msg.conversation_id),
                        last=50,
                    )
                )
                if m.role == "user" and m.id < msg.id
            ),
            None,
        )
        items.append(
            {
                "message_id": msg.id,
                "question": question,
                "reply": msg.text,
                "unanswered": msg.unanswered,
                "feedback": msg.feedback,
                "comment": msg.feedback_comment,
                "at": msg.created_at.isoformat(),
            }
        )
    return {"items": items, "next_cursor": page.next_cursor}


def _chunks(text: str, size: int = 24) -> list[str]:
    words, out, current = text.split(" "), [], ""
    for word in words:
        current = f"{current} {word}" if current else word
        if len(current) >= size:
            out.append(current + " ")
            current = ""
    if current:
        out.append(current)
    return out


@router.websocket("/chat/ws")
async def chat_socket(
    websocket: WebSocket,
    api_key: Annotated[str | None, Query(description="API key or chat token")] = None,
) -> None:
    """Chat over a WebSocket: send {"text", "conversation"?, "voice"?}, receive deltas, final."""
    bosun = websocket.app.state.bosun
    secret = api_key or (websocket.headers.get("authorization", "").removeprefix("Bearer "))
    try:
        with bosun.db.transaction(ALL_TENANTS) as s:
            caller = users.authenticate_key(s, secret.strip(), channel="web")
    except BosunError:
        await websocket.close(code=4401, reason="unauthorized")
        return
    await websocket.accept()
    assistant = open_assistant(bosun)
    try:
        while True:
            message = await websocket.receive_json()
            text = str(message.get("text", "")).strip()
            if not text:
                await websocket.send_json({"type": "error", "detail": 'send {"text": ...}'})
                continue

            def run(msg: dict[str, Any] = message, body: str = text) -> dict[str, Any]:
                with bosun.db.transaction(caller) as s:
                    return assistant.turn(
                        s,
                        caller,
                        body,
                        channel="web",
                        conversation_key=msg.get("conversation"),
                        voice=bool(msg.get("voice")),
                        vessel_id=msg.get("vessel_id"),
                    ).to_dict()

            try:
                result = await asyncio.to_thread(run)
            except BosunError as err:
                await websocket.send_json(
                    {"type": "error", "code": err.code.value, "detail": err.message}
                )
                continue
            for piece in _chunks(result["reply"]):
                await websocket.send_json({"type": "delta", "text": piece})
            await websocket.send_json({"type": "final", **result})
    except WebSocketDisconnect:
        return
