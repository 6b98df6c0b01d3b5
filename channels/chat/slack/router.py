"""``POST /slack/events``: Slack's events, button clicks and ``/bosun`` all arrive here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from slack_bolt import BoltRequest
from starlette.concurrency import run_in_threadpool

from channels.chat.slack.bot import SlackBot

EVENTS_PATH = "/slack/events"
_PROBLEM = "application/problem+json"


def _problem(status: int, code: str, title: str, detail: str) -> Response:
    body = {
        "type": f"urn:bosun:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": EVENTS_PATH,
    }
    return Response(json.dumps(body), status_code=status, media_type=_PROBLEM)


def _unauthorized(detail: str) -> Response:
    return _problem(401, "unauthorized", "Unauthorized", detail)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def shape_problem(body: str) -> str | None:
    """Say what is wrong with a body that is neither event JSON nor a Slack form, else None.

    Slack sends events as a JSON object with a ``type``, and interactions (a ``payload``
    field holding a JSON object) and slash commands (``command``, ``user_id`` ...) as forms.
    """
    if body.lstrip().startswith("{"):
        event = _json_object(body)
        if event is None or not isinstance(event.get("type"), str):
            return "the body is not a Slack event: a JSON object with a 'type'"
        return None
    try:
        form = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        form = {}
    if "payload" in form:
        if _json_object(form["payload"]) is None:
            return "the form's 'payload' is not a JSON object"
        return None
    if (form.get("command") and form.get("user_id")) or form.get("ssl_check"):
        return None
    return "the body is neither a Slack event (JSON) nor an interaction or slash-command form"


def slack_router(bot: SlackBot) -> APIRouter:
    """Return the router serving Slack's HTTP requests through the bot's bolt app.

    Without a bot token and signing secret the endpoint refuses everything (401).
    """
    router = APIRouter(tags=["slack"])

    @router.api_route(
        EVENTS_PATH, methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
    )
    async def slack_events(request: Request) -> Response:
        if not bot.http_enabled:
            return _unauthorized("Slack is not configured on this server")
        if request.method != "POST":
            return Response(status_code=405, headers={"Allow": "POST"})
        body = (await request.body()).decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = {
            key: request.headers.getlist(key) for key in request.headers
        }
        if not bot.signature_ok(body, request.headers):
            return _unauthorized("the Slack request signature is missing, wrong or stale")
        problem = shape_problem(body)
        if problem is not None:
            # Signed by Slack's secret but not something Slack sends: answer, run nothing.
            return _problem(400, "bad_request", "Bad Request", problem)
        bolt_request = BoltRequest(body=body, query=request.url.query, headers=headers)
        # dispatch runs middleware (signature check, auth.test once) and waits only for
        # ack(); a thread keeps the event loop free meanwhile.
        answer = await run_in_threadpool(bot.dispatch, bolt_request)
        if answer.status == 401:
            return _unauthorized("the Slack request signature is missing, wrong or stale")
        return Response(
            content=answer.body,
            status_code=answer.status,
            headers=answer.first_headers_without_set_cookie(),
        )

    return router
