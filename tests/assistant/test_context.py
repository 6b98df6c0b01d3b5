"""Multi-turn context for questions: follow-ups that only make sense with the previous turn."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from assistant import (
    Assistant,
    AssistantSettings,
    InMemoryRetriever,
    Item,
    RegisterIndex,
    TurnResult,
)
from assistant.context import STATE_KEY, FollowUp, Previous, follow_up, remember
from knowledge import Passage
from records import (
    Conversation,
    Database,
    Role,
    faults,
)
from tests.assistant.conftest import World, make_world_in

# A demo-style register with the pieces the follow-ups need: two of a kind (ME1/ME2,
# DG1..DG3, LO purifier 1/2), a group with children (cranes), a fuel and a lube-oil purifier.
REGISTER = """
organization: {org}
vessel: {{name: MV Test Skua, imo: "{imo}", type: PSV}}
equipment:
  - code: "601"
    name: Main engines
    aliases: [mains, main engine]
    children:
      - code: "601.1"
        name: Main engine No. 1
        aliases: [ME1, port main]
        class: main_engine
        maker: MaK
        sensors:
          - {{tag: ME1_LO_P, name: Lube oil pressure, unit: bar, low: 3.5}}
        children:
          - code: "601.1.9"
            name: ME1 fuel oil duplex filter
            aliases: [ME1 fuel filter, fuel filter]
      - code: "601.2"
        name: Main engine No. 2
        aliases: [ME2, stbd main]
        class: main_engine
        maker: MaK
        sensors:
          - {{tag: ME2_LO_P, name: Lube oil pressure, unit: bar, low: 3.5}}
        children:
          - code: "601.2.9"
            name: ME2 fuel oil duplex filter
            aliases: [ME2 fuel filter, fuel filter]
  - code: "651"
    name: Main generators
    aliases: [generators, gennies, DGs]
    children:
      - code: "651.1"
        name: Diesel generator No. 1
        aliases: [DG1, genny 1]
        class: generator
        maker: Caterpillar
        sensors:
          - {{tag: DG1_JW_T, name: Jacket water temperature, unit: degC, high: 95}}
      - code: "651.2"
        name: Diesel generator No. 2
        aliases: [DG2, genny 2]
        class: generator
        maker: Caterpillar
      - code: "651.3"
        name: Diesel generator No. 3
        aliases: [DG3, genny 3]
        class: generator
        maker: Caterpillar
  - code: "701.2"
    name: Fuel oil purifier
    aliases: [FO purifier, purifier]
    class: purifier
    maker: Alfa Laval
  - code: "711"
    name: Lube oil system
    aliases: [LO system]
    children:
      - code: "711.1"
        name: Lube oil purifier ME1
        aliases: [LO purifier 1, LO purifier, purifier]
        class: purifier
      - code: "711.2"
        name: Lube oil purifier ME2
        aliases: [LO purifier 2, LO purifier, purifier]
        class: purifier
  - code: "861.1"
    name: Emergency generator
    aliases: [emergency genny, emcy gen, EDG]
    class: generator
    sensors:
      - {{tag: EDG_JW_T, name: Jacket water temperature, unit: degC, high: 95}}
  - code: "451"
    name: Cranes
    aliases: [cranes]
    children:
      - code: "451.1"
        name: Provision crane
        aliases: [provision crane, crane]
        class: crane
      - code: "451.2"
        name: Hose handling crane
        aliases: [hose crane, crane]
        class: crane
