"""The caller, users and API keys."""

from __future__ import annotations

from fastapi import status

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import Cursor, Limit, all_of, invalid, page_of, v1_router
from channels.http.api.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    MeRead,
    Page,
    UserCreate,
    UserRead,
    UserUpdate,
)
from channels.http.api.schemas.common import Id
from records import Permission, referenced, require, users

router = v1_router()


@router.get("/me", tags=["users"])
def me(caller: CallerDep) -> MeRead:
    """Tell who the API key belongs to."""
    return MeRead(
        org_id=caller.org_id,
        user_id=caller.user_id,
        role=caller.role,
        vessel_ids=sorted(caller.vessel_ids),
        all_vessels=caller.all_vessels,
    )


@router.get("/users", tags=["users"])
def list_users(
    session: SessionDep, caller: CallerDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[UserRead]:
    """List the organization's users (admin)."""
    require(caller, Permission.manage_users)
    return page_of(UserRead, users.list_users(session, caller, cursor=cursor, limit=limit))


@router.post("/users", status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(body: UserCreate, session: SessionDep, caller: CallerDep) -> UserRead:
    """Add a user to the organization (admin)."""
    user = users.create_user(
        session,
        caller,
        name=body.name,
        email=body.email,
        role=body.role,
        vessel_ids=body.vessel_ids,
        password=_password(body),
        position=body.position,
    )
    return UserRead.model_validate(user)


@router.get("/users/{user_id}", tags=["users"])
def get_user(user_id: Id, session: SessionDep, caller: CallerDep) -> UserRead:
    """Get one user (admin, or the user themself)."""
    if user_id != caller.user_id:
        require(caller, Permission.manage_users)
    return UserRead.model_validate(users.get_user(session, caller, user_id))


@router.patch("/users/{user_id}", tags=["users"])
def update_user(user_id: Id, body: UserUpdate, session: SessionDep, caller: CallerDep) -> UserRead:
    """Change a user's name, role, vessels, password, active flag or position (admin)."""
    require(caller, Permission.manage_users)
    user = users.get_user(session, caller, user_id)
    users.update_user(
        session,
        caller,
        user,
        role=body.role,
        vessel_ids=body.vessel_ids,
        active=body.active,
        name=body.name,
        password=_password(body),
        position=body.position,
    )
    return UserRead.model_validate(user)


@router.get("/api-keys", tags=["api keys"])
def list_api_keys(session: SessionDep, caller: CallerDep) -> Page[ApiKeyRead]:
    """List API keys without their secrets: all of them for an admin, else the caller's."""
    return all_of(ApiKeyRead, users.list_api_keys(session, caller))


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, tags=["api keys"])
def create_api_key(body: ApiKeyCreate, session: SessionDep, caller: CallerDep) -> ApiKeyCreated:
    """Issue an API key; its secret is in this response only, so store it now."""
    user_id = body.user_id if body.user_id is not None else caller.user_id
    if user_id is None:
        raise invalid("this caller has no user; give user_id")
    if user_id != caller.user_id:
        require(caller, Permission.manage_keys)
    with referenced("user_id"):
        user = users.get_user(session, caller, user_id)
    issued = users.create_api_key(session, caller, user=user, name=body.name)
    session.flush()
    read = ApiKeyRead.model_validate(issued.key)
    return ApiKeyCreated(**read.model_dump(), secret=issued.secret)


@router.delete("/api-keys/{key_id}", tags=["api keys"])
def revoke_api_key(key_id: Id, session: SessionDep, caller: CallerDep) -> ApiKeyRead:
    """Revoke an API key; it stops working at once."""
    return ApiKeyRead.model_validate(users.revoke_api_key(session, caller, key_id))


def _password(body: UserCreate | UserUpdate) -> str | None:
    """Return the body's new password in clear (records.users hashes it), or None."""
    return body.password.get_secret_value() if body.password else None


@router.post("/users/{user_id}/link-codes", status_code=status.HTTP_201_CREATED, tags=["users"])
def create_link_code(user_id: Id, session: SessionDep, caller: CallerDep) -> dict[str, object]:
    """Issue a one-time code the user sends the Slack or Telegram bot as ``/link CODE``."""
    user = users.get_user(session, caller, user_id)
    code = users.issue_link_code(session, caller, user=user)
    return {
        "code": code,
        "user_id": user.id,
        "expires_in_s": int(users.LINK_CODE_TTL.total_seconds()),
    }
