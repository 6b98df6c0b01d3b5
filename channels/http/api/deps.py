"""Request dependencies: the running Bosun, the authenticated caller, its unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from assistant import TOKEN_PREFIX, Speaker
from channels.app.runtime import Bosun
from channels.services.chat import open_gateway
from records import ALL_TENANTS, BosunError, Caller, ErrorCode, users

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")
_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key in the X-API-Key header"
)


def get_bosun(request: Request) -> Bosun:
    """Return the running Bosun the app was built with."""
    bosun: Bosun = request.app.state.bosun
    return bosun


BosunDep = Annotated[Bosun, Depends(get_bosun)]


def authenticate(
    bosun: BosunDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Caller:
    """Return the caller whose API key came with the request, or raise ``unauthorized``."""
    secret = bearer.credentials if bearer is not None else header_key
    if not secret:
        raise BosunError(
            ErrorCode.unauthorized,
            "an API key is needed: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
            "(create one with `bosun keys create`)",
        )
    with bosun.db.transaction(ALL_TENANTS) as session:
        return users.authenticate_key(session, secret.strip(), channel="api")


CallerDep = Annotated[Caller, Depends(authenticate)]


def unit_of_work(bosun: BosunDep, caller: CallerDep) -> Iterator[Session]:
    """Yield a session bound to the caller's organization; commit when the handler returns."""
    with bosun.db.transaction(caller) as session:
        yield session


# scope="function": commit (or roll back) before the response is sent, so a client never
# sees a success for a change that failed to commit.
SessionDep = Annotated[Session, Depends(unit_of_work, scope="function")]


def chat_speaker(
    bosun: BosunDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Speaker:
    """Return who is chatting: the user of a short-lived chat token or of an API key."""
    secret = bearer.credentials if bearer is not None else header_key
    if not secret:
        raise BosunError(
            ErrorCode.unauthorized,
            "a chat token or API key is needed: send 'Authorization: Bearer <token>'",
        )
    gateway = open_gateway(bosun)
    if secret.startswith(TOKEN_PREFIX):
        return gateway.speaker_for_token(secret, channel="web")
    return gateway.speaker_for_key(secret, channel="api")


SpeakerDep = Annotated[Speaker, Depends(chat_speaker)]
