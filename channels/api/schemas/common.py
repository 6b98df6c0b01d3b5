"""Shapes shared by every resource: pages and notes."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class ReadModel(BaseModel):
    """Base of the response schemas: built from ORM rows' attributes."""

    model_config = ConfigDict(from_attributes=True)


class WriteModel(BaseModel):
    """Base of the request schemas: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a listing; pass ``next_cursor`` as ``cursor`` to get the next one."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Cursor of the next page; null on the last page."
    )


class NoteRead(BaseModel):
    """A note on a fault or work order."""

    at: datetime | None = None
    user_id: int | None = None
    via: str | None = None
    text: str


class NoteCreate(WriteModel):
    """A note to add."""

    text: str = Field(min_length=1, max_length=10_000)
