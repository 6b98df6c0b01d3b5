"""Periods named the way crews say them: "last 3 months", "this year", "since 1 March"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from records.errors import invalid

_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
"""English number words up to ninety, as crews say and speech-to-text writes them (one table
for periods here and for ``assistant.spoken``)."""
_NUMBERS = {"a": 1, "an": 1} | {w: n for w, n in NUMBER_WORDS.items() if 1 <= n <= 12}
"""How many days, weeks, months or years crews say in words ("last three months")."""
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_LAST_N = re.compile(
    r"\b(?:last|past|previous|in the last|over the last)\s+(?P<n>\d+|"
    + "|".join(_NUMBERS)
    + r")?\s*(?P<unit>day|week|month|year)s?\b",
    re.IGNORECASE,
)
_THIS = re.compile(r"\b(?:this|current)\s+(?P<unit>week|month|year)\b|\bytd\b", re.IGNORECASE)
_SINCE = re.compile(r"\bsince\s+(?P<what>.+?)\s*(?:[?.!,]|$)", re.IGNORECASE)
_ISO = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?")
_DAY_MONTH = re.compile(
    rf"(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m1>{_MONTH})|(?P<m2>{_MONTH})\s+"
    rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?|(?P<m3>{_MONTH}))\b\.?(?:\s+(?P<y>\d{{4}}))?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open time range [since, until) and how to say it."""

    since: datetime
    until: datetime
    label: str


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def parse_date(text: str, now: datetime) -> date | None:
    """Return the date in a text ('2026-03-01', '1 March', 'March 2026', 'march'), if any."""
    t = text.strip().lower()
    m = _ISO.search(t)
    if m:
        try:
            return date(int(m["y"]), int(m["m"]), int(m["d"] or 1))
        except ValueError as err:
            raise invalid(f"not a date: {m.group(0)}") from err
    m = _DAY_MONTH.search(t)
    if not m:
        return None
    month = _MONTHS[(m["m1"] or m["m2"] or m["m3"]).lower().rstrip(".")]
    day = int(m["d1"] or m["d2"] or 1)
    year = int(m["y"]) if m["y"] else now.year
    try:
        found = date(year, month, day)
    except ValueError as err:
        raise invalid(f"not a date: {m.group(0)}") from err
    if not m["y"] and found > now.date():
        found = found.replace(year=year - 1)
    return found


def parse_period(text: str, now: datetime | None = None) -> Period | None:
    """Return the period a text names, or None when it names none."""
    now = now or datetime.now(UTC)
    until = now
    m = _LAST_N.search(text)
    if m:
        raw = (m["n"] or "1").lower()
        n = int(raw) if raw.isdigit() else _NUMBERS[raw]
        unit = m["unit"].lower()
        if n < 1:
            raise invalid("a period needs at least one day")
        label = f"last {n} {unit}{'s' if n != 1 else ''}"
        return Period(now - timedelta(days=n * _UNITS[unit]), until, label)
    m = _THIS.search(text)
    if m:
        unit = (m["unit"] or "year").lower()
        today = now.date()
        if unit == "week":
            start = today - timedelta(days=today.weekday())
        elif unit == "month":
            start = today.replace(day=1)
        else:
            start = today.replace(month=1, day=1)
        return Period(_day(start), until, f"this {unit}")
    m = _SINCE.search(text)
    if m:
        found = parse_date(m["what"], now)
        if found is not None:
            return Period(_day(found), until, f"since {found.isoformat()}")
    return None
