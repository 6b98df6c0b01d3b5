"""Crew wording an outside engineer used (eval/cases/answers_blind.jsonl): the general rules.

Series named by their letters constrain a part word, 'incl' keeps the machine, spoken
numbers and units typed against numbers read as the register and manuals write them, a
quantity a job needs is no stock question, 'was the weekly test done' asks the plans, and
while a proposal waits, 'pls log it' and 'both engines actually' act on that proposal.
"""

from __future__ import annotations

import pytest

from assistant import Item, RegisterIndex
from assistant.intents import is_stock_ask, state_question
from assistant.retriever import relevance
from assistant.text import canonical_tokens
from knowledge import Citation, Hit, Passage
from tests.assistant.conftest import Say, World
from tests.assistant.test_corrections import _actions, _faults


def _index() -> RegisterIndex:
    return RegisterIndex.build(
        [
            Item(1, "601", "Main engines", ("main engine",), None, False),
            Item(2, "601.1", "Main engine No. 1", ("ME1",), "601", True),
            Item(3, "601.1.1", "ME1 turbocharger", ("ME1 T/C", "turbo"), "601.1", False),
            Item(4, "601.2", "Main engine No. 2", ("ME2",), "601", True),
            Item(5, "601.2.1", "ME2 turbocharger", ("ME2 T/C", "turbo"), "601.2", False),
            Item(6, "651", "Main generators", ("gennies",), None, False),
            Item(7, "651.1", "Diesel generator No. 1", ("DG1", "no 1 genny"), "651", True),
            Item(8, "651.1.4", "DG1 fuel injectors", ("injectors",), "651.1", False),
            Item(9, "651.2", "Diesel generator No. 2", ("DG2", "no 2 genny"), "651", True),
            Item(10, "651.2.4", "DG2 fuel injectors", ("injectors",), "651.2", False),
        ]
    )


def test_a_series_named_by_its_letters_keeps_a_part_word_to_it() -> None:
    index = _index()
    # the DGs have injectors on this register, the MEs none: 'ME' names the engines
    res = index.resolve("opening press for the ME injectors on the test pump?")
    assert res.code is None and set(res.candidates) == {"601.1", "601.2"}
    # the DG series with a part its machines have: those parts
    res = index.resolve("the DG injectors")
    assert set(res.candidates) == {"651.1.4", "651.2.4"}
    # lower-case 'me' is a word, not the series
    assert index.resolve("tell me about the injectors").candidates == ("651.1.4", "651.2.4")


def test_including_its_parts_keeps_the_machine() -> None:
    index = _index()
    assert index.resolve("how many faults on ME1 incl T/C, pumps etc").code == "601.1"
    assert index.resolve("faults on ME1 including the turbo").code == "601.1"
    assert index.resolve("ME1 T/C surging").code == "601.1.1"  # without it, the part


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("the number two genny", ["the", "2", "generator"]),
        ("no. three DG", ["3", "dg"]),
        ("the 500h on the DGs", ["the", "500", "h", "on", "the", "dgs"]),
        ("24V batteries", ["24", "v", "battery"]),
        ("does it take", ["does", "it", "take"]),
        ("2nd engineer", ["2nd", "engineer"]),
    ],
)
def test_spelled_numbers_and_glued_units_read_as_written_out(text: str, tokens: list[str]) -> None:
    assert canonical_tokens(text) == tokens


def test_spoken_number_resolves_the_numbered_machine() -> None:
    res = _index().resolve("uh so the number two genny er showing high exhaust")
    assert res.code == "651.2"


@pytest.mark.parametrize(
    ("text", "stock"),
    [
        ("how many litres of oil does it take", False),
        ("how much oil does the 500h service need", False),
        ("sump capacity of DG1", False),
        ("how many oil filters do we have", True),
        ("how many litres of oil on board", True),
    ],
)
def test_a_quantity_a_job_needs_is_no_stock_question(text: str, stock: bool) -> None:
    assert is_stock_ask(text) is stock


@pytest.mark.parametrize(
    "text",
    [
        "emcy gen weekly test done?",
        "is the fire pump test done",
        "was the DG2 500h service carried out",
        "FO purifier intermediate service hrs?",
    ],
)
def test_whether_a_planned_job_was_done_asks_the_plans(text: str) -> None:
    ask = state_question(text)
    assert ask is not None and ask.tool == "plans_due"


@pytest.mark.parametrize(
    "text", ["whats included in the 500h service on the DGs", "DG2 500h service steps"]
)
def test_what_a_planned_job_involves_stays_with_the_manuals(text: str) -> None:
    assert state_question(text) is None


def _hit(text: str, signals: dict[str, float], score: float = 0.5) -> Hit:
    passage = Passage(
        id="p", org_id=1, document_id=1, document_version=1, text=text, title="M", page=1
    )
    return Hit(passage, score, Citation(1, "M", 1, None, "/d/1#page=1"), signals)


def test_relevance_of_a_hit_only_the_keywords_found() -> None:
    only_words = _hit("the weather deck drains", {"sparse": 6.0, "dense_bound": 0.21})
    assert relevance(only_words) == 0.5  # its fused score: its words met the question's
    assert relevance(only_words, strict=True) == pytest.approx(0.21)  # no closer in meaning
    measured = _hit("the weather deck drains", {"dense": 0.62, "sparse": 6.0})
    assert relevance(measured, strict=True) == pytest.approx(0.62)
    part = _hit("Oil filter CAT-1R-1808, two per set", {"dense": 0.12})
    assert relevance(part, "CAT-1R-1808 stock", strict=True) >= 0.5
    assert relevance(part, "oil filter", strict=True) == pytest.approx(0.12)


