"""Liveness, readiness and metrics endpoints (no API key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from channels.api.deps import BosunDep
from channels.api.metrics import ApiMetrics

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """The process serves."""

    status: str


class Readiness(BaseModel):
    """Whether first-start work (demo seeding, indexing, training) is done, and its steps."""

    ready: bool
    steps: list[str]
    error: str | None


@router.get("/healthz")
def healthz() -> Health:
    """Answer while the process serves."""
    return Health(status="ok")


@router.get("/readyz", responses={503: {"model": Readiness, "description": "Still starting"}})
def readyz(bosun: BosunDep) -> JSONResponse:
    """Answer 200 once first-start work is done, else 503 with the steps so far."""
    startup = bosun.startup
    ready = startup.ready.is_set()
    body = Readiness(ready=ready, steps=list(startup.steps), error=startup.error)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Serve metrics in the Prometheus text format."""
    registry: ApiMetrics = request.app.state.metrics
    body, content_type = registry.render()
    return Response(body, media_type=content_type)
