"""eval.citations: scoring of first / any cited gold page, the PDF page map, a tiny run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import citations
from eval.citations import Rendered, cited_pages, figures, score

GOLD = frozenset({("ch1.pdf", 12)})


def test_first_and_any_citation_hits() -> None:
    assert score([("ch1.pdf", 12), ("ch2.pdf", 3)], GOLD) == (True, True)
    assert score([("ch2.pdf", 3), ("ch1.pdf", 12)], GOLD) == (False, True)
    assert score([None, ("ch1.pdf", 12)], GOLD) == (False, True)
    assert score([("ch1.pdf", 13)], GOLD) == (False, False)
    assert score([], GOLD) == (False, False)


def test_figures_are_shares_of_the_questions() -> None:
    out = figures(
        [(True, True, False), (False, True, False), (False, False, True), (True, True, False)]
    )
    assert out == {
        "n": 4,
        "first_citation_page_hit": 0.5,
        "any_citation_page_hit": 0.75,
        "uncited": 0.25,
    }
    assert figures([])["n"] == 0


def test_citations_map_back_to_corpus_pages() -> None:
    # ch1's corpus pages 11, 12, 15 start on PDF pages 1, 2, 4 (page 12 ran over two).
    rendered = Rendered(starts={"ch1.pdf": [(1, 11), (2, 12), (4, 15)]})
    documents = {7: "ch1.pdf"}
    cites: list[dict[str, int | None]] = [
        {"document_id": 7, "page": 3},
        {"document_id": 7, "page": 1},
        {"document_id": 7, "page": 4},
        {"document_id": 8, "page": 1},
        {"document_id": 7, "page": None},
    ]
    assert cited_pages(cites, documents, rendered) == [
        ("ch1.pdf", 12),
        ("ch1.pdf", 11),
        ("ch1.pdf", 15),
        None,
        None,
    ]


def _corpus(folder: Path) -> Path:
    """A made-up two-chapter handbook: five pages, one question per topic page."""
    pages = [
        ("ch1.pdf", 4, "Lubrication. The oil pump delivers oil to the bearings. " * 3),
        ("ch1.pdf", 5, "The oil filter bypass valve opens at a differential of 2 bar. " * 3),
        ("ch1.pdf", 9, "Cooling fins on the cylinder head carry heat into the airflow. " * 3),
        ("ch2.pdf", 1, "Propeller blades are inspected for nicks and cracks. " * 3),
        ("ch2.pdf", 2, "The propeller governor holds a constant rpm with flyweights. " * 3),
    ]
    folder.mkdir()
    rows = [{"id": f"{s[:3]}_p{p}", "text": t, "source": s, "page": p} for s, p, t in pages]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    questions = [
        {
            "id": "q1",
            "question": "At what differential does the oil filter bypass valve open?",
            "relevant": ["ch1_p5"],
        },
        {
            "id": "q2",
            "question": "How does the propeller governor hold a constant rpm?",
            "relevant": ["ch2_p2"],
        },
    ]
    cases = folder / "questions.jsonl"
    cases.write_text("\n".join(json.dumps(q) for q in questions) + "\n")
    return cases


def test_render_keeps_one_corpus_page_per_pdf_page(tmp_path: Path) -> None:
    cases = _corpus(tmp_path / "book")
    handbook = citations.load_handbook(tmp_path / "book")
    assert citations.load_questions(cases, handbook)[0].gold == {("ch1.pdf", 5)}
    out = tmp_path / "pdf"
    out.mkdir()
    rendered = citations.render(handbook, out)
    assert rendered.starts == {"ch1.pdf": [(1, 4), (2, 5), (3, 9)], "ch2.pdf": [(1, 1), (2, 2)]}
    assert rendered.corpus_page("ch1.pdf", 3) == 9


@pytest.mark.slow(reason="builds a home, ingests PDFs and embeds them")
def test_tiny_handbook_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOSUN_EMBEDDER", "torch")
    cases = _corpus(tmp_path / "book")
    assert (
        citations.main(
            [
                "--beir",
                str(tmp_path / "book"),
                "--queries",
                str(cases),
                "--home",
                str(tmp_path / "home"),
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out == {
        "n": 2,
        "first_citation_page_hit": 1.0,
        "any_citation_page_hit": 1.0,
        "uncited": 0.0,
    }
