"""Request body size limits answered with a problem+json 413."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.http.api.problems import PROBLEM_JSON, problem_bytes
from records import ErrorCode


class BodyTooLarge(HTTPException):
    """Raised while reading a body that grew past its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes; send less per request")


class BodyLimitMiddleware:
    """Refuse bodies over a byte limit, by Content-Length and while streaming.

    FastAPI's own ``max_body_size`` answers some of these cases with plain text; this one
    always answers problem+json. ``overrides`` gives larger limits to path prefixes (uploads).
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, overrides: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = sorted(overrides, key=lambda o: len(o[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        """Return the byte limit for a request path."""
        for prefix, limit in self.overrides:
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its body bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_413(scope, send, limit)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # Whatever the app made of the interrupted body, the answer is 413.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _send_413(scope, send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_413(scope, send, limit)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def _send_413(scope: Scope, send: Send, limit: int) -> None:
    body = problem_bytes(
        413,
        ErrorCode.too_large.value,
        f"request body larger than {limit} bytes; send less per request",
        scope.get("path"),
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
