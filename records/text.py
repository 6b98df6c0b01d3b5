"""Free text as stored: control characters and bidirectional overrides removed.

Titles, names and tags are one line: every control character goes, tabs and line breaks
become spaces. Descriptions, notes and root causes keep line breaks and tabs. Either way the
Unicode bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069),
which can make stored text read differently from what it is, are dropped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_SPACES = frozenset("\t\n\r\v\f")


def _keep(char: str, multiline: bool) -> str:
    if char in _BIDI:
        return ""
    if unicodedata.category(char) != "Cc":
        return char
    if multiline and char in "\n\t":
        return char
    return " " if not multiline and char in _SPACES else ""


def clean_line(text: str) -> str:
    """Return one-line text (a title, name, tag) without control or bidi characters."""
    if text.isprintable():
        return text
    return "".join(_keep(c, False) for c in text)


def clean_text(text: str) -> str:
    """Return multi-line text (a description, note) keeping only line feeds and tabs."""
    text = text.replace("\r\n", "\n")
    if text.isprintable():
        return text
    return "".join(_keep(c, True) for c in text)


def clean_optional(text: str | None, *, multiline: bool = False) -> str | None:
    """Clean a text that may be absent."""
    if text is None:
        return None
    return clean_text(text) if multiline else clean_line(text)


def clean_labels(labels: Iterable[str]) -> list[str]:
    """Clean a list of one-line labels (tags, aliases, codes), dropping the empty ones."""
    cleaned = (clean_line(label).strip() for label in labels)
    return [label for label in cleaned if label]
