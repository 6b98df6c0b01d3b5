"""Answers from table rows that come one a line, and from crew shorthand."""

from __future__ import annotations

from assistant.compose import compose_answer

SECTION = "6 Cooling water system > 6.1 HT and LT circuits"


def _rows(*rows: str) -> dict[str, object]:
    text = "\n".join(f"{SECTION}: {r}" for r in rows)
    return {"ref": 1, "title": "Main Engines", "section": SECTION, "page": 11, "text": text}


def test_the_first_row_of_a_passage_is_an_answer_and_rows_are_quoted_alone() -> None:
    passage = _rows(
        "HT outlet temperature | Value: 85 to 90 degC; alarm 95 degC; shutdown 98 degC",
        "HT thermostat range | Value: 80 to 88 degC",
        "LT outlet of central cooler | Value: 32 to 36 degC; alarm 38 degC",
    )
    got = compose_answer("ME HT water outlet temp alarm?", [passage], 0.3)
    assert got.found and got.refs == [1]
    assert "alarm 95 degC" in got.text
    assert "thermostat" not in got.text and "central cooler" not in got.text
    assert SECTION not in got.text


def test_shorthand_meets_the_manual_word() -> None:
    text = (
        "3 Starting > 3.1 Engine checks\n"
        "After a start, let the engine run at idle for 3 to 5 minutes. "
        "Start the prelubrication pump and confirm prelubrication pressure above 0.3 bar "
        "for at least 2 minutes."
    )
    passage = {
        "ref": 1,
        "title": "Main Engines",
        "section": "3 Starting > 3.1 Engine checks",
        "page": 5,
        "text": text,
    }
    got = compose_answer("prelube before a start", [passage], 0.3)
    assert got.found and "2 minutes" in got.text and "idle" not in got.text


def test_how_long_prefers_the_sentence_that_states_a_duration() -> None:
    section = "5 Testing > 5.2 Emergency generator"

    def passage(ref: int, text: str) -> dict[str, object]:
        return {"ref": ref, "title": "Generators", "section": section, "page": 9, "text": text}

    named = passage(1, "Before the weekly test of the emergency generator, inform the bridge.")
    timed = passage(2, "Run the emergency generator on load for 15 minutes.")
    got = compose_answer("emergency generator weekly test how long on load", [named, timed], 0.3)
    assert got.found and got.refs[0] == 2
    assert got.text.startswith("Run the emergency generator on load for 15 minutes")
