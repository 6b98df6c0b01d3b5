"""Crew typos are put right only where one fix is clear (assistant.spelling)."""

from __future__ import annotations

import pytest

from assistant.spelling import correct


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("can you list the open work oders", "can you list the open work orders"),
        ("fire wacth after the hot work", "fire watch after the hot work"),
        ("port tuger brake slipping", "port tugger brake slipping"),
        ("purifer bowl clean", "purifier bowl clean"),
        ("the davit winch is stuckk", "the davit winch is stuck"),
    ],
)
def test_a_typo_one_edit_from_one_crew_word_is_put_right(typed: str, meant: str) -> None:
    assert correct(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "how long does the fire watch have to stay",  # English words stay as they are
        "ME2 fuel pump is leaking",
        "CAT-1R-1808 stock",  # codes and capitals are never touched
        "whats teh LO press",  # short words: too many neighbours
        "set the OWS WO to high prio",
        "kongsberg panel fault",  # unknown, and nothing one edit away
    ],
)
def test_known_words_codes_and_unclear_cases_are_left_alone(text: str) -> None:
    assert correct(text) == text


def test_the_vessels_own_words_are_known_and_are_fixes() -> None:
    assert correct("the cyscan is down", known=["cyscan"]) == "the cyscan is down"
    assert correct("the cyscna is down", known=["cyscan"]) == "the cyscan is down"
