"""The REST API: ``/v1`` resources, health, readiness, metrics and OpenAPI docs.

The ASGI app that mounts it is ``channels.http.app.create_app``.
"""

from channels.http.api.metrics import ApiMetrics
from channels.http.api.problems import Problem

__all__ = ["ApiMetrics", "Problem"]
