"""The glossary as channels show it: shipped entries and the organization's own, merged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from knowledge import Glossary
from records import Caller, glossary

Source = Literal["all", "organization", "shipped"]


@dataclass(frozen=True, slots=True)
class GlossaryRow:
    """One term as listed: from the shipped glossary or the organization's entries."""

    id: int | None
    term: str
    expansions: tuple[str, ...]
    source: Literal["organization", "shipped"]
    notes: str | None = None
    overrides_shipped: bool = False


def glossary_rows(session: Session, caller: Caller, source: Source = "all") -> list[GlossaryRow]:
    """Return the glossary of the caller's organization, sorted by term.

    ``all`` lists the shipped entries with the organization's overrides applied,
    ``organization`` only its own, ``shipped`` the glossary as shipped.
    """
    shipped = Glossary.shipped().terms
    own = [
        GlossaryRow(
            e.id,
            e.term,
            glossary.expansions(e),
            "organization",
            e.notes,
            overrides_shipped=e.term_key in shipped,
        )
        for e in glossary.list_entries(session, caller)
    ]
    if source == "organization":
        return own
    base = [GlossaryRow(None, t.term, t.expansions, "shipped", t.notes) for t in shipped.values()]
    if source == "shipped":
        return sorted(base, key=lambda r: r.term.casefold())
    mine = {glossary.term_key(r.term) for r in own}
    merged = [r for r in base if glossary.term_key(r.term) not in mine] + own
    return sorted(merged, key=lambda r: r.term.casefold())
