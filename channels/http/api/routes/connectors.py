"""Connector health: per source connected, last value, reads, errors, reconnects, buffer."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from channels.http.api.deps import BosunDep, CallerDep
from channels.http.api.routes.common import v1_router

router = v1_router(tags=["connectors"])


@router.get("/connectors")
def connector_health(bosun: BosunDep, caller: CallerDep) -> dict[str, Any]:
    """Return each configured source's health (empty when no connectors run)."""
    del caller  # any authenticated user may see whether the data is flowing
    thread = bosun.extras.get("connectors")
    if thread is None:
        return {"running": False, "sources": []}
    sources = []
    for health in thread.runtime.health():
        item = asdict(health)
        if item.get("last_value_time") is not None:
            item["last_value_time"] = item["last_value_time"].isoformat()
        sources.append(item)
    return {"running": True, "sources": sources}
