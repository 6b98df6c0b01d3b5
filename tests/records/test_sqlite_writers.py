"""Concurrent writers on one SQLite file wait their turn instead of failing."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from records.db import ALL_TENANTS, Database, make_engine


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String, unique=True)


def test_writers_that_read_first_and_race_on_a_savepoint_all_commit(tmp_path: Path) -> None:
    # The shape of two Slack clicks linking a new account at once: read, then a SAVEPOINT
    # that reads and inserts the same key, then a write of each writer's own.
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    _Base.metadata.create_all(engine)
    db = Database(engine)
    errors: list[BaseException] = []
    writers, rounds = 12, 8
    start = threading.Barrier(writers)

    def writer(n: int, shared: str) -> None:
        start.wait()
        try:
            with db.transaction(ALL_TENANTS) as s:
                s.scalar(select(_Row).where(_Row.key == shared))
                try:
                    with s.begin_nested():
                        if s.scalar(select(_Row).where(_Row.key == shared)) is None:
                            s.add(_Row(key=shared))
                            s.flush()
                except IntegrityError:
                    pass
                s.add(_Row(key=f"{shared}-own-{n}"))
        except BaseException as err:  # collected for the assertion below
            errors.append(err)

    expected: set[str] = set()
    for r in range(rounds):
        shared = f"shared-{r}"
        expected |= {shared, *(f"{shared}-own-{n}" for n in range(writers))}
        threads = [threading.Thread(target=writer, args=(n, shared)) for n in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    with db.transaction(ALL_TENANTS) as s:
        keys = set(s.scalars(select(_Row.key)))
    assert keys == expected
    engine.dispose()


def test_a_savepoint_rolls_back_alone(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested.db'}")
    _Base.metadata.create_all(engine)
    db = Database(engine)
    with db.transaction(ALL_TENANTS) as s:
        s.add(_Row(key="kept"))
        s.flush()
        try:
            with s.begin_nested():
                s.add(_Row(key="kept"))
                s.flush()
        except IntegrityError:
            pass
        s.add(_Row(key="after"))
    with db.transaction(ALL_TENANTS) as s:
        assert set(s.scalars(select(_Row.key))) == {"kept", "after"}
    engine.dispose()