"""


def _passages(org_id: int) -> list[Passage]:
    def manual(n: int, title: str, page: int, codes: tuple[str, ...], text: str) -> Passage:
        return Passage(
            id=f"{org_id}-c{n}",
            org_id=org_id,
            document_id=n,
            document_version=1,
            title=title,
            page=page,
            equipment_codes=codes,
            text=text,
        )

    mains, gens = ("601.1", "601.2"), ("651.1", "651.2", "651.3")
    return [
        manual(
            1,
            "Main engine manual",
            5,
            mains,
            "Before starting a main engine, run the prelubrication pump for 2 minutes until "
            "the lube oil pressure is up.",
        ),
        manual(
            2,
            "Generator manual",
            4,
            gens,
            "The generator jacket water outlet temperature high alarm is set at 95 degC.",
        ),
        manual(
            3,
            "Generator manual",
            6,
            gens,
            "The generator engine shutdown on jacket water outlet temperature is at 98 degC.",
        ),
        manual(4, "Purifier manual", 2, ("701.2",), "FO purifier bowl speed is 10200 rpm."),
        manual(5, "Purifier manual", 3, ("711.1", "711.2"), "LO purifier bowl speed is 9500 rpm."),
    ]


@pytest.fixture
def skua(store: Database) -> World:
    """A fresh organization with the demo-style register above."""
    return make_world_in(store, REGISTER, roles=(Role.crew, Role.chief_engineer))


Chat = Callable[..., list[TurnResult]]


@pytest.fixture
def chat(skua: World) -> Chat:
    """Send messages in one new conversation through the real offline assistant."""
    bosun = Assistant(
        retriever=InMemoryRetriever(_passages(skua.org_id)),
        settings=AssistantSettings(chat_model="offline"),
    )

    def send(*texts: str) -> list[TurnResult]:
        key = uuid.uuid4().hex
        out = []
        for text in texts:
            with skua.db.transaction(skua.crew) as s:
                out.append(bosun.turn(s, skua.crew, text, channel="test", conversation_key=key))
        return out

    return send


def _tools(r: TurnResult) -> dict[str, dict[str, object]]:
    """The turn's tools other than the lookup, by name, with their arguments."""
    return {c.name: c.args for c in r.tool_calls if c.name != "lookup_equipment"}


# --- through the assistant -------------------------------------------------------------------


def test_topic_carries_to_a_question_fragment(chat: Chat) -> None:
    first, second = chat(
        "what are the checks before starting a main engine", "prelube for how long"
    )
    assert first.outcome == "answer"
    assert second.outcome == "answer" and "2 minutes" in second.reply
    assert [c.page for c in second.citations] == [5]


def test_same_subject_new_attribute(chat: Chat) -> None:
    first, second = chat("DG1 jacket water temp alarm?", "and the shutdown")
    assert "95" in first.reply
    assert second.outcome == "answer" and "98" in second.reply
    assert _tools(second)["search_manuals"]["equipment"] == "651.1"


def test_same_question_new_equipment(chat: Chat) -> None:
    first, second = chat("DG1 history", "and DG3")
    assert _tools(first)["search_fault_history"]["equipment"] == "651.1"
    assert _tools(second)["search_fault_history"]["equipment"] == "651.3"
    assert second.proposed_action is None


def test_new_equipment_keeps_the_part_asked_about(chat: Chat) -> None:
    first, second = chat("ME2 fuel filter inserts in stock", "and for ME1?")
    assert _tools(first)["part_stock"]["equipment"] == "601.2.9"
    assert _tools(second)["part_stock"]["equipment"] == "601.1.9"


def test_correction_of_a_question_reasks_it(chat: Chat) -> None:
    first, second = chat("ME2 readings?", "i meant ME1")
    assert _tools(first)["equipment_health"]["equipment"] == "601.2"
    assert _tools(second)["equipment_health"]["equipment"] == "601.1"
    assert second.proposed_action is None


def test_correction_to_the_analogous_item(chat: Chat) -> None:
    first, second = chat("LO purifier 1 bowl speed?", "no the FO one")
    assert "9500" in first.reply
    assert _tools(second)["search_manuals"]["equipment"] == "701.2"
    assert "10200" in second.reply and "9500" not in second.reply


def test_the_other_kind_keeps_the_noun_asked_about(chat: Chat) -> None:
    """'and the LO one?' after the FO purifier asks about the LO purifiers, not about 'LO'."""
    first, second = chat("FO purifier bowl speed?", "and the LO one?")
    assert "10200" in first.reply
    assert "9500" in second.reply and "10200" not in second.reply
    assert _tools(second)["search_manuals"]["query"].lower().startswith("lo purifier bowl speed")


def test_which_of_several_answers_each_ranked(chat: Chat, skua: World) -> None:
    """'which purifier has the most faults' compares them; it does not ask which one."""
    with skua.db.transaction(skua.crew) as s:
        for code, n in (("701.2", 1), ("711.2", 3)):
            for i in range(n):
                faults.report_fault(
                    s, skua.crew, equipment_id=skua.codes[code], title=f"{code} fault {i}"
                )
    (out,) = chat("which purifier has the most faults")
    assert out.outcome == "answer" and out.proposed_action is None
    assert out.reply.startswith("Most faults: 711.2 Lube oil purifier ME2, 3")
    assert "701.2 1" in out.reply and "711.1 0" in out.reply


