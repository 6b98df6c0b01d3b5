"""What the table tests share: a document scope, an engine-limits table, its rows as lines."""

from __future__ import annotations

from ingestion import DocumentScope, ParsedDocument, chunk_document
from knowledge.types import Passage

SCOPE = DocumentScope(org_id=1, document_id=7, version=1)
LIMITS = [
    ["Parameter", "Normal", "Alarm", "Shutdown"],
    ["LO pressure, engine inlet", "4.5-5.5 bar", "3.5 bar", "3.0 bar"],
    ["Cooling water outlet temperature", "80-85 C", "95 C", "100 C"],
    ["Injector hold-down nuts torque", "250 Nm", "", ""],
]


def table_rows(doc: ParsedDocument) -> list[Passage]:
    """The chunks of ``doc`` flagged as table rows."""
    return [p for p in chunk_document(doc, SCOPE) if p.table_row]


def row_lines(doc: ParsedDocument) -> list[str]:
    """Every table row (short rows share a chunk, one row a line)."""
    return [line for p in table_rows(doc) for line in p.text.splitlines()]
