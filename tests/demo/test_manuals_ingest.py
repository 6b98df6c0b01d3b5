"""The demo manuals through the real ingestion pipeline: scope, idempotence, cited pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.demo.ingest import demo_manuals_dir, ingest_demo_manuals
from channels.demo.manuals import load_manuals
from eval.manuals import cited, load_cases, search_case, seed_register
from records import Document

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bosun, int, int]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("BOSUN_EMBEDDER", "torch")  # skip the int8 export: it is not what is tested here
    mp.setenv("HF_HUB_OFFLINE", "1")
    bosun = open_bosun(Settings(home=tmp_path_factory.mktemp("home")))
    try:
        assert ingest_demo_manuals(bosun, lambda _s: None) is None  # no demo vessel yet
        org_id, vessel_id = seed_register(bosun)
        result = ingest_demo_manuals(bosun, lambda _s: None)
        assert result is not None
        assert not result.summary.failed, result.summary.render()
        assert len(result.summary.indexed) == len(load_manuals())
        assert result.summary.pages >= 40
        yield bosun, org_id, vessel_id
    finally:
        if "knowledge" in bosun.extras:
            bosun.extras["knowledge"].close()
        bosun.close()
        mp.undo()


def test_documents_carry_vessel_scope_kind_and_tags(home: tuple[Bosun, int, int]) -> None:
    bosun, org_id, vessel_id = home
    with bosun.db.transaction(org_id) as s:
        docs = {d.title: d for d in s.scalars(select(Document))}
    for manual in load_manuals():
        doc = docs[manual.title]
        assert doc.vessel_id == vessel_id and doc.kind == manual.kind
        assert doc.status.value == "indexed" and doc.pages and doc.chunks > 10
        assert list(doc.equipment_codes) == list(manual.equipment_codes)
        assert list(doc.tags) == list(manual.tags)
        assert Path(doc.path or "").parent == demo_manuals_dir(bosun)


def test_second_run_costs_a_hash_check(home: tuple[Bosun, int, int]) -> None:
    bosun, _, _ = home
    said: list[str] = []
    again = ingest_demo_manuals(bosun, said.append)
    assert again is not None
    assert not again.summary.indexed and len(again.summary.unchanged) == len(load_manuals())
    assert not any("rendering" in s for s in said)


def test_each_case_cites_the_expected_document_and_page(home: tuple[Bosun, int, int]) -> None:
    bosun, org_id, vessel_id = home
    titles = {m.source.stem: m.title for m in load_manuals()}
    cases = load_cases()
    assert len(cases) >= 12
    misses = []
    for case in cases:
        got = [cited(h) for h in search_case(bosun, org_id, vessel_id, case.question, 3)]
        if (titles[case.document], case.page) not in got:
            misses.append(f"{case.question!r}: want p.{case.page} {case.document}, got {got}")
    assert not misses, "\n".join(misses)
