"""Crew vocabulary: expand abbreviations and register aliases in search queries.

The shipped glossary (``knowledge/data/glossary.yaml``) maps marine-engineering
abbreviations to what manuals spell out (LO -> lube oil, T/C -> turbocharger). An
organization's own entries override shipped ones with the same term, and the vessel
register's aliases (ME1 -> Main engine No. 1) are merged in; callers pass both in a
``Vocabulary`` on the ``SearchScope``, so nothing here reads another organization's terms.

Matching is token-aware: a term matches only as a whole token (``LO`` never inside
``slow``), optionally followed by a unit number (``DG2``) or a plural ``s`` (``DGs``).
Short capital terms (one or two letters, no ``/``) match only as written, so ``ME`` and
``PS`` leave "me" and "ps" alone; other terms match in any case unless marked
``case_sensitive``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from knowledge.errors import KnowledgeError

_SUFFIX = r"(?P<suffix>\d{1,2}|s|'s)?"
_EDGE = "A-Za-z0-9"


def default_case_sensitive(term: str) -> bool:
    """Return whether a term matches only as written when its entry does not say."""
    letters = [c for c in term if c.isalpha()]
    return any(c.isupper() for c in letters) and len(letters) <= 2 and "/" not in term


@dataclass(frozen=True, slots=True)
class Term:
    """One vocabulary entry: what crews write and what the manuals call it."""

    term: str
    expansions: tuple[str, ...]
    case_sensitive: bool | None = None
    """None: short capital terms match as written, others in any case."""
    notes: str | None = None

    @property
    def key(self) -> str:
        """Return the key entries override each other by (the term, case-folded)."""
        return normalize_term(self.term)

    def exact_case(self) -> bool:
        """Return whether the term matches only as written."""
        if self.case_sensitive is None:
            return default_case_sensitive(self.term)
        return self.case_sensitive


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """An organization's own terms for one search: glossary entries and register aliases."""

    entries: tuple[Term, ...] = ()
    """The organization's glossary entries: each replaces a shipped entry of the same term."""
    aliases: tuple[Term, ...] = ()
    """Register aliases (alias -> equipment names): merged with any entry of the same term."""


@dataclass(frozen=True, slots=True)
class Expansion:
    """A query with the vocabulary it matched."""

    query: str
    matched: tuple[str, ...]
    """The terms found, as written in the query (with their unit numbers)."""
    phrases: tuple[str, ...]
    """What they expand to, de-duplicated, in query order (the keyword side's added text)."""
    inline: str
    """The query with each match followed by its expansions, for the dense side."""

    @property
    def expanded(self) -> bool:
        """Return whether anything in the query matched."""
        return bool(self.matched)


def normalize_term(term: str) -> str:
    """Return a term as entries are keyed: whitespace collapsed, case-folded."""
    return " ".join(term.split()).casefold()


def clean_term(term: str) -> str:
    """Return a term with surrounding and repeated whitespace removed."""
    return " ".join(term.split())


def _term_pattern(term: str) -> str:
    return r"\s+".join(re.escape(part) for part in term.split())


