"""Serve the widget script."""

from __future__ import annotations

import hashlib
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import Response

WIDGET_JS = files("channels.http.widget").joinpath("static/widget.js")
"""The widget's source, shipped in the package."""


def widget_router() -> APIRouter:
    """Return the router that serves ``/widget.js`` (cached, revalidated by ETag)."""
    router = APIRouter(tags=["widget"])
    body = WIDGET_JS.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'

    @router.get("/widget.js", include_in_schema=False)
    def widget_js(request: Request) -> Response:
        headers = {
            "ETag": etag,
            "Cache-Control": "public, max-age=300",
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    return router
