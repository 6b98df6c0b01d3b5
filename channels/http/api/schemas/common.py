"""Shapes shared by every resource: pages and notes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from annotated_types import Ge, Lt
from pydantic import BaseModel, ConfigDict, Field

from records import MAX_ID

T = TypeVar("T")

Id = Annotated[int, Ge(1), Lt(MAX_ID + 1)]
"""An id of a stored row: every id in a path, a query or a body has this type, so a
number the database cannot hold (0, negative, 2^63 and up) is a 422 before any query."""
Int32 = Annotated[int, Ge(-(2**31)), Lt(2**31)]
"""A 32-bit integer column's range (reading quality codes)."""


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**constraints: Any) -> Any:
    """Return a field a change may leave out but, when sent, may not be null (a 422).

    Use it for columns that always hold a value: ``{"tags": null}`` must not clear a list
    (send ``[]``), ``{"priority": null}`` must not blank a priority.
    """
    return Field(default=None, json_schema_extra=_no_default, **constraints)


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
