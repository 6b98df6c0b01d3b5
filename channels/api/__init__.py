"""The REST API: ``/v1`` resources, health, readiness, metrics and OpenAPI docs."""

from channels.api.app import create_app
from channels.api.metrics import ApiMetrics
from channels.api.problems import Problem

__all__ = ["ApiMetrics", "Problem", "create_app"]
