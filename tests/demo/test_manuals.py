"""The demo manuals: consistent with the register, rendered to PDF, ingested with citations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pypdf
import pytest
import yaml

from channels.demo.manuals import load_manuals, render_manuals
from records.demo import parts_path, plans_path
from tests.demo.conftest import walk

pytestmark = pytest.mark.slow(reason="renders the demo manuals as PDFs")

_TAG_RE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b")
_CODE_RE = re.compile(r"(?<![\d.])\d{3}(?:\.\d+){1,2}(?![\d.]*\d)")
_PART_RE = re.compile(r"\b[A-Z]{2,4}-[A-Z0-9]+(?:-[A-Z0-9]+)+\b")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return render_manuals(tmp_path_factory.mktemp("manuals"), progress=lambda _s: None)


def _sensors(register: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["tag"]: s for item, _ in walk(register["equipment"]) for s in item.get("sensors", [])}


def test_five_manuals_with_front_matter_scoped_to_register_codes(codes: set[str]) -> None:
    manuals = load_manuals()
    assert len(manuals) >= 5
    words = " ".join(m.title.lower() for m in manuals)
    for subject in ("engine", "generator", "purifier", "thruster", "safety"):
        assert subject in words
    for manual in manuals:
        assert manual.kind in ("manual", "procedure")
        assert manual.equipment_codes and set(manual.equipment_codes) <= codes
        assert "demo" in manual.tags


def test_tags_codes_and_parts_in_the_text_exist_on_the_vessel(
    register: dict[str, Any], codes: set[str]
) -> None:
    sensors = _sensors(register)
    with parts_path().open(encoding="utf-8") as handle:
        part_numbers = {p["number"] for p in yaml.safe_load(handle)["parts"]}
    serials = {item["serial"] for item, _ in walk(register["equipment"]) if "serial" in item}
    models = {item["model"] for item, _ in walk(register["equipment"]) if "model" in item}
    for manual in load_manuals():
        tags = set(_TAG_RE.findall(manual.body))
        assert tags, manual.title
        assert tags <= set(sensors), f"{manual.title}: unknown tags {tags - set(sensors)}"
        mentioned = set(_CODE_RE.findall(manual.body))
        assert mentioned <= codes, f"{manual.title}: unknown codes {mentioned - codes}"
        known = part_numbers | serials | models | {m.doc_no for m in load_manuals()}
        parts = set(_PART_RE.findall(manual.body))
        assert parts <= known, f"{manual.title}: unknown part numbers {parts - known}"


def test_limit_tables_state_the_register_limits(register: dict[str, Any]) -> None:
    """Each table row about a sensor tag (first cell) gives its alarm limits and unit."""
    sensors = _sensors(register)
    units = {"degC": "degC", "bar": "bar", "rpm": "rpm", "A": " A", "kW": "kW", "%": "%"}
    checked = 0
    for manual in load_manuals():
        for line in manual.body.splitlines():
            if not line.startswith("|"):
                continue
            compact = re.sub(r"(?<=\d) (?=\d{3}\b)", "", line)
            first_cell = line.split("|")[1]
            for tag in set(_TAG_RE.findall(first_cell)) & set(sensors):
                sensor = sensors[tag]
                for key in ("low", "high"):
                    if key in sensor:
                        value = (
                            f"{sensor[key]:g}"
                            if isinstance(sensor[key], float)
                            else str(sensor[key])
                        )
                        if isinstance(sensor[key], float) and "." not in value:
                            value += ".0"
                        assert re.search(rf"(?<![\d.]){re.escape(value)}(?![\d])", compact), (
                            f"{manual.title}: {tag} {key} {value} missing in: {line}"
                        )
                        checked += 1
                unit = units.get(sensor.get("unit", ""))
                if unit and sensor.get("counter") is None:
                    assert unit in line, f"{manual.title}: {tag} unit {unit} missing in: {line}"
    assert checked >= 60


def test_plan_intervals_match_the_planned_maintenance_system() -> None:
    """Every plan of an equipment a manual covers is named in it with its interval."""
    with plans_path().open(encoding="utf-8") as handle:
        plans = yaml.safe_load(handle)["plans"]
    text = " ".join(m.body for m in load_manuals())
    flat = " ".join(text.split()).lower()
    covered = 0
    for manual in load_manuals():
        for plan in plans:
            if not any(
                plan["equipment"] == c or plan["equipment"].startswith(c + ".")
                for c in manual.equipment_codes
            ):
                continue
            every = (
                f"{plan['every_hours']} h"
                if "every_hours" in plan
                else (f"{plan['every_days']} days")
            )
            assert every in flat or every.replace(" h", " running hours") in flat, plan
            covered += 1
    assert covered >= 25


def test_rendered_pdfs_have_pages_outline_and_page_numbers(rendered: list[Path]) -> None:
    total = 0
    for pdf, manual in zip(rendered, load_manuals(), strict=True):
        reader = pypdf.PdfReader(pdf)
        pages = len(reader.pages)
        total += pages
        assert reader.metadata is not None and reader.metadata.title == manual.title
        outline = [o for o in reader.outline if not isinstance(o, list)]
        headings = re.findall(r"^# (.+)$", manual.body, re.M)
        assert [o.title for o in outline] == headings
        assert f"Page {pages}" in (reader.pages[-1].extract_text() or "")
        text = reader.pages[2].extract_text() or ""
        assert manual.doc_no in text and "Page 3" in text
    assert total >= 40


def test_rendering_is_deterministic_and_skips_unchanged_sources(
    rendered: list[Path], tmp_path: Path
) -> None:
    again = render_manuals(tmp_path, progress=lambda _s: None)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in rendered]
    stamps = [p.stat().st_mtime_ns for p in again]
    said: list[str] = []
    assert render_manuals(tmp_path, progress=said.append) == again
    assert said == [] and [p.stat().st_mtime_ns for p in again] == stamps
    sidecar = again[0].with_name(again[0].name + ".sha256")
    sidecar.write_text("stale\n")
    render_manuals(tmp_path, progress=said.append)
    assert len(said) == 1 and sidecar.read_text().strip() != "stale"
