"""Helpers shared by the route modules: query parameters and page conversion."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor

from channels.http.api.problems import PROBLEM_RESPONSES
from channels.http.api.schemas import Page
from records import BosunError, ErrorCode
from records import Page as RecordsPage

S = TypeVar("S", bound=BaseModel)

V1 = "/v1"


class _IdConvertor(Convertor[int]):
    """``{name:id}``: a path segment of digits, a sign allowed (out of range is a 422).

    So ``/equipment/search`` never reaches ``/equipment/{equipment_id}``: a method that
    search lacks is a 405 there, not a 422 about the id.
    """

    regex = "-?[0-9]+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", _IdConvertor())


class _V1Router(APIRouter):
    """A router whose ``{..._id}`` path segments match digits only (see ``_IdConvertor``)."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        """Add a route, its integer ids matched as ``{name:id}``."""
        super().add_api_route(_digit_ids(path, endpoint), endpoint, **kwargs)


def _digit_ids(path: str, endpoint: Callable[..., Any]) -> str:
    parameters = inspect.signature(endpoint).parameters

    def swap(match: re.Match[str]) -> str:
        found = parameters.get(match.group(1))
        is_text = found is not None and "str" in str(found.annotation)
        return match.group(0) if is_text else "{" + match.group(1) + ":id}"

    return re.sub(r"\{(\w+_id)\}", swap, path)


def v1_router(**kwargs: Any) -> APIRouter:
    """Return a router for ``/v1`` routes (full paths, so metrics see the route templates)."""
    return _V1Router(prefix=V1, responses=PROBLEM_RESPONSES, **kwargs)


Cursor = Annotated[
    str | None, Query(description="The next_cursor of the previous page; omit for the first.")
]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]


def page_of(schema: type[S], page: RecordsPage[Any]) -> Page[S]:
    """Convert a records page of rows into a page of response schemas."""
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in page.items], next_cursor=page.next_cursor
    )


def all_of(schema: type[S], rows: Iterable[Any]) -> Page[S]:
    """Wrap a complete (unpaginated) listing as a single last page."""
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in rows], next_cursor=None
    )


def invalid(message: str) -> BosunError:
    """Build the error for a request the services would accept but the API refuses."""
    return BosunError(ErrorCode.invalid, message)
