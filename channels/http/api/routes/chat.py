"""Chat: one turn over HTTP, streaming over a WebSocket, decisions, feedback, review."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Form, Query, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from assistant import ChatGateway, Speaker, Upload
from channels.http.api.deps import BosunDep, CallerDep, SessionDep, SpeakerDep
from channels.http.api.problems import problem_responses
from channels.http.api.routes.common import Cursor, Limit, v1_router
from channels.http.api.schemas.common import Id
from channels.http.api.served_files import document_file_response
from channels.services.chat import open_gateway
from records import MAX_ID, BosunError, ErrorCode, Permission, conversations, require, users

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
    vessel_id: Id | None = Field(default=None, description="Needed if you see several vessels.")


class FeedbackIn(BaseModel):
    """Whether a reply helped."""

    helpful: bool
    comment: str | None = Field(default=None, max_length=2000)


def _conversation_key(speaker: Speaker, key: str | None) -> str:
    """Keep clients' conversation keys apart per user (clients choose them)."""
    return f"u{speaker.user_id}:{key or uuid.uuid4().hex}"


@router.post("/chat/turns")
def chat_turn(body: TurnIn, bosun: BosunDep, speaker: SpeakerDep) -> dict[str, Any]:
    """Send one message; get the reply with its citations and any proposed action."""
    result = open_gateway(bosun).turn(
        speaker,
        body.text,
        conversation=_conversation_key(speaker, body.conversation),
        voice=body.voice,
        vessel_id=body.vessel_id,
    )
    return result.to_dict()


@router.post("/chat/actions/{action_id}/confirm", responses=problem_responses(410))
def confirm_action(action_id: Id, bosun: BosunDep, speaker: SpeakerDep) -> dict[str, Any]:
    """Confirm a proposed action (executed once, even if confirmed twice)."""
    return open_gateway(bosun).decide(speaker, action_id, approve=True).to_dict()


@router.post("/chat/actions/{action_id}/cancel", responses=problem_responses(410))
def cancel_action(action_id: Id, bosun: BosunDep, speaker: SpeakerDep) -> dict[str, Any]:
    """Cancel a proposed action."""
    return open_gateway(bosun).decide(speaker, action_id, approve=False).to_dict()


@router.post("/chat/messages/{message_id}/feedback")
def feedback(
    message_id: Id, body: FeedbackIn, bosun: BosunDep, speaker: SpeakerDep
) -> dict[str, Any]:
    """Mark a reply helpful or unhelpful."""
    open_gateway(bosun).feedback(speaker, message_id, helpful=body.helpful, comment=body.comment)
    return {"message_id": message_id, "feedback": "helpful" if body.helpful else "unhelpful"}


class TokenIn(BaseModel):
    """Whom a chat token is for."""

    user: str | None = Field(
        default=None,
        max_length=320,
        description="Email of the signed-in user of your site (default: the key's own user). "
        "Issuing for another user needs an admin key.",
    )
    ttl_s: int = Field(default=3600, ge=60, le=86400, description="Lifetime in seconds.")


@router.post("/chat/tokens")
def chat_token(body: TokenIn, bosun: BosunDep, caller: CallerDep) -> dict[str, Any]:
    """Issue a short-lived chat token for a page's signed-in user (never put a key in a page)."""
    user_id = caller.user_id
    if body.user:
        with bosun.db.transaction(caller) as s:
            found = users.find_user_by_email(s, caller, body.user)
            if found is None or not found.active:
                raise BosunError(ErrorCode.not_found, f"no active user {body.user}")
            if found.id != caller.user_id:
                require(caller, Permission.manage_users)
            user_id = found.id
    if user_id is None:
        raise BosunError(ErrorCode.invalid, "this key has no user; name one in 'user'")
    issued = open_gateway(bosun).issue_chat_token(
        caller.org_id, user_id, ttl=timedelta(seconds=body.ttl_s)
    )
    with bosun.db.transaction(caller) as s:
        holder = users.get_user(s, caller, user_id)
        users.audit_chat_token(s, caller, user=holder, expires_at=issued.expires_at)
    return {
        "token": issued.token,
        "expires_at": issued.expires_at.isoformat(),
        "user": {"id": issued.speaker.user_id, "name": issued.speaker.name},
    }


@router.post("/chat/link-codes")
def link_code(bosun: BosunDep, speaker: SpeakerDep) -> dict[str, Any]:
    """Issue a one-time code to send the Bosun bot as ``/link CODE`` in Slack or Telegram."""
    code = open_gateway(bosun).issue_link_code(speaker)
    return {"code": code, "expires_in_s": 900, "how": f"send '/link {code}' to the Bosun bot"}


@router.post("/chat/attachments", responses=problem_responses(415))
async def attach(
    bosun: BosunDep,
    speaker: SpeakerDep,
    file: UploadFile,
    conversation: Annotated[str | None, Form(max_length=200)] = None,
    fault_id: Annotated[Id | None, Form()] = None,
) -> dict[str, Any]:
    """Send a photo or file: kept on ``fault_id``, or on the fault this conversation files next."""
    data = await file.read()
    upload = Upload(
        name=file.filename or "upload",
        content_type=file.content_type or "application/octet-stream",
        data=data,
    )
    return await asyncio.to_thread(
        open_gateway(bosun).attach,
        speaker,
        upload,
        conversation=_conversation_key(speaker, conversation),
        fault_id=fault_id,
    )


