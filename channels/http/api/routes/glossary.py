"""Crew vocabulary: ``GET|POST /v1/glossary``, ``DELETE /v1/glossary/{id}`` (issue 17).

Reads are open to every member of the organization; writes are for admins. An
organization's entry overrides the shipped entry with the same term, for it alone.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.routes.common import v1_router
from channels.http.api.schemas.common import Id
from channels.services.glossary import GlossaryRow, glossary_rows
from records import glossary

router = v1_router(tags=["glossary"])


class GlossaryItem(BaseModel):
    """A term and what it expands to in searches."""

    id: int | None = Field(description="The organization's entry id; null for shipped entries.")
    term: str
    expansions: list[str]
    source: Literal["organization", "shipped"]
    notes: str | None = None
    overrides_shipped: bool = Field(
        default=False, description="An organization's entry that replaces a shipped one."
    )


class GlossaryList(BaseModel):
    """The glossary that expands this organization's searches."""

    items: list[GlossaryItem]


class GlossaryCreate(BaseModel):
    """An organization's own term; posting a term it has already replaces that entry."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"term": "PMS", "expansion": "planned maintenance"}]},
    )

    term: str = Field(min_length=1, max_length=glossary.MAX_TERM)
    expansion: str = Field(
        min_length=1,
        max_length=glossary.MAX_EXPANSION,
        description="What the term stands for; alternatives separated by ';'.",
    )
    notes: str | None = Field(default=None, max_length=glossary.MAX_NOTES)


def _item(row: GlossaryRow) -> GlossaryItem:
    return GlossaryItem(
        id=row.id,
        term=row.term,
        expansions=list(row.expansions),
        source=row.source,
        notes=row.notes,
        overrides_shipped=row.overrides_shipped,
    )


@router.get("/glossary")
def list_glossary(
    session: SessionDep,
    caller: CallerDep,
    source: Annotated[
        Literal["all", "organization", "shipped"],
        Query(description="all: shipped entries with the organization's overrides applied."),
    ] = "all",
) -> GlossaryList:
    """List the terms that expand this organization's searches (any role)."""
    return GlossaryList(items=[_item(r) for r in glossary_rows(session, caller, source)])


@router.post(
    "/glossary",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": GlossaryItem, "description": "The term's entry was replaced."}},
)
def add_glossary_entry(
    body: GlossaryCreate, response: Response, session: SessionDep, caller: CallerDep
) -> GlossaryItem:
    """Add an organization term, or replace its entry for that term (admin)."""
    entry, created = glossary.set_entry(session, caller, body.term, body.expansion, body.notes)
    if not created:
        response.status_code = status.HTTP_200_OK
    rows = glossary_rows(session, caller, "organization")
    return _item(next(r for r in rows if r.id == entry.id))


@router.delete("/glossary/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_glossary_entry(entry_id: Id, session: SessionDep, caller: CallerDep) -> None:
    """Remove one of the organization's entries (admin); a shipped entry it hid is back."""
    glossary.delete_entry(session, caller, entry_id)
