"""A small JSONPath subset for MQTT payloads: `$`, `$.a.b`, `$.a[0]`, `$['a b']`."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def parse_json_path(path: str) -> tuple[str | int, ...]:
    """Parse a JSONPath of member and index steps; raise ValueError on anything else."""
    if not path.startswith("$"):
        raise ValueError(f"JSON path {path!r} must start with $")
    steps: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None:
            raise ValueError(
                f"JSON path {path!r}: unsupported syntax at {path[pos:]!r} "
                "(use $.member, $.list[0] or $['member'])"
            )
        name, index, q1, q2 = m.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else (q1 if q1 is not None else q2))
        pos = m.end()
    return tuple(steps)


def extract(document: Any, steps: tuple[str | int, ...]) -> Any:
    """Return the value at `steps` inside a decoded JSON document; raise KeyError if absent."""
    node = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise KeyError(step)
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                raise KeyError(step)
            node = node[step]
    return node
