from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from records.demo import DemoHistory, generate_history, register_path

START = datetime(2026, 5, 27, tzinfo=UTC)
END = datetime(2026, 11, 27, tzinfo=UTC)


def walk(
    items: list[dict[str, Any]], parent: str | None = None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    for item in items:
        yield item, parent
        yield from walk(item.get("children", []), item["code"])


@pytest.fixture(scope="session")
def register() -> dict[str, Any]:
    with register_path().open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@pytest.fixture(scope="session")
def codes(register: dict[str, Any]) -> set[str]:
    return {item["code"] for item, _ in walk(register["equipment"])}


@pytest.fixture(scope="session")
def history() -> DemoHistory:
    return generate_history(START, END)
