"""Bosun's own start page: the chat widget for the demo crew member, links to everything."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, select_autoescape

from channels.app.runtime import Bosun
from channels.http.page_security import new_nonce, page_csp
from channels.services.chat import open_gateway
from records import ALL_TENANTS, BosunError, ErrorCode, Role, users
from records.demo import demo_users

SUGGESTED = (
    "How do I bleed the emergency generator's fuel system?",
    "How is the bow thruster doing?",
    "ME2 fuel pump is leaking",
    "What are the open faults?",
    "When is the next service of DG1 due?",
)
_TEMPLATES = Environment(autoescape=select_autoescape(["html"]), keep_trailing_newline=True)


def demo_crew_user(bosun: Bosun) -> tuple[int, int, str] | None:
    """Return (org id, user id, name) of the demo crew member, if the demo is loaded."""
    crew = next(u for u in demo_users() if u.role == "crew")
    with bosun.db.transaction(ALL_TENANTS) as s:
        found = (u for u in users.users_with_email(s, crew.email) if u.role == Role.crew)
        user = next(found, None)
        return (user.org_id, user.id, user.name) if user else None


def start_router(bosun: Bosun) -> APIRouter:
    """Return the router for ``/`` and the start page's token endpoint ``/start/token``."""
    router = APIRouter(include_in_schema=False)
    template = _TEMPLATES.from_string(
        files("channels.http").joinpath("templates/start.html").read_text(encoding="utf-8")
    )

    @router.get("/", response_class=HTMLResponse)
    def start_page(request: Request) -> HTMLResponse:
        crew = demo_crew_user(bosun) if bosun.startup.ready.is_set() else None
        context: dict[str, Any] = {
            "base": str(request.base_url).rstrip("/"),
            "suggested": SUGGESTED,
            "crew": crew[2] if crew else None,
            "ready": bosun.startup.ready.is_set(),
            "steps": bosun.startup.steps[-6:],
            "error": bosun.startup.error,
            "csp_nonce": new_nonce(),
        }
        return HTMLResponse(
            template.render(**context),
            headers={
                "Content-Security-Policy": page_csp(context["csp_nonce"]),
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.post("/start/token")
    def start_token() -> dict[str, Any]:
        """Issue a chat token for the demo crew member (the demo only)."""
        crew = demo_crew_user(bosun)
        if crew is None:
            raise BosunError(
                ErrorCode.not_found,
                "the start page chats as the demo crew member, and there is no demo here: "
                "embed /widget.js in your own page with a token from POST /v1/chat/tokens",
            )
        issued = open_gateway(bosun).issue_chat_token(crew[0], crew[1])
        return {"token": issued.token, "expires_at": issued.expires_at.isoformat()}

    return router
