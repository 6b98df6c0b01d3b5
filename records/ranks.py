"""Positions on board as crews write them: '2nd eng', '2/E', 'second engineer' are one rank.

A user's ``position`` is free text ('Second engineer'); ``rank_of`` reads it, and a crew
member's words for someone ('the 2/E', 'C/E', 'motorman', 'the ETO'), as one of the ranks
below. Each rank names the Bosun role its holder usually has, which stands in for the
position in an organization that records no positions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from records.models import Role


@dataclass(frozen=True, slots=True)
class Rank:
    """A position on board, its crew spellings, and the role its holder usually has."""

    name: str
    role: Role | None
    pattern: re.Pattern[str]


def _rank(name: str, role: Role | None, pattern: str) -> Rank:
    return Rank(name, role, re.compile(rf"(?:{pattern})", re.IGNORECASE))


_ENG = r"\s*(?:/\s*e|e|eng|engr|engineer|engine(?:er)?)"
RANKS: tuple[Rank, ...] = (
    _rank("master", None, r"master|captain|capt|skipper|old man"),
    _rank(
        "chief officer",
        Role.officer,
        r"chief (?:officer|mate)|c\s*/\s*o|(?:1st|first) (?:officer|mate)|mate",
    ),
    _rank("second officer", Role.officer, r"(?:2nd|second) (?:officer|mate)|2\s*/\s*o"),
    _rank("third officer", Role.officer, r"(?:3rd|third) (?:officer|mate)|3\s*/\s*o"),
    _rank(
        "chief engineer",
        Role.chief_engineer,
        rf"chief(?:{_ENG})?|c\s*/\s*e|ce|cheng|ch\.?\s*eng",
    ),
    _rank(
        "second engineer",
        Role.officer,
        rf"(?:2nd|second|2){_ENG}|(?:1st|first) assistant engineer|1ae",
    ),
    _rank(
        "third engineer",
        Role.officer,
        rf"(?:3rd|third|3){_ENG}|(?:2nd|second) assistant engineer|2ae",
    ),
    _rank(
        "fourth engineer",
        Role.officer,
        rf"(?:4th|fourth|4){_ENG}|(?:3rd|third) assistant engineer|3ae|junior engineer",
    ),
    _rank(
        "electro-technical officer",
        Role.officer,
        r"e\.?t\.?o\.?|electro[- ]?technical officer|electrical officer|electrician|"
        r"elec(?:trical)? officer|lecky|sparky",
    ),
    _rank("motorman", Role.crew, r"motorm[ae]n|oiler|mm"),
    _rank("fitter", Role.crew, r"fitter"),
    _rank("wiper", Role.crew, r"wiper"),
    _rank("bosun", Role.crew, r"bosun|boatswain"),
    _rank("able seaman", Role.crew, r"ab|able(?: bodied)? seaman"),
    _rank("ordinary seaman", Role.crew, r"os|ordinary seaman"),
    _rank("cadet", Role.crew, r"(?:engine |deck )?cadet"),
)

_LEAD = re.compile(r"^(?:the|our|my|a|an|ur|your)\s+", re.IGNORECASE)


def rank_of(text: str) -> Rank | None:
    """Return the rank words name as a whole ('the 2/E', 'Second engineer'), or None."""
    words = " ".join(text.replace("_", " ").replace("-", " ").split()).strip(" .,;:!?")
    words = _LEAD.sub("", words)
    return next((r for r in RANKS if r.pattern.fullmatch(words)), None)
