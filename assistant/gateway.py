"""What chat adapters (Slack, Telegram, the web widget, voice) talk to.

An adapter knows a platform account ("slack:T1/U2", "telegram:12345") or a widget's chat
token, never a database session. ``ChatGateway`` turns those into a ``Speaker`` (a Bosun
user), runs turns, decisions and feedback for them in their own organization, keeps the
files they send, and issues the short-lived tokens and one-time link codes that let a
person prove who they are.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.engine import Assistant
from assistant.tools import load_index
from assistant.types import TurnResult
from records import (
    ALL_TENANTS,
    BosunError,
    Caller,
    Database,
    ErrorCode,
    Permission,
    User,
    clean_line,
    clean_text,
    conversations,
    documents,
    faults,
    pending,
    register,
    require,
    users,
)

TOKEN_PREFIX = "bct."
"""Chat tokens start with this, API keys with ``bsn_``."""
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = ("image/", "application/pdf", "text/plain", "video/mp4")
WAITING = "attachments_waiting"
"""Conversation state key: files sent before the fault they belong to was filed."""


class ChatError(BosunError):
    """A chat request that cannot be served (unlinked account, bad token, bad file)."""


@dataclass(frozen=True, slots=True)
class Speaker:
    """A Bosun user talking through a channel."""

    org_id: int
    user_id: int
    name: str
    email: str
    role: str
    channel: str


@dataclass(frozen=True, slots=True)
class ChatToken:
    """A short-lived token a web page uses instead of an API key."""

    token: str
    expires_at: datetime
    speaker: Speaker


@dataclass(frozen=True, slots=True)
class Upload:
    """A file a crew member sent (a photo of a leak, a log)."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to post to a vessel's crew channel: an alarm, a new fault, an overdue job."""

    kind: str
    """``alarm``, ``fault`` or ``overdue``."""
    vessel_id: int
    text: str
    action_id: int | None = None
    """A proposed action the notice offers Confirm / Cancel buttons for."""
    link: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChatGateway:
    """Identities, turns, decisions, feedback and files for the chat adapters."""

    db: Database
    assistant: Assistant
    secret: str
    """Signs chat tokens; the same on every server of a fleet (``BOSUN_SECRET_KEY``)."""
    files: Path
    """Where sent files are kept (``BOSUN_HOME/uploads``)."""
    token_ttl: timedelta = timedelta(hours=1)

    # --- who is talking ------------------------------------------------------------------

    def identify(
        self, channel: str, external_id: str, *, verified_email: str | None = None
    ) -> Speaker | None:
        """Return the user a platform account is linked to, or ``None`` (send link help).

        A ``verified_email`` (Slack's profile email, verified by Slack) links the account on
        first contact when exactly one Bosun user has that address.
        """
        with self.db.transaction(ALL_TENANTS) as s:
            linked = users.identities_of(s, channel, external_id)
            if len(linked) == 1:
                return _speaker(linked[0], channel)
            if linked or not verified_email:
                return None
            matches = users.users_with_email(s, verified_email)
            if len(matches) != 1:
                return None
            user = matches[0]
            try:
                with s.begin_nested():  # two clicks of a new account may arrive at once
                    users.link_identity(
                        s,
                        users.caller_for(user, channel),
                        user=user,
                        channel=channel,
                        external_id=external_id,
                    )
            except IntegrityError:
                raced = users.identities_of(s, channel, external_id)
                return _speaker(raced[0], channel) if len(raced) == 1 else None
            return _speaker(user, channel)

    def link(self, channel: str, external_id: str, code: str) -> Speaker:
        """Tie a platform account to the user a link code was issued to."""
        try:
            with self.db.transaction(ALL_TENANTS) as s:
                return _speaker(
                    users.redeem_link_code(s, code, channel=channel, external_id=external_id),
                    channel,
                )
        except BosunError as err:
            raise ChatError(err.code, err.message) from err

    def issue_link_code(self, speaker: Speaker, user_id: int | None = None) -> str:
        """Return a one-time code for ``/link CODE`` (for the speaker, or any user if admin)."""
        with self.db.transaction(speaker.org_id) as s:
            caller = self._caller(s, speaker)
            user = users.get_user(s, caller, user_id or speaker.user_id)
            return users.issue_link_code(s, caller, user=user)

    def speaker_for_key(self, api_key: str, channel: str = "web") -> Speaker:
        """Return the user an API key belongs to."""
        with self.db.transaction(ALL_TENANTS) as s:
            caller = users.authenticate_key(s, api_key.strip(), channel=channel)
            user = s.get(User, caller.user_id)
            assert user is not None  # authenticate_key checked it
            return _speaker(user, channel)

    # --- chat tokens ---------------------------------------------------------------------

    def issue_chat_token(
        self, org_id: int, user_id: int, *, ttl: timedelta | None = None
    ) -> ChatToken:
        """Sign a token that lets a web page chat as this user until it expires."""
        ttl = min(ttl or self.token_ttl, timedelta(days=1))
        with self.db.transaction(org_id) as s:
            user = s.get(User, user_id)
            if user is None or user.org_id != org_id or not user.active:
                raise ChatError(ErrorCode.invalid, "unknown or inactive user")
            speaker = _speaker(user, "web")
        expires = datetime.now(UTC) + ttl
        body = self._serializer().dumps({"o": org_id, "u": user_id, "e": int(expires.timestamp())})
        return ChatToken(token=f"{TOKEN_PREFIX}{body}", expires_at=expires, speaker=speaker)

    def speaker_for_token(self, token: str, channel: str = "web") -> Speaker:
        """Return the user a chat token was issued to, or raise ``unauthorized``."""
        if not token.startswith(TOKEN_PREFIX):
            raise ChatError(ErrorCode.unauthorized, "not a Bosun chat token")
        try:
            data = self._serializer().loads(
                token.removeprefix(TOKEN_PREFIX), max_age=int(timedelta(days=1).total_seconds())
            )
        except SignatureExpired as err:
            raise ChatError(ErrorCode.unauthorized, "the chat token has expired") from err
        except BadSignature as err:
            raise ChatError(ErrorCode.unauthorized, "invalid chat token") from err
        if not isinstance(data, dict) or data.get("e", 0) < datetime.now(UTC).timestamp():
            raise ChatError(ErrorCode.unauthorized, "the chat token has expired")
        with self.db.transaction(int(data["o"])) as s:
            user = s.get(User, int(data["u"]))
            if user is None or not user.active or user.org_id != int(data["o"]):
                raise ChatError(ErrorCode.unauthorized, "the chat token's user is inactive")
            return _speaker(user, channel)

    def speaker_for_secret(self, secret: str, channel: str = "web") -> Speaker:
        """Return the user behind a chat token or an API key."""
        secret = secret.strip()
        if secret.startswith(TOKEN_PREFIX):
            return self.speaker_for_token(secret, channel)
        return self.speaker_for_key(secret, channel)

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="bosun-chat-token")

    # --- conversation --------------------------------------------------------------------

    def turn(
        self,
        speaker: Speaker,
        text: str,
        *,
        conversation: str,
        voice: bool = False,
        vessel_id: int | None = None,
        uploads: Sequence[Upload] = (),
    ) -> TurnResult:
        """Run one message; files sent with it wait for the fault it reports."""
        # Whatever the channel, control characters never reach the records (nor PostgreSQL).
        text, conversation = clean_text(text), clean_line(conversation)
        with self.db.transaction(speaker.org_id) as s:
            caller = self._caller(s, speaker)
            result = self.assistant.turn(
                s,
                caller,
                text,
                channel=speaker.channel,
                conversation_key=conversation,
                voice=voice,
                vessel_id=vessel_id,
            )
            if uploads:
                self._keep(s, caller, result.conversation_id, uploads)
            self._attach_waiting(s, caller, result)
            return result

    def decide(self, speaker: Speaker, action_id: int, *, approve: bool) -> TurnResult:
        """Confirm or cancel a proposed action (a button); executed once however often."""
        with self.db.transaction(speaker.org_id) as s:
            caller = self._caller(s, speaker)
            result = self.assistant.decide(s, caller, action_id, approve=approve)
            self._attach_waiting(s, caller, result)
            return result

    def feedback(
        self, speaker: Speaker, message_id: int, *, helpful: bool, comment: str | None = None
    ) -> None:
        """Mark one of the assistant's replies helpful or unhelpful."""
        with self.db.transaction(speaker.org_id) as s:
            self.assistant.feedback(
                s, self._caller(s, speaker), message_id, helpful=helpful, comment=comment
            )

    def attach(
        self,
        speaker: Speaker,
        upload: Upload,
        *,
        conversation: str,
        fault_id: int | None = None,
    ) -> dict[str, Any]:
        """Keep a file: on ``fault_id`` now, else on the next fault this conversation files."""
        with self.db.transaction(speaker.org_id) as s:
            caller = self._caller(s, speaker)
            if fault_id is not None:
                fault = faults.get_fault(s, caller, fault_id)
                stored = self._store(caller, upload)
                faults.attach_to_fault(s, caller, fault, stored)
                return {**stored, "fault_id": fault.id}
            conv = conversations.get_or_start_conversation(
                s, caller, channel=speaker.channel, external_id=conversation
            )
            return {**self._keep(s, caller, conv.id, [upload])[0], "fault_id": None}

    def vocabulary(self, speaker: Speaker, vessel_id: int | None = None) -> list[str]:
        """Equipment names and aliases of the speaker's vessel (hints for speech to text)."""
        with self.db.transaction(speaker.org_id) as s:
            caller = self._caller(s, speaker)
            vessels = register.list_vessels(s, caller)
            vid = vessel_id or (vessels[0].id if vessels else None)
            if vid is None:
                return []
            index = load_index(s, caller, vid)
            names: dict[str, None] = {}
            for item in index.items.values():
                names[item.name] = None
                for alias in item.aliases:
                    names[alias] = None
            return list(names)

    def read_file(self, speaker: Speaker, sha256: str) -> tuple[bytes, str]:
        """Return a kept file of the speaker's organization and its content type."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ChatError(ErrorCode.invalid, "not a file id")
        folder = self.files / f"org-{speaker.org_id}" / sha256[:2]
        for path in folder.glob(f"{sha256}*"):
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return path.read_bytes(), kind
        raise ChatError(ErrorCode.not_found, "no such file")

    def alarms_waiting(self, speaker: Speaker) -> list[Notice]:
        """Alarm-proposed faults waiting for this speaker's Confirm / Cancel (newest last)."""
        with self.db.transaction(speaker.org_id) as s:
            caller = self._caller(s, speaker)
            return [
                Notice(
                    kind="alarm",
                    vessel_id=a.vessel_id or 0,
                    text=a.summary,
                    action_id=a.id,
                    data={"expires_at": a.expires_at.isoformat()},
                )
                for a in pending.list_actions(s, caller)
                if a.idempotency_key.startswith("alarm:")
            ]

    # --- documents -------------------------------------------------------------------------

    def document_link(self, speaker: Speaker, document_id: int, page: int | None = None) -> str:
        """Return a path that opens a cited document without a key (signed, valid 7 days).

        For replies in Slack and Telegram, where the reader's browser carries no token.
        """
        sig = URLSafeTimedSerializer(self.secret, salt="bosun-document-link").dumps(
            {"o": speaker.org_id, "u": speaker.user_id, "d": document_id}
        )
        url = f"/v1/chat/documents/{document_id}?sig={sig}"
        return f"{url}#page={page}" if page else url

    def document_file(
        self, document_id: int, *, speaker: Speaker | None = None, sig: str | None = None
    ) -> tuple[Path, str]:
        """Return a cited document's file and name, for a speaker or a signed link."""
        if sig is not None:
            try:
                data = URLSafeTimedSerializer(self.secret, salt="bosun-document-link").loads(
                    sig, max_age=int(timedelta(days=7).total_seconds())
                )
            except BadSignature as err:
                raise ChatError(ErrorCode.unauthorized, "invalid or expired link") from err
            if not isinstance(data, dict) or int(data.get("d", -1)) != document_id:
                raise ChatError(ErrorCode.unauthorized, "invalid link")
            with self.db.transaction(int(data["o"])) as s:
                user = s.get(User, int(data["u"]))
                if user is None or not user.active or user.org_id != int(data["o"]):
                    raise ChatError(ErrorCode.unauthorized, "the link's user is inactive")
                speaker = _speaker(user, "link")
        if speaker is None:
            raise ChatError(ErrorCode.unauthorized, "a chat token or a signed link is needed")
        with self.db.transaction(speaker.org_id) as s:
            doc = documents.get_document(s, self._caller(s, speaker), document_id)
            path = Path(doc.path) if doc.path and not doc.path.startswith("records://") else None
            if path is None or not path.exists():
                raise ChatError(ErrorCode.not_found, f"document {document_id} has no file")
            return path, doc.filename or path.name

    # --- helpers -------------------------------------------------------------------------

    def _caller(self, session: Session, speaker: Speaker) -> Caller:
        user = session.get(User, speaker.user_id)
        if user is None or not user.active or user.org_id != speaker.org_id:
            raise ChatError(ErrorCode.unauthorized, "this account's Bosun user is inactive")
        return users.caller_for(user, speaker.channel)

    def _store(self, caller: Caller, upload: Upload) -> dict[str, Any]:
        if len(upload.data) > MAX_ATTACHMENT_BYTES:
            raise ChatError(
                ErrorCode.too_large,
                f"{upload.name} is {len(upload.data) // 1024 // 1024} MB; "
                f"files up to {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB are kept",
            )
        kind = upload.content_type.split(";")[0].strip().lower()
        if not kind.startswith(ATTACHMENT_TYPES):
            raise ChatError(
                ErrorCode.unsupported_media_type,
                f"{upload.name}: {kind or 'unknown type'} is not kept; send a photo, PDF or text",
            )
        digest = hashlib.sha256(upload.data).hexdigest()
        ext = mimetypes.guess_extension(kind) or Path(upload.name).suffix[:10] or ""
        folder = self.files / f"org-{caller.org_id}" / digest[:2]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{digest}{ext}"
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
            with os.fdopen(fd, "wb") as out:
                out.write(upload.data)
            os.replace(tmp, target)
        return {
            "sha256": digest,
            "name": Path(upload.name).name[:200] or f"file{ext}",
            "content_type": kind,
            "size": len(upload.data),
            "path": str(target.relative_to(self.files)),
            "channel": caller.channel,
            "user_id": caller.user_id,
            "at": datetime.now(UTC).isoformat(),
        }

    def _keep(
        self, session: Session, caller: Caller, conversation_id: int, uploads: Sequence[Upload]
    ) -> list[dict[str, Any]]:
        require(caller, Permission.report_fault)
        conv = conversations.get_conversation(session, caller, conversation_id)
        stored = [self._store(caller, u) for u in uploads]
        state = dict(conv.state or {})
        state[WAITING] = [*state.get(WAITING, []), *stored][-10:]
        conversations.save_state(session, conv, state)
        return stored

    def _attach_waiting(self, session: Session, caller: Caller, result: TurnResult) -> None:
        fault_id = (result.executed or {}).get("fault_id")
        if not fault_id:
            return
        conv = conversations.get_conversation(session, caller, result.conversation_id)
        state = dict(conv.state or {})
        waiting = state.pop(WAITING, [])
        if not waiting:
            return
        fault = faults.get_fault(session, caller, int(fault_id))
        for item in waiting:
            faults.attach_to_fault(session, caller, fault, item)
        conversations.save_state(session, conv, state)


def _speaker(user: User, channel: str) -> Speaker:
    return Speaker(
        org_id=user.org_id,
        user_id=user.id,
        name=user.name,
        email=user.email,
        role=user.role.value,
        channel=channel,
    )
