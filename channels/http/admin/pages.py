"""The admin pages composed: one router per page group, all behind ``/admin``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from channels.app.runtime import Bosun
from channels.http.admin import (
    document_pages,
    login_pages,
    maintenance_pages,
    people_pages,
    system_pages,
)
from channels.http.admin.session import LoginThrottle, SessionCodec
from channels.http.admin.web import AdminSite
from channels.services.chat import server_secret

PAGE_GROUPS = (login_pages, document_pages, maintenance_pages, people_pages, system_pages)


def admin_router(bosun: Bosun) -> APIRouter:
    """Return the router for ``/admin``: every page group, sharing one site."""
    site = AdminSite(bosun, SessionCodec(server_secret(bosun)), LoginThrottle())
    router = APIRouter(
        prefix="/admin", include_in_schema=False, dependencies=[Depends(site.attach)]
    )
    router.add_api_route("", _home, methods=["GET"])
    for group in PAGE_GROUPS:
        router.include_router(group.router)
    return router


def _home() -> Response:
    """Send ``/admin`` to the documents page."""
    return RedirectResponse("/admin/documents", status_code=303)
