"""Due dates in crew words: 'friday', 'tomorrow', 'next week', '15 dec', 'in 3 days'.

``due_phrase`` finds the words of a new due date in a message ("push wo 334 due date to
friday" -> "push to friday"); ``parse_due`` turns such words, or an ISO date, into a date
from today and the record's current due date. A move later ('push', 'postpone', 'a week
later') counts from the current due date; 'in 3 days', 'tomorrow' and dates from today.
Absolute dates ('15 dec', '15/12', '2026-12-18') go to python-dateutil, day first.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from records.periods import NUMBER_WORDS

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBERS = {
    **NUMBER_WORDS,
    "a": 1,
    "an": 1,
    "couple of": 2,
    "a couple of": 2,
    "few": 3,
    "a few": 3,
}
_N = (
    r"(?:\d{1,3}|a couple of|couple of|a few|few|an?|one|two|three|four|five|six|seven|ten|"
    r"fourteen)"
)
_U = r"(?:days?|d|weeks?|wks?|w|months?|mths?)"
_COUNT, _UNIT = rf"(?P<n>{_N})", rf"(?P<u>{_U})"
_LATER = re.compile(
    r"\b(?:push\w*|postpon\w*|defer\w*|delay\w*|extend\w*|slip\w*|put (?:it )?back|"
    r"move\w* (?:it )?back|later|back)\b",
    re.IGNORECASE,
)
_EARLIER = re.compile(
    r"\b(?:forward|earlier|sooner|advanc\w*|pull\w* in|pull\w* (?:it )?forward)\b", re.IGNORECASE
)
_IN = re.compile(rf"\b(?:in|within)\s+(?:the\s+next\s+)?{_COUNT}\s*{_UNIT}\b", re.IGNORECASE)
_SHIFT = re.compile(rf"(?:^|\bby\s+|\s|^[+-]\s*)[+-]?{_COUNT}\s*{_UNIT}\b", re.IGNORECASE)
_SIGNED = re.compile(rf"^\s*(?P<sign>[+-])\s*{_COUNT}\s*{_UNIT}\s*$", re.IGNORECASE)
_WEEKDAY = re.compile(
    r"\b(?P<which>this|next|coming)?\s*(?P<day>mon|tue|wed|thu|fri|sat|sun)[a-z]*\b"
    r"(?P<week>\s+week)?",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_DATE_WORDS = re.compile(
    r"\b(?:today|tonight|tomorrow|tmrw|tmr|day after tomorrow|next week|next month|"
    r"end of (?:the )?(?:week|month)|eom|eow)\b|"
    r"\b(?:(?:this|next|coming)\s+)?(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b(?:\s+week\b)?|"
    r"\b\d{1,2}(?:st|nd|rd|th)?\s*(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}"
    r"(?:st|nd|rd|th)?\b|\b\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\b|\b\d{4}-\d{2}-\d{2}\b|"
    r"\bthe\s+\d{1,2}(?:st|nd|rd|th)\b|"
    rf"\b(?:in|within|by)\s+{_N}\s*{_U}\b|\b{_N}\s*{_U}\s+(?:later|earlier|"
    rf"back|forward|more)\b|\b(?:back|forward|out)\s+(?:by\s+)?{_N}\s*{_U}\b|"
    rf"\b(?:push\w*|postpon\w*|defer\w*|delay\w*|extend\w*|slip\w*)\s+(?:it\s+|that\s+)?"
    rf"(?:by\s+)?{_N}\s*{_U}\b|\b{_N}\s*{_U}\b",
    re.IGNORECASE,
)
"""Words that carry a date: a message without one changes no due date."""
_DUE_CUE = re.compile(
    r"\bdue\b|\bdeadline\b|\btarget date\b|\bpush\w*\b|\bpostpon\w*|\bdefer\w*|\bdelay\w*|"
    r"\breschedul\w*|\bextend\w*|\bslip\w*|\bput\b.{0,20}\bback\b|\bbr(?:ing|ought)\b.{0,20}"
    r"\bforward\b|\bmov(?:e|ed|ing)\b|\bpull\w*\b.{0,20}\b(?:in|forward)\b",
    re.IGNORECASE,
)
"""Words that ask for a due date to change."""
_YEAR = re.compile(r"\b\d{4}\b|[/.]\d{1,2}[/.]\d{2,4}\b")
_BARE_DAY = re.compile(r"\d{1,2}(?:st|nd|rd|th)?")
_FILLER = re.compile(
    r"\b(?:the|its|it'?s|it|that|this|job|date|due|deadline|target|pls|please|can you|"
    r"could you|until|till|til|to|for|on|by|of|date|new|set|change|make|be)\b",
    re.IGNORECASE,
)


def _count(word: str) -> int:
    word = word.lower().strip()
    return int(word) if word.isdigit() else _NUMBERS.get(word, 1)


def _move(day: date, n: int, unit: str) -> date:
    """Return ``day`` moved by ``n`` days, weeks or months (a month's end stays in its month)."""
    unit = unit.lower()
    if unit.startswith("m"):
        moved: date = day + relativedelta(months=n)
        return moved
    return day + timedelta(weeks=n) if unit.startswith("w") else day + timedelta(days=n)


def due_phrase(text: str) -> str | None:
    """Return the words of a new due date a message asks for, or None when it asks none.

    'push wo 334 due date to friday' -> 'push to friday'; 'WO 12 due 15 dec' -> '15 dec';
    'postpone 276 by a week' -> 'postpone by a week'. The words keep the direction of a
    move ('push', 'bring forward') for ``parse_due``.
    """
    if not _DUE_CUE.search(text):
        return None
    m = _DATE_WORDS.search(text)
    if m is None:
        return None
    cue = _LATER.search(text) or _EARLIER.search(text)
    words = " ".join(m.group(0).split())
    if cue and cue.group(0).lower() not in words.lower():
        return f"{cue.group(0).lower()} {words}"
    return words


def parse_due(words: str, today: date, current: date | None = None) -> date | None:
    """Return the date crew words or an ISO date name, or None when they name no date.

    ``today`` is the vessel's date; ``current`` the record's due date, from which a move by
    an amount ('a week later', 'push back 3 days', '+2d') counts, and after which a weekday
    named in a move later ('push to friday') falls.
    """
    text = " ".join(words.lower().split())
    if not text:
        return None
    iso = _ISO.search(text)
    if iso:
        return date.fromisoformat(iso.group(0))
    later = bool(_LATER.search(text))
    earlier = bool(_EARLIER.search(text)) and not later
    base = current or today
    signed = _SIGNED.match(text)
    if signed:
        n = _count(signed["n"])
        return _move(base, -n if signed["sign"] == "-" else n, signed["u"])
    inside = _IN.search(text)
    if inside:
        return _move(today, _count(inside["n"]), inside["u"])
    if re.search(r"\bday after tomorrow\b", text):
        return today + timedelta(days=2)
    if re.search(r"\b(?:tomorrow|tmrw|tmr)\b", text):
        return today + timedelta(days=1)
    if re.search(r"\b(?:today|tonight)\b", text):
        return today
    if re.search(r"\bnext week\b", text):
        return today + timedelta(days=7)
    if re.search(r"\bnext month\b", text):
        return _move(today, 1, "month")
    if re.search(r"\bend of (?:the )?month\b|\beom\b", text):
        return _move(today.replace(day=1), 1, "month") - timedelta(days=1)
    if re.search(r"\bend of (?:the )?week\b|\beow\b", text):
        return today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    day = _WEEKDAY.search(text)
    if day:
        return _weekday(day, today, current if later else None)
    if later or earlier:
        shift = _SHIFT.search(text)
        if shift:
            n = _count(shift["n"])
            return _move(base, -n if earlier else n, shift["u"])
    return _absolute(_FILLER.sub(" ", _LATER.sub(" ", _EARLIER.sub(" ", text))), today)


def _weekday(m: re.Match[str], today: date, after: date | None) -> date:
    """Return the weekday named: the next one after today ('next friday': in next week's days)."""
    wanted = _WEEKDAYS.index(m["day"].lower()[:3])
    ahead = (wanted - today.weekday()) % 7 or 7
    found = today + timedelta(days=ahead)
    which = (m["which"] or "").lower()
    if which == "next" and found - today < timedelta(days=7 - today.weekday()):
        found += timedelta(days=7)  # 'next friday' on a tuesday: the friday of next week
    if m["week"]:
        found += timedelta(days=7)  # 'friday week'
    while after is not None and found <= after:
        found += timedelta(days=7)  # 'push to friday': the first friday after its due date
    return found


def _absolute(text: str, today: date) -> date | None:
    """Return the calendar date ('15 dec', 'dec 15th', '15/12', 'the 20th'); a past one is the next.

    A day and month that have passed this year are next year's ('15 jan' in December); a bare
    day of the month that has passed is next month's ('the 5th' on the 20th).
    """
    text = re.sub(r"[^\w/.\- ]", " ", text).strip(" .-")
    if not text or not re.search(r"\d", text):
        return None
    try:
        found = date_parser.parse(
            text, default=datetime(today.year, today.month, today.day), dayfirst=True
        )
    except (ValueError, OverflowError):
        return None
    day: date = found.date()
    if day < today and not _YEAR.search(text):
        day = _move(day, 1 if _BARE_DAY.fullmatch(text) else 12, "month")
    return day
