"""The priority rule (records.priority) with its reasons, and fault titles without chat filler."""

from __future__ import annotations

import pytest

from assistant.titles import clean_title
from records import Criticality, Equipment, Priority
from records.priority import decide_priority, explicit_priority, severity_priority
from tests.assistant.conftest import Say, World


def _eq(name: str, criticality: Criticality | None = None) -> Equipment:
    return Equipment(name=name, aliases=[], criticality=criticality)


STEERING = [_eq("Steering pump No. 1 port"), _eq("Steering gear port", Criticality.critical)]


@pytest.mark.parametrize(
    ("text", "priority", "reason"),
    [
        ("ME1 LO cooler weeping, urgent", Priority.high, 'you said "urgent"'),
        ("need the purifier looked at asap", Priority.high, 'you said "asap"'),
        ("change the DG1 filter immediately", Priority.high, 'you said "immediately"'),
        ("aux boiler flame failure, restarted ok. not urgent", Priority.low, "not urgent"),
        ("paint flaking on the FW pump, when convenient", Priority.low, "when convenient"),
        ("hose crane hydraulic hose burst, low priority", Priority.low, "low priority"),
        ("DG2 HT temp high, no rush", Priority.low, "no rush"),
        ("make it high priority", Priority.high, 'you said "high priority"'),
    ],
)
def test_explicit_words_win(text: str, priority: Priority, reason: str) -> None:
    decision = decide_priority(text, STEERING)
    assert (decision.priority, decision.source) == (priority, "explicit")
    assert reason in decision.reason


@pytest.mark.parametrize(
    ("text", "priority", "reason"),
    [
        ("fire in the purifier room", Priority.critical, "fire"),
        ("smoke coming from the ER switchboard", Priority.critical, "smoke"),
        ("ME2 fuel pump leaking diesel onto the hot box", Priority.critical, "hot surface"),
        ("diesel spraying onto the exhaust manifold", Priority.critical, "hot surface"),
        ("emergency generator failed to start on the weekly test", Priority.critical, "emergency"),
        ("emergency fire pump only giving 5 bar on the test", Priority.critical, "fire-fighting"),
        ("BT1 tripped on DP", Priority.high, "trip or failure on DP"),
        ("ME2 LO pressure low alarm at full rpm", Priority.high, "low lube-oil pressure"),
        ("BT2 HPU pitch pressure dropping", Priority.high, "low hydraulic pressure"),
        ("DG2 jacket water temp high", Priority.high, "high temperature"),
        ("FRC davit winch brake slipping", Priority.high, "brake"),
        ("stbd tugger brake not holding, drum slips under load", Priority.high, "brake"),
        ("cargo fuel pump leaking at the seal while bunkering", Priority.high, "transfer"),
        ("crane hydraulic hose burst on slew", Priority.high, "burst"),
        ("hose crane hyd oil temp 72C", Priority.high, "high temperature"),
        ("DGPS 1 dropping out on DP", Priority.high, "on DP"),
        ("CyScan lost target at the rig", Priority.high, "on DP"),
    ],
)
def test_severity_in_the_text(text: str, priority: Priority, reason: str) -> None:
    decision = decide_priority(text, STEERING)
    assert (decision.priority, decision.source) == (priority, "severity")
    assert reason in decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "DG2 black smoke on load",  # exhaust smoke is combustion, not a fire
        "fire pump gland dripping",  # a fire pump, not a fire
        "emergency generator day tank sight glass dirty",  # nothing failed
        "DG1 not starting on first attempt, ok on second",
        "boiler burner flame failure, reset twice",  # a burner fault, not a fire
        "change the BT1 HPU filter after DP ops",  # DP named, nothing failed on DP
    ],
)
def test_not_severe(text: str) -> None:
    assert severity_priority(text) is None


