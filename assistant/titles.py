"""Titles for faults and work orders: the crew's words without the chat around them.

"pls log it, DG2 jacket water temp high, what should I check" is filed as "DG2 jacket
water temp high": requests to the assistant ("log it", "raise a fault", "can you"),
politeness ("pls", "thx"), stated priorities ("urgent", "not urgent") and a trailing
question to the assistant ("what should I check") are not part of the defect.
"""

from __future__ import annotations

import re
from functools import lru_cache

from knowledge import Glossary

_FILE_IT = (
    r"(?:log|raise|file|report|open|create|record|register|enter|submit|put in|write up|make|"
    r"book|add)"
)
_WHAT = r"(?:fault|defect|breakdown|failure|problem|issue|report|ticket|fault report|defect report)"
_LEAD = re.compile(
    r"^\s*(?:uh+|um+|er+|erm|so|hey|hi|hello|ok|okay|right|morning|evening|guys|chief|bosun|"
    r"the|there'?s|there is|we have|we'?ve got|we got|i have|i'?ve got|got|fyi|note|"
    r"pls|plz|please|kindly|can you|could you|would you|can u|could u|will you|"
    r"i (?:want|need|would like|'d like) to report(?: that)?|"
    rf"{_FILE_IT}\s+(?:it|this|that)|"
    rf"{_FILE_IT}\s+(?:a\s+|an\s+|new\s+|the\s+)*{_WHAT}s?(?:\s+(?:for|on|about|that))?|"
    rf"for me)\b[\s,:;.!-]*|^\s*(?:new\s+)?{_WHAT}\s*[:-][\s,:;.!-]*",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"\b(?:pls|plz|please|thx|thanks|thank you|cheers|ta|for me|"
    rf"(?:can you |could you |pls |please )?{_FILE_IT}\s+(?:it|this|that)(?: in)?(?: pls| please)?|"
    rf"(?:can you |could you |pls |please )?{_FILE_IT}\s+(?:a\s+|an\s+|new\s+)*{_WHAT}s?"
    r"(?:\s+(?:for|on)\s+(?:it|this|that))?|"
    r"can you|could you|would you)\b",
    re.IGNORECASE,
)
_PRIORITY_WORDS = re.compile(
    r"\b(?:not urgent|non[- ]urgent|no rush|no hurry|when(?:ever)? (?:convenient|possible)|"
    r"low[- ]prio(?:rity)?|medium prio(?:rity)?|high[- ]prio(?:rity)?|top prio(?:rity)?|"
    r"critical prio(?:rity)?|prio(?:rity)?\s*(?:is\s*|:\s*)?(?:low|medium|normal|high|critical)|"
    r"urgent(?:ly)?|asap|a\.s\.a\.p|as soon as possible|right away|straight away)\b",
    re.IGNORECASE,
)
_QUESTION_TAIL = re.compile(
    r"(?:^|[\s,;.!?-]+)(?:so\s+|and\s+|but\s+)?(?:what|how|why|any|which|where|can|could|"
    r"should|shall|do|does|is|are|pls advise|please advise|advise|advice|ideas?|help|thoughts"
    r")\b[^,;.!?]*[?!.\s]*$",
    re.IGNORECASE,
)
_ASK_WORDS = re.compile(
    r"\b(?:i|we|you)\b.*\b(?:check|do|look|try|think|suggest|recommend|advise|fix)\b|"
    r"\b(?:ideas?|advice|advise|help|thoughts|suggestions?|cause|causing|wrong|be|normal|ok|"
    r"okay|serious|safe|bad|fine)\b",
    re.IGNORECASE,
)
MAX = 120


def clean_title(text: str, *, fallback: str = "Fault reported") -> str:
    """Return a short title from a crew message: the defect, without chat and filler."""
    t = " ".join(text.split())
    for _ in range(4):
        stripped = _LEAD.sub("", t, count=1)
        if stripped == t:
            break
        t = stripped
    t = _PRIORITY_WORDS.sub(" ", t)
    t = _FILLER.sub(" ", t)
    tail = _QUESTION_TAIL.search(t)
    if tail and tail.start() > 0 and _ASK_WORDS.search(tail.group(0)):
        t = t[: tail.start()]
    t = re.sub(r"\s+([,;.!?])", r"\1", t)
    t = re.sub(r"([,;.!?])(?:\s*[,;.!?])+", r"\1", t)
    t = re.sub(r"([!?])\1+", r"\1", t)
    t = " ".join(t.split()).strip(" ,;:.-!")
    if not t:
        return fallback
    t = _ABBREVIATION.sub(_as_written, t)
    t = t[0].upper() + t[1:]
    return t if len(t) <= MAX else t[: MAX - 3].rsplit(" ", 1)[0] + "..."


_ABBREVIATION = re.compile(r"(?<![\w/.-])([a-z][a-z/]*[a-z])(\d{0,2})(?![\w/-])")


_WORDS = frozenset(
    [
        "am",
        "an",
        "as",
        "at",
        "be",
        "by",
        "do",
        "er",
        "go",
        "he",
        "hi",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "of",
        "oh",
        "ok",
        "on",
        "or",
        "pa",
        "so",
        "to",
        "um",
        "up",
        "us",
        "we",
        "ye",
    ]
)


@lru_cache(maxsize=1)
def _capitals() -> dict[str, str]:
    """Return the shipped glossary's all-capital terms by key: 'ows' -> 'OWS', 't/c' -> 'T/C'."""
    return {
        term.term.casefold(): term.term
        for term in Glossary.shipped().terms.values()
        if term.term.isupper() and not term.case_sensitive
    }


def _as_written(m: re.Match[str]) -> str:
    """Write a crew's lower-case abbreviation as the glossary does ("ows" -> "OWS", "me2").

    A term that is also an English word or a filler ("me", "do", "er") only with a unit
    number ("me2" -> "ME2").
    """
    word, number = m.group(1), m.group(2)
    known = _capitals().get(word.casefold())
    if known is None or (word in _WORDS and not number):
        return m.group(0)
    return known + number