class Glossary:
    """A compiled set of terms that expands queries."""

    def __init__(self, terms: Iterable[Term]) -> None:
        by_key: dict[str, Term] = {}
        for t in terms:
            if t.term.strip() and t.expansions:
                by_key[t.key] = t
        self._terms = by_key
        alternatives = sorted(by_key.values(), key=lambda t: len(t.term), reverse=True)
        self._re = (
            re.compile(
                rf"(?<![{_EDGE}])(?P<term>"
                + "|".join(_term_pattern(t.term) for t in alternatives)
                + rf"){_SUFFIX}(?![{_EDGE}])",
                re.IGNORECASE,
            )
            if alternatives
            else None
        )

    def __len__(self) -> int:
        return len(self._terms)

    @property
    def terms(self) -> dict[str, Term]:
        """Return the entries by key (case-folded term)."""
        return dict(self._terms)

    @classmethod
    def shipped(cls) -> Glossary:
        """Return the glossary shipped with the package."""
        return _shipped()

    def with_vocabulary(self, vocabulary: Vocabulary | None) -> Glossary:
        """Return this glossary overridden by an organization's entries and aliases."""
        if vocabulary is None or not (vocabulary.entries or vocabulary.aliases):
            return self
        return _overlay(self, vocabulary)

    def expand(self, query: str) -> Expansion:
        """Find the vocabulary's terms in a query; return what they expand to."""
        if self._re is None:
            return Expansion(query, (), (), query)
        matched: list[str] = []
        phrases: dict[str, None] = {}
        pieces: list[str] = []
        last = 0
        for m in self._re.finditer(query):
            said = m.group("term")
            entry = self._terms.get(normalize_term(said))
            if entry is None or (entry.exact_case() and " ".join(said.split()) != entry.term):
                continue
            suffix = m.group("suffix") or ""
            number = f" {suffix}" if suffix.isdigit() else ""
            found = [f"{e}{number}" for e in entry.expansions]
            found = [f for f in found if normalize_term(f) != normalize_term(m.group(0))]
            if not found:
                continue
            matched.append(m.group(0))
            phrases.update(dict.fromkeys(found))
            pieces.append(query[last : m.end()])
            pieces.append(f" ({'; '.join(found)})")
            last = m.end()
        pieces.append(query[last:])
        return Expansion(query, tuple(matched), tuple(phrases), "".join(pieces))


def parse_terms(data: Any) -> list[Term]:
    """Read glossary entries from parsed YAML: ``{entries: [{term, expansions, ...}]}``."""
    rows = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise KnowledgeError("a glossary is a mapping with a list of entries")
    terms = []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("term"), str):
            raise KnowledgeError(f"glossary entry without a term: {row!r}")
        raw = row.get("expansions", row.get("expansion"))
        expansions = [raw] if isinstance(raw, str) else raw
        if not isinstance(expansions, list) or not all(isinstance(e, str) for e in expansions):
            raise KnowledgeError(f"glossary entry {row['term']!r} needs expansions")
        sensitive = row.get("case_sensitive")
        terms.append(
            Term(
                clean_term(row["term"]),
                tuple(e.strip() for e in expansions if e.strip()),
                case_sensitive=bool(sensitive) if sensitive is not None else None,
                notes=row.get("notes"),
            )
        )
    return terms


@lru_cache(maxsize=1)
def _shipped() -> Glossary:
    text = resources.files("knowledge").joinpath("data/glossary.yaml").read_text("utf-8")
    return Glossary(parse_terms(yaml.safe_load(text)))


@lru_cache(maxsize=64)
def _overlay(base: Glossary, vocabulary: Vocabulary) -> Glossary:
    terms = base.terms
    for entry in vocabulary.entries:
        terms[entry.key] = entry
    for alias in vocabulary.aliases:
        known = terms.get(alias.key)
        if known is None:
            terms[alias.key] = alias
            continue
        merged = tuple(dict.fromkeys((*known.expansions, *alias.expansions)))
        terms[alias.key] = Term(known.term, merged, known.case_sensitive, known.notes)
    return Glossary(terms.values())


def alias_terms(items: Sequence[tuple[str, Sequence[str]]]) -> tuple[Term, ...]:
    """Return alias terms from (equipment name, aliases) pairs: each alias -> its names."""
    names: dict[str, tuple[str, dict[str, None]]] = {}
    for name, aliases in items:
        for alias in aliases:
            alias = clean_term(alias)
            if not alias or normalize_term(alias) == normalize_term(name):
                continue
            _, found = names.setdefault(normalize_term(alias), (alias, {}))
            found[name] = None
    return tuple(
        Term(said, tuple(found), case_sensitive=False)
        for said, found in (names[k] for k in sorted(names))
    )
