"""Assemble the FastAPI application from the running Bosun."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import Match, Route
from starlette.types import Scope

from assistant import MAX_ATTACHMENT_BYTES
from channels.app.runtime import Bosun
from channels.app.settings import bosun_version
from channels.chat.slack import SlackBot, slack_router
from channels.chat.wire_telegram import telegram_router
from channels.http.admin import admin_router
from channels.http.api import health
from channels.http.api.body_limit import BodyLimitMiddleware
from channels.http.api.metrics import ApiMetrics, MetricsMiddleware
from channels.http.api.problems import install_problem_handlers
from channels.http.api.routes import v1_routers
from channels.http.api.routes.transcribe import PATH as TRANSCRIBE_PATH
from channels.http.start_page import start_router
from channels.http.widget import widget_router
from channels.services.chat import open_gateway, telegram_bot

DESCRIPTION = """Bosun's maintenance records: vessels, equipment, sensors and readings,
faults, work orders, parts and stock, users and API keys.

Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Lists are pages:
pass a page's `next_cursor` as `cursor` to get the next. Errors are RFC 9457 problem
details (`application/problem+json`) with a stable `code`."""


# A multipart form wraps the audio in a few hundred bytes of headers and boundaries.
MULTIPART_ALLOWANCE = 16_384


def create_app(bosun: Bosun, *, body_limit_overrides: Sequence[tuple[str, int]] = ()) -> FastAPI:
    """Build the REST API over a running Bosun (``app.state.metrics`` takes extra gauges).

    ``body_limit_overrides`` gives path prefixes (uploads) a larger body limit than
    ``settings.max_request_bytes``; audio for ``/v1/transcribe`` may be up to
    ``settings.max_audio_bytes`` (plus room for a multipart envelope) unless overridden.
    """
    app = FastAPI(
        title="Bosun",
        version=bosun_version(),
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.bosun = bosun
    app.state.metrics = ApiMetrics(bosun)
    install_problem_handlers(app)
    app.include_router(health.router)
    for router in v1_routers():
        app.include_router(router)
    app.include_router(telegram_router(partial(telegram_bot, bosun)))
    app.include_router(widget_router())
    app.include_router(start_router(bosun))
    app.include_router(admin_router(bosun))
    # The widget runs on other sites' pages: its bearer-token calls (no cookies) may come
    # from any origin unless BOSUN_CORS_ORIGINS narrows it.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(bosun.settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        allow_credentials=False,
        max_age=600,
    )
    app.state.slack = SlackBot(lambda: open_gateway(bosun), public_url=bosun.settings.public_url)
    app.include_router(slack_router(app.state.slack))
    # Added last = outermost: metrics also count the 413s the limit answers.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=bosun.settings.max_request_bytes,
        # The caller's overrides come first so they win over the default for the same path.
        overrides=(
            *body_limit_overrides,
            (TRANSCRIBE_PATH, bosun.settings.max_audio_bytes + MULTIPART_ALLOWANCE),
            # Uploads: documents (API and admin pages), files sent in chats, registers.
            ("/v1/documents", bosun.settings.max_upload_bytes + MULTIPART_ALLOWANCE),
            ("/admin/documents/upload", bosun.settings.max_upload_bytes + MULTIPART_ALLOWANCE),
            ("/v1/register/import", bosun.settings.max_upload_bytes + MULTIPART_ALLOWANCE),
            ("/v1/chat/attachments", MAX_ATTACHMENT_BYTES + MULTIPART_ALLOWANCE),
        ),
    )
    app.add_middleware(
        MetricsMiddleware, metrics=app.state.metrics, resolve=lambda scope: _plain_route(app, scope)
    )
    return app


def _plain_route(app: FastAPI, scope: Scope) -> str | None:
    """Return the template of a plain Starlette route (docs, openapi) matching the request."""
    for route in app.routes:
        if isinstance(route, Route) and route.matches(scope)[0] is Match.FULL:
            return route.path
    return None
