"""Answers that state the kind of value asked for, the procedure a heading names, whole
sentences across the page's line breaks."""

from __future__ import annotations

from typing import Any

from assistant.compose import compose_answer


def _passage(ref: int, section: str, text: str, page: int = 1) -> dict[str, Any]:
    return {
        "ref": ref,
        "title": "Pump Manual",
        "section": section,
        "page": page,
        "text": f"{section}\n{text}",
    }


def test_the_unit_stating_the_value_asked_for_wins_over_a_better_ranked_one() -> None:
    passages = [
        _passage(
            1,
            "3 Fire pump > 3.1 Description",
            "The fire pump has a hydraulic priming unit and an electric starter.",
        ),
        _passage(
            2,
            "3 Fire pump > 3.4 Priming by hand",
            "Close the vent, then work the hydraulic priming unit until the gauge shows 6 bar.",
        ),
    ]
    got = compose_answer("fire pump hydraulic priming unit what pressure", passages, 0.3)
    assert "6 bar" in got.text and got.refs[0] == 2


def test_a_value_under_a_heading_that_names_the_job_answers_how_long() -> None:
    text = (
        'The planned job "seal change" is due every 4000 running hours. '
        "It uses one seal kit SK-1. Estimated time 5 hours.\n\n"
        "1. Isolate the pump.\n\n2. Drain the casing."
    )
    passages = [_passage(1, "4 Maintenance > 4.2 Mechanical seal change (4000 h)", text)]
    got = compose_answer("how long does it take mechanical seal change 4000h?", passages, 0.3)
    assert "5 hours" in got.text


def test_a_value_given_in_the_question_is_not_what_it_asks_for() -> None:
    passages = [
        _passage(
            1,
            "5 Troubleshooting > 5.1 Motor",
            "A rising winding temperature usually means poor cooling: check the fans and "
            "the air filters.",
        ),
        _passage(
            2,
            "2 Limits > 2.1 Motor",
            "Motor winding temperature: normal 70 to 110 degC, alarm 130 degC.",
        ),
    ]
    got = compose_answer("pump motor winding temp 128C what do i check", passages, 0.3)
    assert got.refs[0] == 1 and "fans" in got.text
    asked = compose_answer("pump motor winding temp alarm", passages, 0.3)
    assert asked.refs[0] == 2 and "130 degC" in asked.text


def test_how_to_takes_the_procedure_its_heading_names() -> None:
    other = (
        "1. Stop the pump, raise the suction strainer cover and lock out the motor.\n\n"
        "2. Change the filter element.\n\n3. Vent the housing."
    )
    raising = (
        "1. Stop the pump and close the suction valve.\n\n"
        "2. Turn the handwheel to the zero position.\n\n"
        "3. Press and hold RAISE until the pump is fully up."
    )
    passages = [
        _passage(1, "6 Submersible pump > 6.4 Filter change", other),
        _passage(2, "6 Submersible pump > 6.3 Raising the submersible pump", raising),
    ]
    got = compose_answer("how to raise the submersible pump", passages, 0.3)
    assert got.refs == [2] and "zero position" in got.text


def test_a_sentence_the_page_wrapped_is_quoted_whole() -> None:
    text = (
        "8. Record the time of release. Do not open the pump room for at least the time decided\n\n"
        "by the master (normally at least 2 hours) and cool the boundaries with water.\n\n"
        "9. Keep checking the boundary temperatures."
    )
    passages = [_passage(1, "7 Fire > 7.5 Pump room CO2 release", text)]
    got = compose_answer("how long keep the pump room shut after CO2 release", passages, 0.3)
    assert "decided by the master (normally at least 2 hours)" in got.text


def test_the_row_named_by_the_kind_asked_answers_a_quantity() -> None:
    section = "5 Gear oil > 5.1 Gear oil data"
    rows = [
        "Oil | Tunnel thruster: ISO VG 68 gear oil | Azimuth thruster: ISO VG 68 gear oil",
        "Quantity | Tunnel thruster: 260 L | Azimuth thruster: 520 L including the lo tank",
    ]
    passages = [
        {
            "ref": 1,
            "title": "Thruster Manual",
            "section": section,
            "page": 7,
            "text": "\n".join(f"{section}: {r}" for r in rows),
        }
    ]
    got = compose_answer("azi gear oil qty", passages, 0.3)
    assert "520 L" in got.text


def test_a_duration_in_a_long_unit_word_is_a_stated_value() -> None:
    passages = [
        _passage(
            1,
            "6 Azimuth thruster > 6.1 Description",
            "The azimuth thruster is lowered through the bottom by two hydraulic cylinders.",
        ),
        _passage(
            2,
            "6 Azimuth thruster > 6.2 Lowering the azimuth thruster",
            "1. Release the locking pins.\n\n2. Press and hold LOWER. The thruster moves down "
            "in about 90 seconds.",
        ),
    ]
    got = compose_answer("how long does lowering the azimuth thruster take", passages, 0.3)
    assert "90 seconds" in got.text and got.refs[0] == 2


def test_no_second_passage_for_a_word_the_first_ones_heading_says() -> None:
    section = "8 Troubleshooting > 8.2 Planned maintenance for the purifiers"
    rows = [
        "Job: Major service | Equipment: 701.2, 711.1 | Interval: 8000 h | Time: 10 h",
        "Job: LO purifier 1 intermediate service | Equipment: 711.1 | Interval: 2000 h",
    ]
    table = {
        "ref": 1,
        "title": "Purifier Manual",
        "section": section,
        "page": 9,
        "text": f"{section}: {rows[0]}",
    }
    other = {**table, "ref": 2, "page": 3, "text": f"{section}: {rows[1]}"}
    got = compose_answer("purifier major service interval", [table, other], 0.3)
    assert "8000 h" in got.text and got.refs == [1]