@router.get("/chat/documents/{document_id}", response_class=FileResponse)
def chat_document(
    document_id: Id,
    bosun: BosunDep,
    request: Request,
    token: Annotated[
        str | None, Query(description="Chat token (links opened from the widget)")
    ] = None,
    sig: Annotated[
        str | None, Query(description="Signature of a link sent in Slack/Telegram")
    ] = None,
) -> FileResponse:
    """Open a cited document (a PDF inline, append #page=N): for a chat token or signed link."""
    gateway = open_gateway(bosun)
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    speaker = None
    if sig is None:
        speaker = gateway.speaker_for_secret(token or bearer, "web")
    path, name = gateway.document_file(document_id, speaker=speaker, sig=sig)
    return document_file_response(path, name)


@router.get("/chat/review")
def review(
    session: SessionDep, caller: CallerDep, cursor: Cursor = None, limit: Limit = 50
) -> dict[str, Any]:
    """Questions nothing answered and replies marked unhelpful (for the admins)."""
    require(caller, Permission.curate_knowledge)
    page = conversations.questions_to_review(session, caller, cursor=cursor, limit=limit)
    items = []
    for msg in page.items:
        question = conversations.question_before(session, caller, msg)
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
    token: Annotated[str | None, Query(description="Chat token (or API key)")] = None,
    api_key: Annotated[str | None, Query(description="API key or chat token")] = None,
) -> None:
    """Chat over a WebSocket: send {"text", "conversation"?, "voice"?}, receive deltas, final.

    Also {"action": id, "approve": bool} for Confirm / Cancel and {"feedback": message_id,
    "helpful": bool}.
    """
    bosun = websocket.app.state.bosun
    gateway = open_gateway(bosun)
    secret = token or api_key or websocket.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        speaker = await asyncio.to_thread(gateway.speaker_for_secret, secret, "web")
    except BosunError:
        await websocket.close(code=4401, reason="unauthorized")
        return
    await websocket.accept()
    watcher = asyncio.create_task(_push_alarms(websocket, gateway, speaker))
    try:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            message = _frame_object(frame)
            if message is None:
                await websocket.send_json(
                    {"type": "error", "code": "invalid", "detail": "send a JSON object"}
                )
                continue
            problem = _frame_problem(message)
            if problem is not None:
                await websocket.send_json({"type": "error", "code": "invalid", "detail": problem})
                continue
            try:
                await _socket_message(websocket, gateway, speaker, message)
            except BosunError as err:
                await websocket.send_json(
                    {"type": "error", "code": err.code.value, "detail": err.message}
                )
    except WebSocketDisconnect:
        return
    finally:
        watcher.cancel()


ALARM_POLL_S = 10.0


async def _push_alarms(websocket: WebSocket, gateway: ChatGateway, speaker: Speaker) -> None:
    """Send alarm-proposed faults this user may decide, each once, as ``notice`` messages."""
    sent: set[int] = set()
    while True:
        try:
            waiting = await asyncio.to_thread(gateway.alarms_waiting, speaker)
        except BosunError:
            return
        for notice in waiting:
            if notice.action_id is not None and notice.action_id not in sent:
                sent.add(notice.action_id)
                await websocket.send_json(
                    {
                        "type": "notice",
                        "kind": notice.kind,
                        "text": notice.text,
                        "action_id": notice.action_id,
                        "vessel_id": notice.vessel_id,
                    }
                )
        await asyncio.sleep(ALARM_POLL_S)


async def _socket_message(
    websocket: WebSocket, gateway: ChatGateway, speaker: Speaker, message: dict[str, Any]
) -> None:
    if "action" in message:
        result = await asyncio.to_thread(
            gateway.decide, speaker, int(message["action"]), approve=bool(message.get("approve"))
        )
        await websocket.send_json({"type": "final", **result.to_dict()})
        return
    if "feedback" in message:
        await asyncio.to_thread(
            gateway.feedback,
            speaker,
            int(message["feedback"]),
            helpful=bool(message.get("helpful")),
        )
        await websocket.send_json({"type": "feedback", "message_id": int(message["feedback"])})
        return
    text = str(message.get("text", "")).strip()
    if not text:
        await websocket.send_json({"type": "error", "detail": 'send {"text": ...}'})
        return
    if len(text) > 4000:
        await websocket.send_json({"type": "error", "detail": "messages are up to 4000 characters"})
        return
    raw_vessel = message.get("vessel_id")
    result = await asyncio.to_thread(
        gateway.turn,
        speaker,
        text,
        conversation=_conversation_key(speaker, _text_or_none(message.get("conversation"))),
        voice=bool(message.get("voice")),
        vessel_id=int(raw_vessel) if isinstance(raw_vessel, int) else None,
    )
    data = result.to_dict()
    for piece in _chunks(data["reply"]):
        await websocket.send_json({"type": "delta", "text": piece})
    await websocket.send_json({"type": "final", **data})


def _frame_object(frame: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return a frame's JSON object, or None for anything else (not JSON, not an object)."""
    raw = frame.get("text")
    if raw is None and frame.get("bytes") is not None:
        raw = bytes(frame["bytes"]).decode("utf-8", errors="replace")
    try:
        value = json.loads(raw or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _frame_problem(message: dict[str, Any]) -> str | None:
    """Say what is wrong with a frame's fields, or None when it can be handled."""
    for key, what in (("action", "a pending action's id"), ("feedback", "a message's id")):
        if key in message and not _is_id(message[key]):
            return f"'{key}' must be {what}"
    vessel_id = message.get("vessel_id")
    if vessel_id is not None and not _is_id(vessel_id):
        return "'vessel_id' must be a vessel's id"
    if "action" not in message and "feedback" not in message and "text" not in message:
        return 'send {"text": ...}, {"action": id, "approve": bool} or {"feedback": id, ...}'
    return None


def _text_or_none(value: object) -> str | None:
    return str(value)[:200] if value else None
