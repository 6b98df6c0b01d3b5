"""Liveness, readiness and metrics endpoints (no API key needed)."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from channels.http.api.deps import BosunDep
from channels.http.api.metrics import ApiMetrics
from records import BosunError, ErrorCode

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """The process serves."""

    status: str


class Readiness(BaseModel):
    """Whether first-start work (demo seeding, indexing, training) is done, and its steps."""

    ready: bool
    steps: list[str]
    error: str | None
    warnings: list[str]
    """Start steps that failed for one vessel or platform; the rest of Bosun runs."""


@router.get("/healthz")
def healthz() -> Health:
    """Answer while the process serves."""
    return Health(status="ok")


@router.get("/readyz", responses={503: {"model": Readiness, "description": "Still starting"}})
def readyz(bosun: BosunDep) -> JSONResponse:
    """Answer 200 once first-start work is done, else 503 with the steps so far."""
    startup = bosun.startup
    ready = startup.ready.is_set()
    body = Readiness(
        ready=ready,
        steps=list(startup.steps),
        error=startup.error,
        warnings=list(startup.warnings),
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        401: {"description": "BOSUN_METRICS_TOKEN is set and the bearer token is missing"},
        403: {"description": "No BOSUN_METRICS_TOKEN and the caller is not on loopback"},
    },
)
def metrics(request: Request, bosun: BosunDep) -> Response:
    """Serve metrics in the Prometheus text format (token holders, else loopback only)."""
    _check_metrics_access(request, bosun)
    registry: ApiMetrics = request.app.state.metrics
    body, content_type = registry.render()
    return Response(body, media_type=content_type)


def _check_metrics_access(request: Request, bosun: BosunDep) -> None:
    """With ``BOSUN_METRICS_TOKEN`` every caller needs it; without, only loopback callers."""
    token = bosun.settings.metrics_token
    if token is not None and token.get_secret_value():
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise BosunError(
                ErrorCode.unauthorized,
                "/metrics needs 'Authorization: Bearer <BOSUN_METRICS_TOKEN>'",
            )
        return
    host = request.client.host if request.client else ""
    if not _is_loopback(host):
        raise BosunError(
            ErrorCode.forbidden,
            "/metrics answers loopback callers only; set BOSUN_METRICS_TOKEN to scrape it "
            "from elsewhere with a bearer token",
        )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
