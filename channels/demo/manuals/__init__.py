"""The demo vessel's manuals: Markdown shipped in the package, rendered to PDF at first start.

Five documents written for MV Northern Bosun (records/demo/register.yaml): main engines,
generators, purifiers, thrusters and safety procedures. Their front matter names the
register codes and tags each applies to, so they are ingested with the right scope.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from channels.demo.manuals.render import RENDERER_VERSION, Manual, load_manual, render_pdf

log = logging.getLogger(__name__)
SOURCE_DIR = Path(__file__).parent


def manual_sources() -> list[Path]:
    """Return the Markdown sources of the demo manuals, in a stable order."""
    return sorted(p for p in SOURCE_DIR.glob("*.md") if p.name != "README.md")


def load_manuals() -> list[Manual]:
    """Read every demo manual's front matter and body."""
    return [load_manual(p) for p in manual_sources()]


def pdf_path(dest: Path, manual: Manual) -> Path:
    """Return where a manual's PDF is rendered under `dest`."""
    return dest / f"{manual.source.stem}.pdf"


def render_manuals(dest: Path, progress: Callable[[str], None] = log.info) -> list[Path]:
    """Render each manual to `dest/<name>.pdf`; a PDF already made from the same source is kept.

    A sidecar `<name>.pdf.sha256` holds the hash of the source (and renderer version) the PDF
    was made from, so a second run costs one hash per file. Output is deterministic.
    """
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for manual in load_manuals():
        target = pdf_path(dest, manual)
        sidecar = target.with_name(target.name + ".sha256")
        key = manual.sha256
        if target.exists() and sidecar.exists() and sidecar.read_text().strip() == key:
            out.append(target)
            continue
        progress(f"manuals: rendering {manual.title}")
        pages = render_pdf(manual, target)
        sidecar.write_text(key + "\n")
        log.debug("rendered %s (%d pages)", target.name, pages)
        out.append(target)
    return out


__all__ = [
    "RENDERER_VERSION",
    "Manual",
    "load_manuals",
    "manual_sources",
    "pdf_path",
    "render_manuals",
]