def test_log_it_while_a_proposal_waits_shows_it_again_and_files_nothing(
    world: World, say: Say
) -> None:
    first = say("ME1 fuel pump leaking")
    assert first.proposed_action is not None
    again = say("ya raise a fault pls")
    assert again.outcome == "proposed" and again.proposed_action is not None
    assert again.proposed_action.id == first.proposed_action.id
    assert _faults(world) == []
    more = say("every few sec, pls log it")
    assert more.outcome == "proposed" and more.proposed_action is not None
    assert "every few sec" in more.proposed_action.arguments["description"]
    assert more.proposed_action.arguments["equipment_code"] == "601.1.10"
    assert _faults(world) == []
    say("yes")
    (fault,) = _faults(world)
    assert "every few sec" in (fault.description or "")


def test_both_engines_actually_covers_the_counterpart_on_one_yes(world: World, say: Say) -> None:
    first = say("ME1 fuel pump leaking")
    assert first.proposed_action is not None
    out = say("both engines actually")
    assert out.outcome == "proposed" and out.proposed_action is not None
    assert out.proposed_action.arguments["equipment_codes"] == ["601.1.10", "601.2.10"]
    cancelled = [a for a in _actions(world) if a.id == first.proposed_action.id]
    assert cancelled and cancelled[0].status.value != "proposed"
    say("yes")
    assert sorted(f.equipment_id for f in _faults(world)) == sorted(
        [world.codes["601.1.10"], world.codes["601.2.10"]]
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("BT2 hpu oil level", "equipment_health"),
        ("steering gear oil level", "equipment_health"),
        ("DG1 LO press", "equipment_health"),
        ("BT2 hpu oil level low", "report_fault"),
        ("ME1 LO press 2.9", "unknown"),  # a value said: the router weighs it
    ],
)
def test_equipment_and_a_quantity_with_nothing_said_about_it_asks_its_reading(
    text: str, kind: str
) -> None:
    from assistant.intents import recognise

    assert recognise(text).kind == kind


def test_coolant_is_the_jacket_water_of_a_packaged_engine() -> None:
    assert canonical_tokens("DG1 coolant temp") == canonical_tokens("DG1 jacket water temp")


def test_a_value_asked_about_is_weighed_against_the_vessels_own_limits(say: Say) -> None:
    out = say("ME1 lube oil pressure 3.0 bar is that ok")
    assert [c.name for c in out.tool_calls][-1] == "equipment_health"
    assert "3 bar of lube oil pressure is" in out.reply and "low 3.5" in out.reply
    assert out.proposed_action is None


def test_a_number_said_after_the_machine_names_it() -> None:
    index = _index()
    assert index.resolve("torque for the injector nuts on main engine two").code == "601.2"
    assert index.resolve("how many hours has main engine one got").code == "601.1"
    assert canonical_tokens("genny two tripped") == ["generator", "2", "tripped"]
    assert canonical_tokens("one of the pumps") == ["one", "of", "the", "pump"]


def test_a_name_said_in_one_piece_beats_words_that_stand_apart() -> None:
    index = RegisterIndex.build(
        [
            Item(1, "451", "Cranes", ("cranes",), None, False),
            Item(2, "451.1", "Provision crane", ("deck crane", "crane"), "451", True),
            Item(3, "451.2", "Hose handling crane", ("hose crane", "crane"), "451", True),
        ]
    )
    assert index.resolve("deck here the hose crane just blew a hose").code == "451.2"
    assert index.resolve("the deck crane wont slew").code == "451.1"


def _open_work_order(world: World, code: str, title: str) -> int:
    from records import work_orders

    with world.db.transaction(world.chief) as s:
        wo = work_orders.create_work_order(
            s, world.chief, equipment_id=world.codes[code], title=title, description=title
        )
        s.flush()
        return int(wo.id)


def test_a_change_said_of_the_one_record_just_listed_goes_to_it(world: World, say: Say) -> None:
    wo_id = _open_work_order(world, "701.2", "Clean the FO purifier bowl")
    listed = say("open work orders on the FO purifier")
    assert f"WO #{wo_id}" in listed.reply
    out = say("bowl cleaned this morning, close it out")
    assert out.proposed_action is not None
    assert out.proposed_action.kind == "update_work_order"
    assert out.proposed_action.arguments["work_order_id"] == wo_id
    assert out.proposed_action.arguments["status"] == "done"


def test_a_change_with_two_records_listed_is_not_guessed(world: World, say: Say) -> None:
    _open_work_order(world, "701.2", "Clean the FO purifier bowl")
    _open_work_order(world, "701.2", "Renew the FO purifier O-rings")
    say("open work orders on the FO purifier")
    out = say("close it out")
    assert out.proposed_action is None or "work_order_id" not in out.proposed_action.arguments


def test_a_plural_of_a_crew_word_is_no_typo() -> None:
    from assistant.spelling import correct

    assert correct("cleaned the sea chest strainers") == "cleaned the sea chest strainers"
