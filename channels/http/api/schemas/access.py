"""Users, API keys, the caller, pending actions and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, SecretStr

from channels.http.api.schemas.common import Id, ReadModel, WriteModel, optional
from records import PendingStatus, Role


class MeRead(BaseModel):
    """Who the API key belongs to."""

    org_id: int
    user_id: int | None
    role: Role
    vessel_ids: list[int]
    all_vessels: bool


class UserCreate(WriteModel):
    """A user to add to the organization."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    role: Role
    vessel_ids: list[Id] = Field(
        default_factory=list, description="Vessels the user works on; empty means all."
    )
    password: SecretStr | None = Field(default=None, description="For the web pages; 8+ chars.")
    position: str | None = Field(
        default=None, max_length=100, description="Position on board: 'Second engineer'."
    )


class UserUpdate(WriteModel):
    """Changes to a user."""

    name: str = optional(min_length=1, max_length=200)
    role: Role = optional()
    vessel_ids: list[Id] = optional(description="Vessels the user works on; [] means all.")
    active: bool = optional()
    password: SecretStr = optional(description="For the web pages; 8+ chars.")
    position: str = optional(max_length=100, description="Position on board; '' clears it.")


class UserRead(ReadModel):
    """A user (never their password hash)."""

    id: int
    name: str
    email: str
    role: Role
    position: str | None = None
    vessel_ids: list[int]
    active: bool
    created_at: datetime


class ApiKeyCreate(WriteModel):
    """A key to issue; for another user only with the admin role."""

    name: str = Field(min_length=1, max_length=200)
    user_id: Id | None = Field(default=None, description="Default: the caller.")


class ApiKeyRead(ReadModel):
    """An API key's record (its secret is never stored)."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """A new key with its secret: shown this once, store it now."""

    secret: str


class PendingActionRead(ReadModel):
    """An action proposed for a person to confirm."""

    id: int
    vessel_id: int | None
    kind: str
    arguments: dict[str, Any]
    summary: str
    status: PendingStatus
    proposed_by_id: int | None
    addressed_to_user_id: int | None
    addressed_to_role: Role | None
    conversation_id: int | None
    decided_by_id: int | None
    channel: str
    result: dict[str, Any]
    error: str | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None


class AuditEntryRead(ReadModel):
    """One audit-log row: who changed what, before and after, through which channel."""

    id: int
    user_id: int | None
    channel: str
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime
