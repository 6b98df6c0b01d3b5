"""Crew typos put right against the words crews and the vessel's register use.

Phones and tired hands write "work oders", "fire wacth", "tuger". A word that is neither
English (a whole word of the packaged embedding model's vocabulary) nor crew language (the
router's utterances, ``data/utterances.jsonl``, words seen at least ``MIN_SEEN`` times so
that the set's own generated typos stay out) nor the vessel's register is replaced by the
one crew or register word one edit away (a transposition counts as one), with the same
first letter. Short words, numbers, codes and words in capitals (ME1, OWS, CAT-1R-1808) are
never touched, and a word with two or more such neighbours is left as it is: a guess
between two words is no correction.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import OSA

from knowledge import packaged_model_path

DATA = Path(__file__).resolve().parent / "data" / "utterances.jsonl"
MIN_SEEN = 3
"""Times a word must occur in the crew messages to count as known."""
MIN_LENGTH = 5
"""Shorter words are left alone (too many neighbours one edit away: 'prio', 'temp')."""

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def crew_words() -> frozenset[str]:
    """Return the words crews write, in lower case (from the router's utterances)."""
    counts: Counter[str] = Counter()
    with DATA.open(encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            counts.update(w.lower() for w in _WORD.findall(text))
    return frozenset(w for w, n in counts.items() if n >= MIN_SEEN)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Return the whole words of the embedding model's vocabulary (about 20,000)."""
    path = packaged_model_path() / "vocab.txt"
    try:
        lines = path.read_text(encoding="utf-8").split()
    except OSError:
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def _by_shape(words: frozenset[str]) -> dict[tuple[str, int], list[str]]:
    """Index known words by first letter and length, for the one-edit lookup."""
    out: dict[tuple[str, int], list[str]] = {}
    for w in words:
        out.setdefault((w[0], len(w)), []).append(w)
    return out


@lru_cache(maxsize=1)
def _crew_index() -> dict[tuple[str, int], list[str]]:
    return _by_shape(crew_words())


def _plural_of_known(low: str, *known: frozenset[str]) -> bool:
    """Whether a word is a known word with -s or -es ('strainers'): a plural, no typo."""
    stems = [low[:-1], low[:-2]] if low.endswith("s") else []
    return any(stem in k for stem in stems for k in known)


def correct(text: str, known: Iterable[str] = ()) -> str:
    """Return ``text`` with each unknown lower-case word put right when one fix is clear."""
    extra = frozenset(k.lower() for k in known)
    vocab = crew_words()
    english = english_words()
    index = _crew_index()

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if (
            len(word) < MIN_LENGTH
            or word != low  # capitals: an abbreviation or a name
            or low in vocab
            or low in extra
            or low in english
            or _plural_of_known(low, vocab, extra)
        ):
            return word
        near = {
            w
            for n in (len(low) - 1, len(low), len(low) + 1)
            for w in index.get((low[0], n), ())
            if OSA.distance(low, w, score_cutoff=1) <= 1
        }
        near |= {w for w in extra if w[:1] == low[:1] and OSA.distance(low, w, score_cutoff=1) <= 1}
        return next(iter(near)) if len(near) == 1 else word

    return _WORD.sub(fix, text)