def test_pronoun_carries_the_equipment(chat: Chat) -> None:
    first, second = chat("FO purifier history", "how long did they take to fix on avg")
    assert _tools(first)["search_fault_history"]["equipment"] == "701.2"
    assert _tools(second)["search_fault_history"]["equipment"] == "701.2"
    *_, third = chat("DG1 readings", "n when is its 500h service")
    assert {a.get("equipment") for a in _tools(third).values()} == {"651.1"}


def test_group_narrowed_by_the_follow_up(chat: Chat) -> None:
    _, second = chat("cranes history", "hose crane only")
    assert _tools(second)["search_fault_history"]["equipment"] == "451.2"


def test_bare_topic_writes_nothing_and_a_complete_report_stands_alone(chat: Chat) -> None:
    for opener in ("hey", "emcy genny", "DG2", "ER fan"):
        first, second = chat(opener, "log fault on the hose crane, hyd oil temp 72C")
        assert first.proposed_action is None, opener
        assert second.proposed_action is not None
        assert second.proposed_action.arguments["equipment_code"] == "451.2"


def test_short_message_after_a_bare_topic_is_about_it(chat: Chat) -> None:
    first, second = chat("emcy genny", "readings?")
    assert first.outcome == "clarify" and first.proposed_action is None
    assert _tools(second)["equipment_health"]["equipment"] == "861.1"


def test_complete_message_passes_unchanged(chat: Chat, skua: World) -> None:
    text = "what is the O2 limit before entering a tank"
    _, second = chat("DG1 readings", text)
    lookups = [c.args for c in second.tool_calls if c.name == "lookup_equipment"]
    assert lookups == [{"query": text}]
    assert all(a.get("equipment") is None for a in _tools(second).values())
    _, other = chat("DG1 history", "how do I clean the FO purifier bowl")
    assert [c.args for c in other.tool_calls if c.name == "lookup_equipment"] == [
        {"query": "how do I clean the FO purifier bowl"}
    ]
    assert _tools(other)["search_manuals"]["equipment"] == "701.2"


def test_turn_record_kept_in_the_conversation_state(chat: Chat, skua: World) -> None:
    _, second = chat("DG1 history", "and DG3")
    with skua.db.transaction(skua.crew) as s:
        conv = s.get(Conversation, second.conversation_id)
        assert conv is not None
        prev = Previous.from_state(conv.state[STATE_KEY])
    assert prev is not None
    assert prev.text == "DG3 history" and prev.code == "651.3"
    assert "search_fault_history" in prev.tools and prev.outcome in ("answer", "nothing_found")


# --- the decision on its own -----------------------------------------------------------------


def _index() -> RegisterIndex:
    rows = [
        ("601", "Main engines", ("mains", "main engine"), None, False),
        ("601.1", "Main engine No. 1", ("ME1",), "601", True),
        ("601.2", "Main engine No. 2", ("ME2",), "601", True),
        ("651", "Main generators", ("generators",), None, False),
        ("651.1", "Diesel generator No. 1", ("DG1",), "651", True),
        ("651.3", "Diesel generator No. 3", ("DG3",), "651", True),
        ("701.2", "Fuel oil purifier", ("FO purifier", "purifier"), None, True),
        ("711.1", "Lube oil purifier ME1", ("LO purifier 1", "LO purifier"), None, True),
    ]
    return RegisterIndex.build(
        Item(i, code, name, aliases, parent, machine)
        for i, (code, name, aliases, parent, machine) in enumerate(rows, 1)
    )


def _prev(text: str, code: str | None, outcome: str = "answer", **kw: object) -> Previous:
    at = kw.get("at", datetime.now(UTC))
    assert isinstance(at, datetime)
    return Previous(text, code, (), ("lookup_equipment", "search_manuals"), outcome, at)


