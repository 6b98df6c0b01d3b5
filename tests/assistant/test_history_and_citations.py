"""History answers from the fault records, and manual answers whose [n] match their citations."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

from assistant import Assistant, AssistantSettings, InMemoryRetriever
from assistant.compose import _units, compose_answer
from assistant.engine import _cite, _Reply
from knowledge import Citation, Hit, Passage
from records import FaultStatus, WorkOrderStatus, faults, utcnow, work_orders
from tests.assistant.conftest import Say, World


def _fault(
    world: World,
    code: str,
    title: str,
    days_ago: float,
    *,
    cause: str | None = None,
    fix: str | None = None,
    hours: float = 0.0,
) -> int:
    with world.db.transaction(world.chief) as s:
        f = faults.report_fault(s, world.chief, equipment_id=world.codes[code], title=title)
        s.flush()
        f.opened_at = utcnow() - timedelta(days=days_ago)
        if cause:
            f.root_cause = cause
            f.status = FaultStatus.closed
        if fix:
            wo = work_orders.create_work_order(
                s, world.chief, equipment_id=world.codes[code], title=fix, fault_id=f.id
            )
            s.flush()
            wo.status, wo.hours, wo.completed_at = WorkOrderStatus.done, hours, utcnow()
        return f.id


def _history(world: World) -> dict[str, int]:
    return {
        "old_trip": _fault(
            world,
            "651.2",
            "DG2 tripped on overspeed during load test",
            300,
            cause="Governor actuator linkage seized",
            fix="Free and grease governor linkage",
            hours=3.0,
        ),
        "leak": _fault(world, "651.2", "DG2 LT cooler weeping at the end cover", 100),
        "trip": _fault(
            world,
            "651.2",
            "DG2 shut down on low lube oil pressure",
            20,
            cause="LO pressure switch faulty",
            fix="Renew LO pressure switch",
            hours=1.5,
        ),
        "me1_trip": _fault(world, "601.1", "ME1 tripped on overspeed", 5),
        "latest": _fault(world, "651.2", "DG2 exhaust gas temp sensor reading erratic", 2),
    }


def _fault_ids(reply: str) -> list[int]:
    return [int(n) for n in re.findall(r"fault #(\d+)", reply)]


def test_history_of_a_machine_lists_its_faults_newest_first(world: World, say: Say) -> None:
    ids = _history(world)
    r = say("DG2 history")
    assert r.outcome == "answer" and r.proposed_action is None
    call = next(c for c in r.tool_calls if c.name == "search_fault_history")
    assert call.args["equipment"] == "651.2"
    assert _fault_ids(r.reply) == [ids["latest"], ids["trip"], ids["leak"], ids["old_trip"]]
    assert ids["me1_trip"] not in _fault_ids(r.reply)  # another machine's fault


def test_last_trip_finds_trips_by_event_not_symptom_words(world: World, say: Say) -> None:
    ids = _history(world)
    r = say("last trip of DG2")
    assert r.outcome == "answer" and r.proposed_action is None
    # A shutdown is a trip too; the most recent trip first, with date, cause, fix and hours.
    assert _fault_ids(r.reply) == [ids["trip"], ids["old_trip"]]
    first = r.reply.splitlines()[1]
    assert (utcnow() - timedelta(days=20)).date().isoformat() in first
    assert "Cause: LO pressure switch faulty" in first
    assert "Fix: Renew LO pressure switch (1.5 h)" in first


def test_history_keeps_to_the_period_asked(world: World, say: Say) -> None:
    ids = _history(world)
    r = say("DG2 faults in the last 3 months")
    assert _fault_ids(r.reply) == [ids["latest"], ids["trip"]]  # not 100 or 300 days ago
    assert "(last 3 months)" in r.reply
    month = say("DG2 trips last month")
    assert _fault_ids(month.reply) == [ids["trip"]]  # the 300-day-old trip is outside it


def test_no_trip_on_record_says_so_and_shows_the_latest(world: World, say: Say) -> None:
    _fault(world, "651.1", "DG1 knocking at unit 3", 10)
    r = say("when did DG1 last trip")
    assert r.proposed_action is None
    assert "No trip on record for 651.1" in r.reply
    assert "DG1 knocking at unit 3" in r.reply


def test_history_of_an_unused_machine_is_nothing_found(world: World, say: Say) -> None:
    r = say("DG1 history")
    assert r.outcome == "nothing_found" and "No fault is on record for 651.1" in r.reply


def test_history_never_answers_with_another_machines_fault(world: World, say: Say) -> None:
    # the knowledge base holds a history passage on ME2's fuel pump only
    r = say("has the ME1 fuel pump leaked at the barrel before")
    assert r.outcome == "nothing_found" and not r.citations
    assert "No leak is on record for 601.1.10" in r.reply and "o-rings" not in r.reply
    ok = say("has the ME2 fuel pump leaked at the barrel before")
    assert ok.outcome == "answer" and "barrel" in ok.reply


def _retriever(world: World) -> InMemoryRetriever:
    org = world.org_id

    def passage(pid: str, doc: int, page: int, title: str, text: str) -> Passage:
        return Passage(
            id=f"{org}-{pid}",
            org_id=org,
            document_id=doc,
            document_version=1,
            title=title,
            section=None,
            page=page,
            equipment_codes=("601.1", "601.2"),
            text=text,
        )

    return InMemoryRetriever(
        [
            passage(
                "a",
                10,
                12,
                "MaK M25 manual",
                "The lube oil filter differential pressure alarm is set at 1.5 bar. "
                "Change over to the standby lube oil filter when the alarm sounds.",
            ),
            passage(
                "b",
                10,
                12,
                "MaK M25 manual",
                "Clean the dirty lube oil filter element in diesel oil and blow it dry.",
            ),
            passage(
                "c",
                11,
                3,
                "Ship safety plan",
                "Hot work permits are signed by the master. Filter masks are in the store.",
            ),
            passage(
                "d",
                10,
                40,
                "MaK M25 manual",
                "Lube oil sampling interval is 500 running hours for the lube oil analysis.",
            ),
        ]
    )


def test_markers_and_citations_agree_best_first(world: World) -> None:
    assistant = Assistant(
        retriever=_retriever(world), settings=AssistantSettings(chat_model="offline")
    )
    key = uuid.uuid4().hex
    with world.db.transaction(world.chief) as s:
        r = assistant.turn(
            s,
            world.chief,
            "what is the ME1 lube oil filter differential pressure alarm setting",
            channel="test",
            conversation_key=key,
        )
    assert r.outcome == "answer" and r.citations
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", r.reply)]
    listed = list(range(1, len(r.citations) + 1))
    assert sorted(set(markers)) == listed  # every marker listed, every listed one used
    pairs = [(c.document_id, c.page) for c in r.citations]
    assert len(pairs) == len(set(pairs))  # one citation per (document, page)
    assert pairs[0] == (10, 12)  # the passage that answers comes first
    assert "1.5 bar" in r.reply
    assert "Hot work" not in r.reply and "masks" not in r.reply  # nothing unrelated


def test_compose_keeps_to_the_best_passage() -> None:
    passages = [
        {
            "ref": 1,
            "title": "Purifier manual",
            "text": "Clean the purifier bowl every 500 running hours. Use the bowl lifting tool.",
        },
        {
            "ref": 2,
            "title": "Boiler manual",
            "text": "Blow down the boiler gauge glass every watch. Running hours are logged daily.",
        },
    ]
    out = compose_answer("how often should the purifier bowl be cleaned", passages, 0.3)
    assert out.found and out.refs == [1]
    assert "boiler" not in out.text.lower()
    assert out.text.endswith("[1]")


def test_compose_adds_a_second_passage_only_for_what_the_first_lacks() -> None:
    passages = [
        {"ref": 1, "title": "M25", "text": "Injector opening pressure is 450 bar."},
        {"ref": 2, "title": "M25", "text": "Injector nozzle nut torque is 120 Nm."},
        {
            "ref": 3,
            "title": "M25",
            "text": "Injector opening pressure is checked on the test bench.",
        },
    ]
    out = compose_answer("injector opening pressure and nozzle nut torque", passages, 0.3)
    # The torque passage matches most words; the opening pressure comes from one other
    # passage, not from both that mention it.
    assert out.refs[0] == 2 and len(out.refs) == 2 and out.refs[1] in (1, 3)
    assert "120 Nm" in out.text and "Injector opening pressure" in out.text


LIMITS = (
    "2 Operating limits > 2.1 Alarm and shutdown limits\n"
    "The values below are the set points in the alarm system.\n\n"
    "Tag (ME1 / ME2)\n\nParameter\n\nNormal at service load\n\nAlarm\n\nShutdown\n\n"
    "ME1_EXH_T / ME2_EXH_T\n\nExhaust gas temperature after turbocharger\n\n380 to 440 degC"
    "\n\nhigh 480 degC\n\nnone\n\n"
    "ME1_LO_P / ME2_LO_P\n\nLube oil pressure, engine inlet\n\n4.5 to 5.5 bar\n\n"
    "low 3.5 bar\n\nlow 3.0 bar"
)


def test_a_table_value_stays_with_its_row_and_headers() -> None:
    passage = {"ref": 1, "title": "ME manual", "section": "2 Operating limits", "text": LIMITS}
    out = compose_answer("ME lube oil pressure shutdown limit", [passage], 0.3)
    assert out.text == (
        "ME1_LO_P / ME2_LO_P: Lube oil pressure, engine inlet; normal at service load 4.5 to "
        "5.5 bar; alarm low 3.5 bar; shutdown low 3.0 bar. [1]"
    )
    assert "2 Operating limits >" not in out.text  # the section path is not an answer


def test_a_bare_list_is_not_read_as_a_table() -> None:
    text = "PPE for the job\n\nGloves\n\nGoggles\n\nSafety boots\n\nHard hat"
    units = _units({"ref": 1, "title": "Safety", "text": text})
    assert units == [(u, False, u, "") for u in text.split("\n\n")]


TORQUES = (
    "Tighten with a calibrated torque wrench.\n\nJoint\n\nTorque\n\nNotes\n\n"
    "Injector nozzle nut\n\n250 Nm\n\nClean threads, oiled\n\n"
    "Injector hold-down nuts\n\n60 Nm, then 90 Nm\n\nTighten in two steps, crosswise\n\n"
    "Fuel injection pump flange nuts\n\n110 Nm\n\nCrosswise\n\n"
    "Valve cover bolts\n\n40 Nm\n\nNew gasket MAK-M25-VCG-20"
)


def test_a_three_column_table_is_read_in_threes() -> None:
    out = compose_answer(
        "valve cover bolts torque", [{"ref": 1, "title": "ME", "text": TORQUES}], 0.3
    )
    assert out.text == "Valve cover bolts: torque 40 Nm; notes New gasket MAK-M25-VCG-20. [1]"


def test_a_heading_that_states_the_value_leads_the_answer() -> None:
    passage = {
        "ref": 1,
        "title": "Purifiers",
        "section": "7 Service of the purifiers > 7.2 Major service (8000 h)",
        "text": "7 Service of the purifiers > 7.2 Major service (8000 h)\nThe major service kit "
        "includes the bowl spindle bearings. Bearing change needs the maker's tools.",
    }
    out = compose_answer("purifier major service interval", [passage], 0.3)
    assert out.text.startswith("Major service (8000 h): The major service kit")


def test_a_row_cut_short_by_the_passage_end_is_left_out() -> None:
    table = {
        "ref": 1,
        "title": "Purifiers",
        "section": "8.2 Planned maintenance",
        "text": "Job\n\nEquipment\n\nInterval\n\nFO purifier bowl clean\n\n701.2",
    }
    prose = {
        "ref": 2,
        "title": "Purifiers",
        "section": "6.1 Fuel oil purifier bowl cleaning (every 30 days)",
        "text": 'The planned job "FO purifier bowl clean" is due every 30 days.',
    }
    out = compose_answer("FO purifier bowl clean interval", [table, prose], 0.3)
    assert out.refs[0] == 2 and "30 days" in out.text.splitlines()[0]


def _hit(pid: str, doc: int, page: int, score: float) -> Hit:
    passage = Passage(
        id=pid, org_id=1, document_id=doc, document_version=1, text="t", title=f"doc {doc}"
    )
    citation = Citation(document_id=doc, title=f"doc {doc}", page=page, section=None, url="u")
    return Hit(passage=passage, score=score, citation=citation)


def test_a_model_written_reply_is_renumbered_to_its_citation_list() -> None:
    # A model's reply cites the turn's passages by their ref numbers, in any order, and may
    # cite two passages of one page; the list comes out best first, one per page, and the
    # text's markers are renumbered to it.
    ctx = SimpleNamespace(hits=[_hit("a", 1, 3, 0.2), _hit("b", 2, 7, 0.9), _hit("c", 2, 7, 0.5)])
    reply = _Reply("Open the vent [1]. Close it [3] and check [2] [3].", "answer", refs=[2, 3, 1])
    out = _cite(ctx, reply)  # type: ignore[arg-type]
    assert [(c.document_id, c.page) for c in out.citations] == [(2, 7), (1, 3)]
    assert out.text == "Open the vent [2]. Close it [1] and check [1]."


def test_history_answer_ends_with_the_items_totals() -> None:
    from assistant.compose import compose_history

    fault = {
        "fault_id": 7,
        "equipment": "801.4",
        "equipment_name": "Oily water separator",
        "title": "OWS 15 ppm alarm",
        "symptom": "",
        "status": "closed",
        "opened": "2026-07-29",
        "root_cause": "OCM cell fouled",
        "fix": "Clean the OCM cell",
        "hours": 3.5,
    }
    records = {
        "faults": [fault],
        "matched": True,
        "events": [],
        "scope": "801.4 Oily water separator",
        "totals": {"faults": 5, "since": "2026-06-10", "resolved": 4, "mean_hours_to_fix": 30.5},
    }
    got = compose_history("OWS history", records, [], 0.3)
    assert got.found and "OCM cell fouled" in got.text
    last = got.text.splitlines()[-1]
    assert "5 faults on record for 801.4 Oily water separator since 2026-06-10" in last
    assert "30.5 h on average (4 resolved)" in last
    # no scope (a whole-vessel question): no totals line
    unscoped = compose_history("any leaks", {**records, "scope": None}, [], 0.3)
    assert "on record for" not in unscoped.text