def test_criticality_up_the_tree_then_default() -> None:
    noisy = "steering pump making a noise"
    d = decide_priority(noisy, STEERING)
    assert (d.priority, d.source) == (Priority.high, "criticality")
    assert d.reason == "steering gear port is critical equipment"
    d = decide_priority("DG1 knocking", [_eq("Diesel generator No. 1", Criticality.high)])
    assert (d.priority, d.source) == (Priority.medium, "criticality")
    assert "high criticality" in d.reason
    d = decide_priority("DG1 knocking", [_eq("Diesel generator No. 1"), _eq("Generators")])
    assert (d.priority, d.source) == (Priority.medium, "default")
    assert d.reason == "nothing urgent described and no criticality on record"


def test_explicit_priority_alone() -> None:
    assert explicit_priority("DG1 knocking") is None
    assert explicit_priority("whenever the pump starts it trips") is None


def _set_criticality(world: World, code: str, value: Criticality) -> None:
    with world.db.transaction(world.chief) as s:
        row = s.get(Equipment, world.codes[code])
        assert row is not None
        row.criticality = value


def test_the_proposal_states_the_priority_and_why(world: World, say: Say) -> None:
    _set_criticality(world, "601.1", Criticality.critical)
    r = say("ME1 fuel pump making a ticking noise")
    assert r.proposed_action is not None
    args = r.proposed_action.arguments
    assert (args["priority"], args["priority_source"]) == ("high", "criticality")
    assert "priority high: main engine No. 1 is critical equipment" in r.reply
    r = say("DG1 making a ticking noise")
    assert r.proposed_action is not None
    assert r.proposed_action.arguments["priority"] == "medium"
    assert "no criticality on record" in r.reply
    r = say("make it urgent")
    assert r.proposed_action is not None and r.proposed_action.arguments["priority"] == "high"
    assert 'priority high: you said "urgent"' in r.reply
    assert "no criticality on record" not in r.reply


def test_a_work_order_follows_the_same_rule(world: World, say: Say) -> None:
    _set_criticality(world, "651", Criticality.critical)
    r = say("raise a WO to change the lube oil on DG1")
    assert r.proposed_action is not None and r.proposed_action.kind == "create_work_order"
    assert r.proposed_action.arguments["priority"] == "high"
    assert "generators is critical equipment" in r.reply


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "pls log it, DG2 jacket water temp high, what should I check",
            "DG2 jacket water temp high",
        ),
        ("raise a fault for BT1 HPU leaking oil pls", "BT1 HPU leaking oil"),
        ("can you log a fault: OWS alarm not resetting thx", "OWS alarm not resetting"),
        ("steering gear port pump noisy, log it for me", "Steering gear port pump noisy"),
        ("ME1 wont start any ideas?", "ME1 wont start"),
        ("ME1 fuel pump leaking, can you raise a fault pls", "ME1 fuel pump leaking"),
        (
            "aux boiler flame failure, restarted ok on 2nd try. not urgent",
            "Aux boiler flame failure, restarted ok on 2nd try",
        ),
        ("DG2 jacket water temp high what should i check", "DG2 jacket water temp high"),
        ("the fuel pump is leaking", "Fuel pump is leaking"),
        ("please", "Fault reported"),
        # abbreviations typed in lower case are written as the glossary writes them
        ("ows 15ppm alarm keeps going off", "OWS 15ppm alarm keeps going off"),
        ("me2 lo purifier vibrating, log it pls", "ME2 LO purifier vibrating"),
        ("hpu for bt1 leaking near me", "HPU for BT1 leaking near me"),
        ("dg3 t/c noisy", "DG3 T/C noisy"),
    ],
)
def test_titles_drop_chat_and_filler(text: str, title: str) -> None:
    assert clean_title(text) == title


def test_a_filed_title_is_clean(say: Say) -> None:
    r = say("pls log it, DG1 knocking noise at unit 3 thx")
    assert r.proposed_action is not None
    assert r.proposed_action.arguments["title"] == "DG1 knocking noise at unit 3"
    assert r.proposed_action.arguments["description"].startswith("pls log it")


def test_lube_oil_on_a_turbo_is_not_fuel_on_a_hot_surface() -> None:
    # The rule names fuel; a lube-oil leak falls through to the equipment's criticality.
    assert severity_priority("DG2 turbo oil leak") is None
    decision = severity_priority("main fire pump only 5 bar on the monthly test")
    assert decision is not None and decision.priority is Priority.critical
