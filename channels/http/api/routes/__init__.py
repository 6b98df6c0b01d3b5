"""The ``/v1`` resources."""

from fastapi import APIRouter

from channels.http.api.routes import (
    admin,
    audit,
    chat,
    connectors,
    documents,
    faults,
    glossary,
    models,
    notifications,
    parts,
    pending,
    plans,
    readings,
    register,
    register_file,
    transcribe,
    users,
    work_orders,
)


def v1_routers() -> list[APIRouter]:
    """Return the routers of every ``/v1`` resource (each carries the /v1 prefix)."""
    modules = (
        register,
        register_file,
        readings,
        connectors,
        faults,
        work_orders,
        parts,
        plans,
        users,
        pending,
        audit,
        documents,
        chat,
        models,
        transcribe,
        admin,
        notifications,
        glossary,
    )
    return [module.router for module in modules]


__all__ = ["v1_routers"]
