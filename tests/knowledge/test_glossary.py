"""Crew vocabulary: the shipped glossary, matching rules, organization overrides, search."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import (
    Glossary,
    KnowledgeBase,
    Passage,
    SearchScope,
    SearchTuning,
    SentenceTransformerEmbedder,
    Term,
    Vocabulary,
    alias_terms,
)
from knowledge.glossary import parse_terms
from knowledge.index_edge import EdgeVectorIndex
from knowledge.sparse import Bm25Encoder

pytestmark = pytest.mark.slow(reason="loads its own embedder and indexes passages")


def test_shipped_glossary_has_the_crew_abbreviations() -> None:
    g = Glossary.shipped()
    assert len(g) >= 150
    for term in ("lo", "fo", "hfo", "mgo", "me", "ae", "dg", "edg", "t/c", "ht/lt", "ows", "ecr"):
        assert term in g.terms, term
    assert g.terms["lo"].expansions[0] == "lube oil"
    assert g.terms["bwts"].expansions == ("ballast water treatment system",)


def test_matching_is_token_and_case_aware() -> None:
    g = Glossary.shipped()
    e = g.expand("What's the LO press trip on DG2? T/C rpm high")
    assert e.matched == ("LO", "press", "DG2", "T/C", "rpm")
    assert "diesel generator 2" in e.phrases and "turbocharger" in e.phrases
    assert e.inline.startswith("What's the LO (lube oil; lubricating oil) press (pressure)")
    # not inside words, not a two-letter capital term in lower case
    assert not g.expand("the slow pump, tell me about lo and behold").expanded
    # longer capital terms match in any case; words flagged case-sensitive do not
    assert g.expand("edg wont start").phrases[0] == "emergency diesel generator"
    assert not g.expand("put a dot on it").expanded
    assert g.expand("HT/LT cooler").matched == ("HT/LT",)
    assert g.expand("two DGs running").phrases == ("diesel generator",)


def test_engine_handbook_abbreviations_expand_as_handbooks_spell_them() -> None:
    g = Glossary.shipped()
    assert g.expand("effect of carb heat").phrases[0] == "carburetor"
    assert g.expand("prop hunting and surging").phrases == ("propeller",)
    assert g.expand("CHT fluctuates").phrases == ("cylinder head temperature",)
    assert "top dead center" in g.expand("set No. 1 piston at TDC").phrases
    # MAP only as written: "map" is a word
    assert g.expand("MAP gauge reads low").phrases[0] == "manifold absolute pressure"
    assert not g.expand("map of the engine room").expanded


def test_an_organizations_entry_overrides_the_shipped_one() -> None:
    g = Glossary.shipped()
    assert g.expand("PMS alarm").phrases == ("power management system",)
    own = Vocabulary(entries=(Term("pms", ("planned maintenance system",)),))
    assert g.with_vocabulary(own).expand("PMS alarm").phrases == ("planned maintenance system",)
    # the shipped glossary itself is unchanged (no leak into other searches)
    assert g.expand("PMS alarm").phrases == ("power management system",)


def test_register_aliases_expand_to_equipment_names() -> None:
    aliases = alias_terms(
        [("Main engine No. 1", ["ME1", "port main"]), ("Bow thruster No. 1", ["BT1", "bt1"])]
    )
    assert [a.term for a in aliases] == ["BT1", "ME1", "port main"]
    g = Glossary.shipped().with_vocabulary(Vocabulary(aliases=aliases))
    e = g.expand("port main and me1 exh temp")
    assert e.phrases[:2] == ("Main engine No. 1", "exhaust")
    assert "Main engine No. 1" in g.expand("ME1 LO press").phrases


def test_parse_rejects_entries_without_expansions() -> None:
    with pytest.raises(Exception, match="needs expansions"):
        parse_terms({"entries": [{"term": "XX"}]})


def test_added_keyword_terms_weigh_less_than_the_typed_ones() -> None:
    bm25 = Bm25Encoder(pair_weight=0.15)
    plain = bm25.encode_query("LO press")
    wide = bm25.encode_query("LO press", ["lube oil", "pressure", "press"], 0.5)
    weights = dict(zip(wide.indices, wide.values, strict=True))
    for i, w in zip(plain.indices, plain.values, strict=True):
        assert weights[i] == w  # the typed terms keep their weight
    added = [w for i, w in weights.items() if i not in plain.indices]
    assert added and max(added) <= 0.5


DOCS = [
    ("Lubrication", "Keep the lubricating oil pressure above 3 bar. Change the filter at 500 h."),
    ("Cooling", "The jacket water outlet temperature is 80 to 85 degrees C."),
    ("Turbocharger", "Wash the compressor side of the turbocharger with water every 48 hours."),
    ("Planned maintenance", "The planned maintenance system lists every job by running hours."),
    ("Power management", "The power management system starts a standby diesel generator."),
]


def _passages(org_id: int) -> list[Passage]:
    return [
        Passage(
            id=f"{org_id}-{i}",
            org_id=org_id,
            document_id=100 + i,
            document_version=1,
            text=text,
            title=title,
            page=i + 1,
        )
        for i, (title, text) in enumerate(DOCS)
    ]


@pytest.fixture
def kb(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> KnowledgeBase:
    base = KnowledgeBase(
        EdgeVectorIndex(tmp_path / "store", dimension=embedder.dimension), embedder
    )
    for org in (1, 2):
        base.index_documents([[p] for p in _passages(org)])
    return base


def test_search_expands_shipped_terms_on_both_sides(kb: KnowledgeBase) -> None:
    hits = kb.search("T/C wash interval", SearchScope(org_id=1), limit=1)
    assert hits[0].passage.title == "Turbocharger"
    expansion = kb.expand("JW temp", SearchScope(org_id=1))
    assert expansion.phrases == (
        "jacket water",
        "jacket cooling water",
        "engine coolant",
        "temperature",
    )
    assert kb.search("JW temp", SearchScope(org_id=1), limit=1)[0].passage.title == "Cooling"


def test_search_with_an_organizations_override_and_no_leak(kb: KnowledgeBase) -> None:
    own = Vocabulary(entries=(Term("PMS", ("planned maintenance system",)),))
    mine = kb.search("PMS", SearchScope(org_id=1, vocabulary=own), limit=1)
    assert mine[0].passage.title == "Planned maintenance"
    assert mine[0].passage.org_id == 1
    theirs = kb.search("PMS", SearchScope(org_id=2), limit=1)
    assert theirs[0].passage.title == "Power management"
    assert kb.expand("PMS", SearchScope(org_id=2)).phrases == ("power management system",)


def test_glossary_off_searches_the_query_as_typed(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    base = KnowledgeBase(
        EdgeVectorIndex(tmp_path / "off", dimension=embedder.dimension),
        embedder,
        tuning=SearchTuning(glossary=False),
    )
    assert not base.expand("LO press", SearchScope(org_id=1)).expanded
