"""Citations: best first, one per (document, page, section), neighbouring chunks merged."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace
from typing import Any

from assistant import Assistant, AssistantSettings, InMemoryRetriever
from assistant.compose import compose_answer
from assistant.engine import _cite, _Reply
from assistant.types import CITATION_KEYS, TurnResult
from knowledge import Citation, Hit, Passage
from tests.assistant.conftest import World

QUESTION = "ME lube oil filter alarm setting and filter element cleaning interval"


def _passage(
    ref: int, ordinal: int, text: str, page: int = 12, section: str = "4.2 LO filter"
) -> dict[str, Any]:
    return {
        "ref": ref,
        "document_id": 10,
        "ordinal": ordinal,
        "title": "MaK M25 manual",
        "section": section,
        "page": page,
        "text": text,
    }


ALARM = "The lube oil filter differential pressure alarm is set at 1.5 bar."
CLEAN = "Clean the lube oil filter element every 500 running hours."


def test_neighbouring_chunks_of_one_page_are_one_quote_in_document_order() -> None:
    # The better chunk comes second in the document: the quote keeps the page's order,
    # under one reference.
    passages = [_passage(1, 8, CLEAN), _passage(2, 7, ALARM)]
    out = compose_answer(QUESTION, passages, 0.3)
    assert out.found and len(out.refs) == 1
    assert out.text.count("[") == 1 and "\n" not in out.text
    assert out.text.index("1.5 bar") < out.text.index("500 running hours")


def test_chunks_of_other_pages_or_far_apart_stay_apart() -> None:
    for other in (_passage(2, 7, ALARM, page=13), _passage(2, 3, ALARM)):
        out = compose_answer(QUESTION, [_passage(1, 8, CLEAN), other], 0.3)
        assert len(out.refs) == 2 and len(out.text.splitlines()) == 2, out.text


def _hit(pid: str, doc: int, page: int, score: float, section: str | None = None) -> Hit:
    passage = Passage(
        id=pid, org_id=1, document_id=doc, document_version=1, text="t", title=f"doc {doc}"
    )
    citation = Citation(document_id=doc, title=f"doc {doc}", page=page, section=section, url="u")
    return Hit(passage=passage, score=score, citation=citation)


def test_one_citation_per_page_and_section_best_first() -> None:
    hits = [
        _hit("a", 1, 3, 0.9, "2 Limits"),
        _hit("b", 1, 3, 0.8, "2 Limits"),
        _hit("c", 1, 3, 0.7, "3 Service"),
        _hit("d", 2, 5, 0.6),
    ]
    ctx = SimpleNamespace(hits=hits)
    reply = _Reply("Alarm at 1.5 bar [1]. Shutdown at 1 bar [2]. Clean [3]. Vent [4].", "answer")
    reply.refs = [1, 2, 3, 4]
    out = _cite(ctx, reply)  # type: ignore[arg-type]
    keys = [(c.document_id, c.page, c.section) for c in out.citations]
    assert keys == [(1, 3, "2 Limits"), (1, 3, "3 Service"), (2, 5, None)]
    assert out.text == "Alarm at 1.5 bar [1]. Shutdown at 1 bar [1]. Clean [2]. Vent [3]."


def test_lines_citing_one_source_are_joined() -> None:
    ctx = SimpleNamespace(hits=[_hit("a", 1, 3, 0.9), _hit("b", 1, 3, 0.8), _hit("c", 2, 4, 0.5)])
    reply = _Reply("Alarm at 1.5 bar. [1]\nClean it weekly. [2]\nVent it. [3]", "answer")
    reply.refs = [1, 2, 3]
    out = _cite(ctx, reply)  # type: ignore[arg-type]
    assert out.text == "Alarm at 1.5 bar. Clean it weekly. [1]\nVent it. [2]"
    assert len(out.citations) == 2


def test_json_citations_carry_exactly_the_contract_keys() -> None:
    c = Citation(document_id=4, title="M25", page=9, section="6 Cooling", url="/d/4#page=9")
    result = TurnResult(reply="x [1]", conversation_id=1, message_id=2, outcome="answer")
    data = TurnResult(**{**_fields(result), "citations": [c]}).to_dict()
    assert CITATION_KEYS == ("document_id", "title", "page", "section", "url")
    assert data["citations"] == [
        {"document_id": 4, "title": "M25", "page": 9, "section": "6 Cooling", "url": "/d/4#page=9"}
    ]


def _fields(result: TurnResult) -> dict[str, Any]:
    return {k: getattr(result, k) for k in result.__dataclass_fields__}


def test_a_turn_cites_merged_neighbours_once_and_numbers_match(world: World) -> None:
    org = world.org_id

    def passage(pid: str, ordinal: int, page: int, text: str) -> Passage:
        return Passage(
            id=f"{org}-{pid}",
            org_id=org,
            document_id=10,
            document_version=1,
            title="MaK M25 manual",
            section="4.2 LO filter",
            page=page,
            ordinal=ordinal,
            equipment_codes=("601.1", "601.2"),
            text=text,
        )

    retriever = InMemoryRetriever(
        [
            passage("a", 7, 12, ALARM),
            passage("b", 8, 12, CLEAN),
            passage("c", 30, 40, "Lube oil samples are taken every 500 running hours."),
        ]
    )
    assistant = Assistant(retriever=retriever, settings=AssistantSettings(chat_model="offline"))
    with world.db.transaction(world.chief) as s:
        r = assistant.turn(
            s, world.chief, QUESTION, channel="test", conversation_key=uuid.uuid4().hex
        )
    assert r.outcome == "answer" and r.citations
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", r.reply)]
    assert sorted(set(markers)) == list(range(1, len(r.citations) + 1))
    places = [(c.document_id, c.page, c.section) for c in r.citations]
    assert len(places) == len(set(places)) and places[0] == (10, 12, "4.2 LO filter")
    assert "1.5 bar" in r.reply and "500 running hours" in r.reply
    assert r.to_dict()["citations"][0].keys() == set(CITATION_KEYS)


def test_a_heading_leads_a_merged_quote_once() -> None:
    section = "7 Purifiers > 7.2 Major service (8000 h)"
    passages = [
        _passage(1, 4, "The major service kit includes the bowl spindle bearings.", 8, section),
        _passage(2, 5, "A major service takes about 10 hours with the maker's tools.", 8, section),
    ]
    out = compose_answer("purifier major service kit and hours", passages, 0.3)
    assert len(out.refs) == 1
    assert out.text.count("Major service (8000 h)") == 1, out.text
