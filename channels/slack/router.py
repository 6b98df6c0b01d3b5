"""``POST /slack/events``: Slack's events, button clicks and ``/bosun`` all arrive here."""

from __future__ import annotations

import json
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from slack_bolt import BoltRequest
from starlette.concurrency import run_in_threadpool

from channels.slack.bot import SlackBot

EVENTS_PATH = "/slack/events"
_PROBLEM = "application/problem+json"


def _unauthorized(detail: str) -> Response:
    body = {
        "type": "urn:bosun:problem:unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": detail,
        "code": "unauthorized",
        "instance": EVENTS_PATH,
    }
    return Response(json.dumps(body), status_code=401, media_type=_PROBLEM)


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
