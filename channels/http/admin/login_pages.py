"""Signing in and out of the admin pages."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from channels.http.admin.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    check_login,
    csrf_ok,
)
from channels.http.admin.web import (
    CheckedForm,
    Site,
    back,
    field,
    new_token,
    page_router,
    render,
    safe_next,
)

router = page_router()


@router.get("/login")
def login_page(request: Request) -> Response:
    """Show the login form (with a CSRF token in a cookie of its own)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_token()
    response = render(request, "login.html", None, csrf=token, next=safe_next(request.query_params))
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/admin",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/login")
async def login(request: Request, site: Site) -> Response:
    """Sign an admin in (wrong passwords are braked per address and email)."""
    form = await request.form()
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE) or "", field(form, "csrf")):
        return back("/admin/login", "The form expired: try again.", error=True)
    email = field(form, "email").strip().lower()
    key = f"{request.client.host if request.client else '-'}|{email}"
    if site.throttle.blocked(key):
        return back("/admin/login", "Too many wrong passwords: wait five minutes.", error=True)
    result = await asyncio.to_thread(check_login, site.bosun, email, field(form, "password"))
    if isinstance(result, str):
        site.throttle.failed(key)
        return back("/admin/login", result[0].upper() + result[1:] + ".", error=True)
    site.throttle.succeeded(key)
    response = RedirectResponse(safe_next(form), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        site.codec.issue(result),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
    return response


@router.post("/logout")
async def logout(_form: CheckedForm) -> Response:
    """Sign out."""
    response = RedirectResponse("/admin/login?msg=Signed%20out.", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
