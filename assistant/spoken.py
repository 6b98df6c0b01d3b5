"""Normalise text that came from speech-to-text before it is recognised."""

from __future__ import annotations

import re

from records.periods import NUMBER_WORDS

_FILLERS = re.compile(
    r"\b(?:uh+|um+|umm+|er+m*|ah+|hmm+|mm+|like,|you know|i mean|okay so|ok so|so yeah)\b[,.]?\s*",
    re.IGNORECASE,
)

_UNITS = {"oh": 0} | {w: n for w, n in NUMBER_WORDS.items() if n < 20}
_TENS = {w: n for w, n in NUMBER_WORDS.items() if n >= 20}
_SCALES = {"hundred": 100, "thousand": 1000}
_ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5"}

# Spelled-out letters crews use for abbreviations ("f o purifier", "d g two").
_LETTER_RUN = re.compile(r"\b((?:[a-z] ){1,3}[a-z])\b")
_SPOKEN_ABBR = {
    "main engine": "main engine",
    "genny": "genny",
}


def _is_number_word(word: str) -> bool:
    return word in _UNITS or word in _TENS or word in _SCALES


def _words_to_numbers(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "oh" or not _is_number_word(w) or (w in _SCALES and not out):
            out.append(w)
            i += 1
            continue
        total, current, j = 0, 0, i
        while j < len(words):
            word = words[j]
            if word in _UNITS and word != "oh":
                current += _UNITS[word]
            elif word in _TENS:
                current += _TENS[word]
            elif word in _SCALES:
                current = max(current, 1) * _SCALES[word]
                if _SCALES[word] >= 1000:
                    total, current = total + current, 0
            elif (
                word == "and"
                and j + 1 < len(words)
                and _is_number_word(words[j + 1])
                and (current >= 100 or total)
            ):
                pass
            else:
                break
            j += 1
        out.append(str(total + current))
        i = j
    return out


def normalize_spoken(text: str) -> str:
    """Return speech-to-text output with fillers dropped, numbers as digits, letters joined.

    "uh main engine number two fuel pump is leaking" -> "main engine No. 2 fuel pump is leaking"
    """
    s = text.strip().lower()
    s = _FILLERS.sub(" ", s)
    s = re.sub(r"[,.!?;:]+(\s|$)", r" ", s)
    words = s.split()
    words = [_ORDINALS.get(w, w) for w in words]
    words = _words_to_numbers(words)
    s = " ".join(words)
    s = _LETTER_RUN.sub(lambda m: m.group(1).replace(" ", "").upper(), s)
    s = re.sub(r"\b(?:number|no|nr)\s+(\d+)\b", r"No. \1", s)
    s = re.sub(r"\b(ME|DG|BT|AE|FO|LO|SW|FW|JW|HT|LT)\b", lambda m: m.group(1), s)
    s = re.sub(r"\s+", " ", s).strip()
    return s
