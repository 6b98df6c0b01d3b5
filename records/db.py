"""Engines, tenant-bound sessions and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from records.context import Caller
from records.errors import BosunError, ErrorCode

ALL_TENANTS = "*"
"""Tenant marker for Bosun's own cross-tenant work (authentication, scheduling)."""


def make_engine(url: str, *, app_role: str = "", null_pool: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL and foreign keys, PostgreSQL switches to the app role."""
    parsed = make_url(url)
    extra: dict[str, Any] = {"poolclass": NullPool} if null_pool else {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **extra
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "savepoint")
        def _sqlite_savepoint(conn: Any, _name: str) -> None:
            # pysqlite opens a transaction only before a write, and a SAVEPOINT outside one
            # starts a deferred transaction whose first read pins a snapshot. Its later write
            # then fails at once with "database is locked" when another writer got in first
            # (SQLite cannot wait there). Savepoints guard racing writes, so take the write
            # lock up front, waiting up to the busy timeout like any other writer.
            dbapi_conn = conn.connection.dbapi_connection
            if dbapi_conn is not None and not dbapi_conn.in_transaction:
                dbapi_conn.execute("BEGIN IMMEDIATE")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    engine = create_engine(url, pool_pre_ping=True, **extra)
    if app_role:

        @event.listens_for(engine, "connect")
        def _set_role(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute(f'SET ROLE "{app_role}"')
            cur.close()
            dbapi_conn.commit()

    return engine


def _bind_tenant(session: Session, _tx: Any, connection: Any) -> None:
    tenant = session.info.get("tenant")
    if tenant is not None and connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config('bosun.org_id', :t, true)"), {"t": str(tenant)})


class Database:
    """An engine plus a session factory whose sessions are bound to one tenant."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False)
        event.listen(self._factory, "after_begin", _bind_tenant)

    @classmethod
    def from_url(cls, url: str, *, app_role: str = "") -> Database:
        """Open a database by URL."""
        return cls(make_engine(url, app_role=app_role))

    @property
    def sessions(self) -> sessionmaker[Session]:
        """Return the session factory (to attach events to this database's sessions only)."""
        return self._factory

    @property
    def dialect(self) -> str:
        """Return the dialect name (``sqlite`` or ``postgresql``)."""
        return self.engine.dialect.name

    def session(self, tenant: Caller | int | str) -> Session:
        """Return a new session bound to a tenant (a caller, an org id, or ``ALL_TENANTS``)."""
        session = self._factory()
        session.info["tenant"] = tenant.org_id if isinstance(tenant, Caller) else tenant
        return session

    @contextmanager
    def transaction(self, tenant: Caller | int | str) -> Iterator[Session]:
        """Run a unit of work: commit on success, roll back on error."""
        session = self.session(tenant)
        try:
            yield session
            session.commit()
        except OperationalError as err:
            session.rollback()
            raise BosunError(
                ErrorCode.unavailable,
                "the database is unreachable; check that it is running and retry",
            ) from err
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def migrate(url: str, *, revision: str = "head") -> None:
    """Bring the schema at ``url`` up to ``revision`` with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, revision)