def test_follow_up_kinds() -> None:
    index = _index()
    assert follow_up(index, _prev("DG1 history", "651.1"), "and DG3") == FollowUp(
        "DG3 history", "651.3", "equipment"
    )
    fo = follow_up(index, _prev("LO purifier 1 bowl speed?", "711.1"), "no the FO one")
    assert fo is not None and fo.equipment == "701.2" and fo.kind == "equipment"
    ask = follow_up(index, _prev("ME1 readings", "601.1"), "what about its LO pressure?")
    assert ask is not None and ask.kind == "ask" and ask.equipment == "601.1"
    attr = follow_up(index, _prev("DG1 jacket water temp alarm?", "651.1"), "and the shutdown")
    assert attr == FollowUp("DG1 jacket water temp shutdown?", "651.1", "attribute")


def test_no_follow_up_without_a_question_to_continue() -> None:
    index = _index()
    complete = "how do I clean the FO purifier bowl"
    assert follow_up(index, _prev("DG1 history", "651.1"), complete) is None
    assert follow_up(index, None, "and DG3") is None
    assert follow_up(index, _prev("hey", None, "clarify"), "and DG3") is None
    assert follow_up(index, _prev("DG1 history", "651.1", "refuse"), "and DG3") is None
    # A proposal is continued only by a question, never by other equipment.
    assert follow_up(index, _prev("DG1 exh temp high", "651.1", "proposed"), "and DG3") is None
    asked = follow_up(index, _prev("DG1 exh temp high", "651.1", "proposed"), "alarm setpoint?")
    assert asked is not None and asked.equipment == "651.1"
    stale = _prev("DG1 history", "651.1", at=datetime.now(UTC) - timedelta(hours=1))
    assert follow_up(index, stale, "and DG3") is None
    # Messages complete in themselves: their own equipment, a report, a list, small talk.
    for complete in (
        "where is the FO purifier",
        "ME1 exhaust smoking badly",
        "smoke from ME1 turbo!!",
        "what faults are open?",
        "thanks mate",
    ):
        assert follow_up(index, _prev("DG1 history", "651.1"), complete) is None, complete
    # Record references and answers to a clarification are not follow-ups.
    assert follow_up(index, _prev("DG1 history", "651.1"), "close WO 12") is None
    assert follow_up(index, _prev("DG1 history", "651.1"), "both") is None


def test_a_question_after_a_bare_topic_is_about_it_however_long() -> None:
    index = _index()
    topic = _prev("FO purifier", "701.2", "clarify")
    asked = follow_up(index, topic, "how long does the bowl take to stop without the brake")
    assert asked is not None and asked.equipment == "701.2" and "FO purifier" in asked.text
    # a topic without equipment and without a tool ("hot work" answered by a greeting)
    bare = Previous("hot work", None, (), (), "clarify", datetime.now(UTC))
    cleared = follow_up(index, bare, "how far do i clear combustibles")
    assert cleared is not None and "hot work" in cleared.text
    # a greeting carries nothing, and a report after a topic stands alone
    hey = Previous("hey", None, (), (), "clarify", datetime.now(UTC))
    assert follow_up(index, hey, "how far do i clear combustibles") is None
    assert follow_up(index, topic, "DG1 exhaust smoking badly") is None


def test_state_record_round_trip() -> None:
    data = remember("DG1 history", "651.1", (), ("search_fault_history",), "answer")
    prev = Previous.from_state(data)
    assert prev is not None and prev.to_state() == data
    assert Previous.from_state({"text": "x"}) is None
    assert Previous.from_state("nonsense") is None


def test_follow_ups_chain_on_the_standalone_question(chat: Chat) -> None:
    _, second, third = chat("ME2 readings?", "and the gennies?", "DG3")
    assert _tools(second)["equipment_health"]["equipment"] == "651"
    assert _tools(third)["equipment_health"]["equipment"] == "651.3"
    assert [c.args for c in third.tool_calls if c.name == "lookup_equipment"] == [
        {"query": "DG3 readings?"}
    ]


def test_a_follow_up_that_needs_a_choice_keeps_its_question(chat: Chat) -> None:
    _, second, third = chat("DG1 readings", "and the fuel filter", "ME2")
    assert second.outcome == "clarify"
    assert {c["code"] for c in second.candidates} == {"601.1.9", "601.2.9"}
    assert _tools(third)["equipment_health"]["equipment"] == "601.2.9"


def test_a_note_naming_no_record_is_for_the_record_just_asked_about() -> None:
    got = follow_up(_index(), _prev("the FO purifier job", "701.2"), "add note: parts on order")
    assert got == FollowUp("add note to the FO purifier job: parts on order", "701.2", "ask")
