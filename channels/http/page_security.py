"""Content-Security-Policy of Bosun's own pages (admin pages, start page): a nonce per page."""

from __future__ import annotations

import secrets


def new_nonce() -> str:
    """Return a fresh script nonce for one response."""
    return secrets.token_urlsafe(18)


def page_csp(nonce: str) -> str:
    """Return the policy: scripts only from this origin or carrying the page's nonce.

    Styles may be inline (the pages and the widget's shadow root carry their own); the
    widget talks to this origin only (HTTP and its WebSocket) and records voice to blobs.
    """
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
