from __future__ import annotations

import ingestion


def test_public_names_are_exported_and_sorted() -> None:
    assert ingestion.__all__ == sorted(ingestion.__all__)
    for name in ingestion.__all__:
        assert getattr(ingestion, name) is not None
    assert {"ingest_files", "parse_document", "chunk_document", "import_fault_csv"} <= set(
        ingestion.__all__
    )
    assert ingestion.ParserCrashedError("x").code.value == "parser_crashed"
    assert ingestion.IngestionError("x").code.value == "internal_error"
