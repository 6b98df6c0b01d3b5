"""Each organization's own crew terms: abbreviations and what its manuals call them.

An entry overrides the shipped glossary's entry with the same term (compared case-folded,
whitespace collapsed) for its organization only. Any member of the organization may read
the entries; only admins (``curate_knowledge``) add, change or remove them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.common import audit, get_owned, snapshot
from records.context import Caller
from records.errors import invalid, not_found
from records.models import GlossaryEntry
from records.roles import Permission, require

MAX_TERM = 60
MAX_EXPANSION = 300
MAX_NOTES = 300


def term_key(term: str) -> str:
    """Return the key a term is stored under: whitespace collapsed, case-folded."""
    return " ".join(term.split()).casefold()


def expansions(entry: GlossaryEntry) -> tuple[str, ...]:
    """Return an entry's expansions (its text split on ``;``)."""
    return tuple(p.strip() for p in entry.expansion.split(";") if p.strip())


def list_entries(session: Session, caller: Caller) -> list[GlossaryEntry]:
    """Return the organization's entries, by term."""
    require(caller, Permission.read)
    stmt = select(GlossaryEntry).where(GlossaryEntry.org_id == caller.org_id)
    return list(session.scalars(stmt.order_by(GlossaryEntry.term_key)))


def get_entry(session: Session, caller: Caller, entry_id: int) -> GlossaryEntry:
    """Return one entry of the caller's organization, else ``not_found``."""
    require(caller, Permission.read)
    return get_owned(session, caller, GlossaryEntry, entry_id)


def find_entry(session: Session, caller: Caller, term: str) -> GlossaryEntry | None:
    """Return the organization's entry for a term (any case), if there is one."""
    require(caller, Permission.read)
    stmt = select(GlossaryEntry).where(
        GlossaryEntry.org_id == caller.org_id, GlossaryEntry.term_key == term_key(term)
    )
    return session.scalars(stmt).first()


def set_entry(
    session: Session,
    caller: Caller,
    term: str,
    expansion: str,
    notes: str | None = None,
) -> tuple[GlossaryEntry, bool]:
    """Add or replace the organization's entry for a term (admins).

    Return the entry and whether it was created.
    """
    require(caller, Permission.curate_knowledge)
    clean_term, clean_expansion, clean_notes = _validated(term, expansion, notes)
    found = find_entry(session, caller, clean_term)
    if found is None:
        entry = GlossaryEntry(
            org_id=caller.org_id,
            term=clean_term,
            term_key=term_key(clean_term),
            expansion=clean_expansion,
            notes=clean_notes,
        )
        session.add(entry)
        audit(session, caller, "create", entry)
        return entry, True
    before = snapshot(found)
    found.term, found.expansion, found.notes = clean_term, clean_expansion, clean_notes
    audit(session, caller, "update", found, before)
    return found, False


def delete_entry(session: Session, caller: Caller, entry_id: int) -> None:
    """Remove one of the organization's entries (admins)."""
    require(caller, Permission.curate_knowledge)
    entry = get_owned(session, caller, GlossaryEntry, entry_id)
    audit(session, caller, "delete", entry)
    session.delete(entry)
    session.flush()


def delete_term(session: Session, caller: Caller, term: str) -> GlossaryEntry:
    """Remove the organization's entry for a term (admins); ``not_found`` when it has none."""
    require(caller, Permission.curate_knowledge)
    entry = find_entry(session, caller, term)
    if entry is None:
        raise not_found("glossary term", " ".join(term.split()) or repr(term))
    delete_entry(session, caller, entry.id)
    return entry


def _single_line(value: str, field: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text:
        raise invalid(f"{field} is empty", field=field)
    if len(text) > limit:
        raise invalid(f"{field} is longer than {limit} characters", field=field)
    if any(not c.isprintable() for c in text):
        raise invalid(f"{field} holds control characters", field=field)
    return text


def _validated(term: str, expansion: str, notes: str | None) -> tuple[str, str, str | None]:
    clean_term = _single_line(term, "term", MAX_TERM)
    if not any(c.isalnum() for c in clean_term):
        raise invalid("term needs a letter or a digit", field="term")
    clean_expansion = _single_line(expansion, "expansion", MAX_EXPANSION)
    parts = [p.strip() for p in clean_expansion.split(";")]
    if not all(parts):
        raise invalid("expansion has an empty alternative (alternatives: a; b)", field="expansion")
    clean_expansion = "; ".join(parts)
    if term_key(clean_expansion) == term_key(clean_term):
        raise invalid("expansion repeats the term", field="expansion")
    clean_notes = _single_line(notes, "notes", MAX_NOTES) if notes and notes.strip() else None
    return clean_term, clean_expansion, clean_notes


__all__ = [
    "MAX_EXPANSION",
    "MAX_NOTES",
    "MAX_TERM",
    "delete_entry",
    "delete_term",
    "expansions",
    "find_entry",
    "get_entry",
    "list_entries",
    "set_entry",
    "term_key",
]
