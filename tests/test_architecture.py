"""The one-way import rule of DESIGN.md, checked by walking every module's imports."""

from __future__ import annotations

import ast
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
CHAT_ADAPTERS = ("chat.slack", "chat.telegram", "chat.voice", "http.widget")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
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
            adapter = package == "channels" and ".".join(rel.parts[1:]).startswith(CHAT_ADAPTERS)
            for line, module in _imports(path):
                top, _, rest = module.partition(".")
                if top not in PACKAGES:
                    continue
                if adapter and not (
                    top == "assistant" or (top == "channels" and rest.startswith(CHAT_ADAPTERS))
                ):
                    bad.append(
                        f"{rel}:{line} imports {module} (chat adapters talk only to assistant)"
                    )
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


def test_the_checker_keeps_adapters_on_the_assistant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text('__all__ = ["Assistant"]\n')
    adapter = tmp_path / "channels" / "chat" / "telegram"
    adapter.mkdir(parents=True)
    (adapter / "bot.py").write_text(
        "from assistant import Assistant\n"
        "from channels.chat.voice import x\n"
        "from channels.services.knowledge import open_knowledge\n"
        "from records import Fault\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert _violations() == [
        "channels/chat/telegram/bot.py:3 imports channels.services.knowledge "
        "(chat adapters talk only to assistant)",
        "channels/chat/telegram/bot.py:4 imports records (chat adapters talk only to assistant)",
    ]


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
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
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
