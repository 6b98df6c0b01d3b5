"""A parse step that kills its worker process for one file, to test crash recovery."""

from __future__ import annotations

import os

from ingestion import DocumentScope, IngestionSettings, PreparedDocument, SourceFile, prepare_source


def prepare_or_crash(
    source: SourceFile, scope: DocumentScope, settings: IngestionSettings, count_tokens: object
) -> PreparedDocument:
    if source.path.name.startswith("crash"):
        os._exit(3)  # what an out-of-memory kill looks like to the pool
    return prepare_source(source, scope, settings, None)
