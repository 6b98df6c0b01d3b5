"""How stored documents are served: PDFs inline, everything else as a sandboxed download.

An uploaded HTML page served inline from Bosun's own origin would run as Bosun (its
scripts could read tokens and call the API), so only PDFs open in the browser, with
``nosniff`` and no sandbox (a sandbox stops the browser's and tablets' PDF viewers from
opening the cited page); any other file is an attachment under ``sandbox``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse

NOSNIFF = {"X-Content-Type-Options": "nosniff"}
SANDBOXED = {**NOSNIFF, "Content-Security-Policy": "sandbox"}


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return b"%PDF-" in handle.read(1024)
    except OSError:
        return False


def document_file_response(path: str | Path, filename: str) -> FileResponse:
    """Return a stored document file, inline only when its bytes are a PDF."""
    source = Path(path)
    if _is_pdf(source):
        return FileResponse(
            source,
            media_type="application/pdf",
            filename=filename,
            content_disposition_type="inline",
            headers=NOSNIFF,
        )
    return FileResponse(
        source, filename=filename, content_disposition_type="attachment", headers=SANDBOXED
    )
