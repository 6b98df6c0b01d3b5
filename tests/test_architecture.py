"""The one-way import rule of DESIGN.md, checked by walking every module's imports."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "records",
    "knowledge",
    "predictors",
    "ingestion",
    "connectors",
    "assistant",
    "channels",
)
ALLOWED: dict[str, set[str]] = {
    "records": set(),
    "knowledge": set(),
    "predictors": {"records"},
    "ingestion": {"knowledge", "records"},
    "connectors": {"records"},
    "assistant": {"knowledge", "records", "predictors"},
    "channels": {"records", "knowledge", "predictors", "ingestion", "connectors", "assistant"},
}


@functools.cache
def _parsed(path: Path, stamp: tuple[int, int]) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _tree(path: Path) -> ast.Module:
    """Return a module's syntax tree, parsed once for all the rules (again if it changed)."""
    stat = path.stat()
    return _parsed(path, (stat.st_mtime_ns, stat.st_size))


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = _tree(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _violations() -> list[str]:
    bad = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            for line, module in _imports(path):
                top, _, rest = module.partition(".")
                if top not in PACKAGES:
                    continue
                if top == package:
                    continue
                if top not in ALLOWED[package]:
                    bad.append(f"{rel}:{line} imports {module} ({package} may not import {top})")
                elif rest and not rest.startswith("_"):
                    # Other packages are used through their public interface only.
                    public = ROOT / top / "__init__.py"
                    names = public.read_text(encoding="utf-8")
                    first = rest.split(".")[0]
                    if f'"{first}"' not in names:
                        bad.append(f"{rel}:{line} imports {module}: not in {top}.__all__")
    return bad


# --- channels/ in rooms by role ---------------------------------------------------------------

ROOMS: dict[str, tuple[str, ...]] = {
    "chat": ("assistant", "channels.chat"),
}
"""A room's whole allowance of our packages: chat adapters reach the rest of Bosun through
``assistant`` alone, and read their own settings (``SlackSettings``, ``TelegramSettings``,
``VoiceSettings``); whatever they need from ``channels.app`` (a gateway, the public URL) the
composition root passes in as arguments."""
ROOM_BANS: dict[str, tuple[str, ...]] = {
    "services": ("fastapi", "starlette", "typer", "click", "channels.cli", "channels.http"),
}
"""Modules a room may not import: services serve the CLI and HTTP and know neither."""
QUERY_ROOMS = ("cli", "http")
"""Rooms that reach the database through services only (no query of their own)."""
SQL_BUILDERS = frozenset({"select", "insert", "update", "delete", "text"})
SQL_RUNNERS = frozenset({"execute", "scalars", "scalar"})


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _room_violations() -> list[str]:
    bad = []
    for path in sorted((ROOT / "channels").rglob("*.py")):
        rel = path.relative_to(ROOT)
        room = rel.parts[1] if len(rel.parts) > 2 else ""
        for line, module in _imports(path):
            ours = module.split(".")[0] in PACKAGES
            if room in ROOMS and ours and not _within(module, ROOMS[room]):
                allowed = " and ".join(ROOMS[room])
                bad.append(f"{rel}:{line} imports {module} ({room}/ imports only {allowed})")
            if room in ROOM_BANS and _within(module, ROOM_BANS[room]):
                bad.append(f"{rel}:{line} imports {module} ({room}/ may not)")
        if room in QUERY_ROOMS:
            bad += [f"{rel}:{line} runs a query ({what})" for line, what in _sql(path)]
    return bad


def _sql(path: Path) -> list[tuple[int, str]]:
    """Return (line, what) of each SQLAlchemy query a module builds or runs."""
    tree = _tree(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [(node.lineno, a.name) for a in node.names if a.name in SQL_BUILDERS]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_RUNNERS
        ):
            found.append((node.lineno, f".{node.func.attr}()"))
    return sorted(found)


def _in_room(room: str) -> list[str]:
    return [v for v in _room_violations() if v.startswith(f"channels/{room}/")]


def test_chat_imports_only_assistant() -> None:
    assert _in_room("chat") == []


def test_services_import_neither_fastapi_nor_typer() -> None:
    assert _in_room("services") == []


def test_cli_and_http_run_no_query() -> None:
    assert _in_room("cli") + _in_room("http") == []


def test_the_room_checker_catches_violations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for room in ("chat/slack", "services", "cli", "http/api"):
        (tmp_path / "channels" / room).mkdir(parents=True)
    (tmp_path / "channels" / "chat" / "slack" / "bot.py").write_text(
        "from assistant import ChatGateway\n"
        "from channels.chat.voice import Transcriber\n"
        "from channels.app.settings import Settings\n"
        "import records\n"
        "import httpx\n"
    )
    (tmp_path / "channels" / "services" / "jobs.py").write_text(
        "from records import Fault\n"
        "import typer\n"
        "def route():\n"
        "    from fastapi import APIRouter\n"
        "    from channels.cli.context import settings\n"
    )
    (tmp_path / "channels" / "cli" / "users.py").write_text(
        "from sqlalchemy import select, func\n"
        "from sqlalchemy.orm import Session\n"
        "def who(s: Session):\n"
        "    return s.scalar(select(1))\n"
    )
    (tmp_path / "channels" / "http" / "api" / "audit.py").write_text(
        "def rows(session):\n    return list(session.execute('SELECT 1'))\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert _room_violations() == [
        "channels/chat/slack/bot.py:3 imports channels.app.settings "
        "(chat/ imports only assistant and channels.chat)",
        "channels/chat/slack/bot.py:4 imports records (chat/ imports only assistant and "
        "channels.chat)",
        "channels/cli/users.py:1 runs a query (select)",
        "channels/cli/users.py:4 runs a query (.scalar())",
        "channels/http/api/audit.py:2 runs a query (.execute())",
        "channels/services/jobs.py:2 imports typer (services/ may not)",
        "channels/services/jobs.py:4 imports fastapi (services/ may not)",
        "channels/services/jobs.py:5 imports channels.cli.context (services/ may not)",
    ]


# --- no import cycle inside a package -----------------------------------------------------------


def _module_names(package: str) -> dict[str, Path]:
    names = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """Return the module of ours a dotted name is in (the longest match), if any."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _reexports(module: str, path: Path, modules: dict[str, Path]) -> dict[str, str]:
    """Names a package ``__init__`` takes from its own submodules: name -> submodule."""
    if path.name != "__init__.py":
        return {}
    found = {}
    for node in _tree(path).body:
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module in modules
            and (node.module or "").startswith(module + ".")
        ):
            for alias in node.names:
                found[alias.asname or alias.name] = node.module
    return found


def _run_time_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (imports for type checkers only)."""
    found: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            todo += node.orelse
        else:
            todo += ast.iter_child_nodes(node)
    return found


def _import_graph(package: str) -> dict[str, set[str]]:
    """Module -> modules of the same package it imports (function-local imports too; not
    those under ``if TYPE_CHECKING:``, which run nothing, so the composition root may name
    the types of the services it holds).

    ``from pkg import name`` is an edge to submodule ``pkg.name`` when there is one, else to
    the submodule ``pkg/__init__`` took ``name`` from, else to ``pkg``; a package's
    ``__init__`` re-exporting its own submodules adds no edge.
    """
    modules = _module_names(package)
    reexports = {m: _reexports(m, p, modules) for m, p in modules.items()}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _run_time_nodes(_tree(path)):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's own package upward
                    anchor = module.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    if full in modules:
                        targets.append(full)
                    else:
                        targets.append(reexports.get(base, {}).get(alias.name, base))
            for target in targets:
                owner = _owner(target, modules)
                if owner is None or owner == module:
                    continue
                if is_package and owner.startswith(module + "."):
                    continue  # a package's __init__ re-exporting its own submodules
                graph[module].add(owner)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle per strongly connected group of modules (Tarjan), each from its least."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(_a_cycle(graph, group) for group in groups)


def _a_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """Return a shortest cycle through the least module of a strongly connected group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & group):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError("not a cycle")


def _cycle_violations() -> list[str]:
    return [
        f"{package}: import cycle {' -> '.join(cycle)}"
        for package in PACKAGES
        for cycle in _cycles(_import_graph(package))
    ]


def test_no_import_cycle_inside_a_package() -> None:
    assert _cycle_violations() == []


def test_the_cycle_checker_catches_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    plans = tmp_path / "records"
    (plans / "__init__.py").write_text(
        "from records.plans import restart\nfrom records.work_orders import close\n"
    )
    (plans / "plans.py").write_text("from records.common import page\ndef restart(): ...\n")
    (plans / "work_orders.py").write_text(
        "from records import common\n"
        "def close():\n"
        "    from records import restart\n"  # through the package's re-export: to plans
        "    restart()\n"
    )
    (plans / "common.py").write_text("import records.work_orders\ndef page(): ...\n")
    chat = tmp_path / "channels" / "chat"
    chat.mkdir()
    (chat / "__init__.py").write_text("from channels.chat.bot import Bot\n")
    (chat / "bot.py").write_text("from channels.chat.render import html\nclass Bot: ...\n")
    (chat / "render.py").write_text("from . import bot\ndef html(): ...\n")
    (chat / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from channels import fine\n"
    )
    (tmp_path / "channels" / "fine.py").write_text(
        "from channels.chat import Bot\nfrom channels.chat import typed\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert _cycle_violations() == [
        "records: import cycle records.common -> records.work_orders -> records.common",
        "channels: import cycle channels.chat.bot -> channels.chat.render -> channels.chat.bot",
    ]


def test_imports_follow_the_one_way_rule() -> None:
    assert _violations() == []


def test_the_checker_catches_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "records"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text("from channels.cli import main\n")
    for package in PACKAGES:
        if package != "records":
            (tmp_path / package).mkdir()
            (tmp_path / package / "__init__.py").write_text("__all__ = []\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert _violations() == [
        "records/bad.py:1 imports channels.cli (records may not import channels)"
    ]


@pytest.mark.parametrize("package", PACKAGES)
def test_public_interface_is_declared(package: str) -> None:
    module = __import__(package)
    assert module.__doc__, f"{package}/__init__.py needs a docstring"


# --- one home for queries: records ------------------------------------------------------------

QUERY_FREE = ("channels", "assistant", "predictors", "ingestion", "knowledge")
"""Packages that read and write the database only through records' services (connectors'
own SQLite buffer is theirs, and connectors is not listed)."""
QUERY_BUILDERS = frozenset({"select", "insert", "update", "delete", "text"})
SESSION_QUERIES = frozenset({"execute", "scalars", "scalar"})


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _queries(path: Path) -> list[tuple[int, str]]:
    """Return (line, what) of every SQLAlchemy query a module builds or runs."""
    tree = _tree(path)
    builders: set[str] = set()  # local names of sqlalchemy's query builders
    bound: set[str] = set()  # every local name an ``import sqlalchemy...`` binds
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                if alias.name in QUERY_BUILDERS:
                    builders.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    bound.add(alias.asname or alias.name.split(".")[0])
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in builders:
            found.append((node.lineno, f"{func.id}()"))
        elif isinstance(func, ast.Attribute):
            if func.attr in QUERY_BUILDERS and _root_name(func.value) in bound:
                found.append((node.lineno, f"{ast.unparse(func)}()"))
            elif func.attr in SESSION_QUERIES:
                found.append((node.lineno, f".{func.attr}()"))
    return sorted(found)


def _query_violations() -> list[str]:
    bad = []
    for package in QUERY_FREE:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            bad += [
                f"{rel}:{line} runs a query ({what}): move it into a records service"
                for line, what in _queries(path)
            ]
    return bad


def test_queries_live_in_records() -> None:
    assert _query_violations() == []


def test_the_query_checker_catches_a_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for package in QUERY_FREE:
        (tmp_path / package).mkdir()
    (tmp_path / "channels" / "deep").mkdir()
    (tmp_path / "channels" / "deep" / "bad.py").write_text(
        "import sqlalchemy as sa\n"
        "from sqlalchemy import event, select as pick, text\n"
        "def rows(session, Fault):\n"
        "    from sqlalchemy import delete\n"
        "    session.scalars(pick(Fault))\n"
        "    session.execute(text('SELECT 1'))\n"
        "    sa.update(Fault)\n"
        "    delete(Fault)\n"
        "    return session.scalar(None)\n"
    )
    (tmp_path / "knowledge" / "fine.py").write_text(
        "from sqlalchemy import event\n"
        "def hook(factory, values: dict, items: set):\n"
        "    event.listen(factory, 'after_commit', print)\n"
        "    values.update(a=1)\n"
        "    items.discard(1)\n"
        "    return select(1)\n"  # a local ``select``, not sqlalchemy's
    )
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "service.py").write_text("from sqlalchemy import select\nselect(1)\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    where = "channels/deep/bad.py"
    tail = "move it into a records service"
    assert _query_violations() == [
        f"{where}:5 runs a query (.scalars()): {tail}",
        f"{where}:5 runs a query (pick()): {tail}",
        f"{where}:6 runs a query (.execute()): {tail}",
        f"{where}:6 runs a query (text()): {tail}",
        f"{where}:7 runs a query (sa.update()): {tail}",
        f"{where}:8 runs a query (delete()): {tail}",
        f"{where}:9 runs a query (.scalar()): {tail}",
    ]
