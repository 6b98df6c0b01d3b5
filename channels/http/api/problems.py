"""RFC 9457 problem details: every error the API returns, in one shape with a stable code."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from records import BosunError, ErrorCode

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:bosun:problem:"
INTERNAL = "internal"

_EXTRA_CODES = {
    400: "bad_request",
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
}


class Problem(BaseModel):
    """An error response (RFC 9457 problem details) with Bosun's stable error code."""

    type: str = Field(description="URI naming the kind of problem: urn:bosun:problem:<code>.")
    title: str = Field(description="Short summary of the HTTP status.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong and what to do next.")
    code: str = Field(description="Stable machine-readable code (records.ErrorCode values).")
    instance: str | None = Field(default=None, description="The request path.")


def code_for_status(status: int) -> str:
    """Return the stable code that goes with an HTTP status raised outside the services."""
    for code in ErrorCode:
        if code.http_status == status and code is not ErrorCode.invalid_transition:
            return code.value
    if status >= 500:
        return INTERNAL
    return _EXTRA_CODES.get(status, f"http_{status}")


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build a problem+json response."""
    body: dict[str, Any] = Problem(
        type=f"{TYPE_PREFIX}{code}",
        title=_title(status),
        status=status,
        detail=detail,
        code=code,
        instance=instance,
    ).model_dump()
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def problem_bytes(status: int, code: str, detail: str, instance: str | None = None) -> bytes:
    """Render a problem body for code that speaks raw ASGI (middleware)."""
    return bytes(problem_response(status, code, detail, instance=instance).body)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _auth_headers(status: int) -> dict[str, str] | None:
    return {"WWW-Authenticate": 'Bearer realm="bosun"'} if status == 401 else None


def _bosun_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BosunError)
    status = exc.code.http_status
    extra = {k: v for k, v in exc.details.items() if _is_plain(v)}
    return problem_response(
        status,
        exc.code.value,
        exc.message,
        instance=request.url.path,
        headers=_auth_headers(status),
        extra=extra,
    )


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else _title(status)
    if status == 404 and detail == "Not Found":
        detail = f"no such resource: {request.method} {request.url.path}; see /docs"
    headers = dict(exc.headers or {}) or _auth_headers(status)
    if status == 405:
        allow = ", ".join(allowed_methods(request)) or (headers or {}).get("Allow", "")
        headers = {**(headers or {}), "Allow": allow}
        detail = f"{request.method} is not allowed on {request.url.path}; use {allow}"
    return problem_response(
        status, code_for_status(status), detail, instance=request.url.path, headers=headers
    )


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    detail = f"invalid request: {where}: {first['msg']}" if where else str(first["msg"])
    return problem_response(
        422,
        ErrorCode.invalid.value,
        detail,
        instance=request.url.path,
        extra={"errors": errors},
    )


def _leaf_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Yield (prefix, route) for every plain route, looking inside included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's included-router wrapper
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _leaf_routes(inner.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, Route):
            yield prefix, route


def allowed_methods(request: Request) -> list[str]:
    """Return every method some route serves at the request's path (for ``Allow``)."""
    path = request.url.path
    methods: set[str] = set()
    for prefix, route in _leaf_routes(request.app.router.routes):
        inside = path.startswith(prefix) and route.path_regex.match(path[len(prefix) :])
        if route.methods and inside:
            methods |= route.methods
    return sorted(methods)


def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error on %s %s: %s", request.method, request.url.path, exc)
    assert isinstance(exc, IntegrityError)
    reason = str(exc.orig).lower()
    if "unique" in reason or "duplicate key" in reason:
        return problem_response(
            409,
            ErrorCode.conflict.value,
            "the change conflicts with existing data (that key is taken); reload and retry",
            instance=request.url.path,
        )
    # The services check references and required fields first; this is the last line.
    return problem_response(
        422,
        ErrorCode.invalid.value,
        "the change refers to a row that does not exist or leaves a required field empty",
        instance=request.url.path,
    )


def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    log.info("value out of range on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        422,
        ErrorCode.invalid.value,
        "a value the database cannot take as given (a number out of range, or a NUL "
        "character in a text)",
        instance=request.url.path,
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        INTERNAL,
        "internal error; it has been logged. Retry later or report it to your administrator",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the app returns a problem+json response with a stable code."""
    app.add_exception_handler(BosunError, _bosun_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": desc}
    for status, desc in (
        (400, "Malformed request body (not the declared JSON or form encoding)"),
        (401, "Missing, unknown or revoked API key"),
        (403, "The caller's role does not allow this"),
        (404, "Not found (or not visible to the caller's organization)"),
        (409, "A unique key already taken, or a state that forbids the change"),
        (413, "Request body too large"),
        (
            422,
            "Invalid request: a bad field, a null where a value is needed, a number out of "
            "range, or a reference to a row the caller cannot see (the field is named)",
        ),
        (503, "The database (or another backend the route needs) is unreachable; retry"),
    )
}
"""OpenAPI descriptions of the problem responses every /v1 route may give."""


_MORE_RESPONSES = {
    410: "Expired: the pending action or token is no longer valid",
    415: "Unsupported media type of an upload",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI descriptions of problem responses only some routes give."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
            "description": _MORE_RESPONSES[status],
        }
        for status in statuses
    }
