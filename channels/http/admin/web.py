"""What every admin page shares: the site, sign-in and CSRF dependencies, rendering, redirects.

A page asks for ``SignedIn`` (a signed-in admin, else a redirect to the login page); a form
post asks for ``CheckedForm`` too (same origin and the session's CSRF token, else a 403).
A dependency refuses by raising ``Refused`` with the response to send, which the routes of
``page_router()`` return as is.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FunctionLoader, select_autoescape
from starlette.datastructures import FormData

from channels.app.runtime import Bosun
from channels.http.admin.session import (
    SESSION_COOKIE,
    AdminSession,
    LoginThrottle,
    SessionCodec,
    csrf_ok,
)
from channels.http.page_security import new_nonce, page_csp

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _template_source(name: str) -> str:
    return files("channels.http.admin").joinpath(f"templates/{name}").read_text(encoding="utf-8")


_ENV = Environment(loader=FunctionLoader(_template_source), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True, slots=True)
class AdminSite:
    """The admin pages of one running Bosun: its cookie codec and its login brake."""

    bosun: Bosun
    codec: SessionCodec
    throttle: LoginThrottle

    async def attach(self, request: Request) -> None:
        """Make this site the request's (a dependency of every admin route)."""
        request.state.admin_site = self


class Refused(Exception):
    """A dependency's refusal: the response to send instead of the page."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _AdminRoute(APIRoute):
    """A route that answers a ``Refused`` raised by its dependencies with its response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so a refusal becomes the response."""
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused as refused:
                return refused.response

        return answer


def page_router() -> APIRouter:
    """Return a router for one group of admin pages (paths below ``/admin``)."""
    return APIRouter(route_class=_AdminRoute)


def _site(request: Request) -> AdminSite:
    site: AdminSite = request.state.admin_site
    return site


Site = Annotated[AdminSite, Depends(_site)]


def to_login(request: Request) -> Response:
    """Redirect to the login page, coming back here afterwards."""
    return RedirectResponse(f"/admin/login?next={quote(request.url.path)}", status_code=303)


def _signed_in(request: Request, site: Site) -> AdminSession:
    session = site.codec.read(site.bosun, request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise Refused(to_login(request))
    return session


SignedIn = Annotated[AdminSession, Depends(_signed_in)]
"""The signed-in admin (else a redirect to the login page)."""


async def _checked_form(request: Request, session: SignedIn) -> FormData:
    if not _same_origin(request):
        raise Refused(HTMLResponse("cross-site request refused", status_code=403))
    form = await request.form()
    token = form.get("csrf") or request.headers.get("x-csrf-token")
    if not csrf_ok(session.csrf, str(token) if token else None):
        raise Refused(
            HTMLResponse(
                "the form expired or came from another site: reload the page and try again",
                status_code=403,
            )
        )
    return form


CheckedForm = Annotated[FormData, Depends(_checked_form)]
"""A posted form from this site carrying the session's CSRF token (else a 403)."""


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def render(request: Request, name: str, session: AdminSession | None, **ctx: Any) -> Response:
    """Render a page template with the session, a CSP nonce and the message of a redirect."""
    nonce = new_nonce()
    html = _ENV.get_template(name).render(
        session=session,
        csp_nonce=nonce,
        path=request.url.path,
        message=request.query_params.get("msg"),
        failed=request.query_params.get("error") == "1",
        **ctx,
    )
    return HTMLResponse(
        html, headers={**SECURITY_HEADERS, "Content-Security-Policy": page_csp(nonce)}
    )


def back(to: str, message: str, *, error: bool = False) -> Response:
    """Redirect to a page that shows ``message`` (as an error with ``error``)."""
    sep = "&" if "?" in to else "?"
    return RedirectResponse(
        f"{to}{sep}msg={quote(message)}{'&error=1' if error else ''}", status_code=303
    )


def new_token() -> str:
    """Return a fresh random token (the login form's CSRF token)."""
    return secrets.token_urlsafe(24)


def field(form: Any, name: str) -> str:
    """Return a text field of a form ('' when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def comma_list(text: str) -> list[str]:
    """Split a comma-separated field into its non-empty items."""
    return [t.strip() for t in text.split(",") if t.strip()]


def safe_next(params: Any) -> str:
    """Only ever redirect within the admin pages after login."""
    target = params.get("next") if params is not None else None
    if isinstance(target, str) and target.startswith("/admin") and "//" not in target:
        return target
    return "/admin/documents"
