"""Durable store-and-forward buffer: a SQLite file (WAL) holding readings and alarm events."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from connectors.errors import ConnectorError
from connectors.models import AlarmEvent, Reading

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    tag TEXT NOT NULL,
    t_us INTEGER NOT NULL,
    value REAL NOT NULL,
    quality TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alarms (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alarm_state (
    tag TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (tag, kind)
);
CREATE TABLE IF NOT EXISTS dropped (source TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_us(t: datetime) -> int:
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)


class ReadingBuffer:
    """Readings kept in order on disk while the sink is away; bounded, counting drops.

    Delivery is at least once: a chunk is deleted only after the sink accepted it, so a
    crash between the two replays the chunk, and the idempotent sink keeps it once.
    When full, the oldest readings are dropped (and counted per source) to keep the newest.
    """

    def __init__(self, path: Path, *, max_readings: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_readings = max_readings
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as err:
            raise ConnectorError(
                f"cannot open the connectors buffer {path}: {err} "
                "(check BOSUN_HOME is writable and the file is not corrupt)"
            ) from err
        self._depth: dict[str, int] = dict(
            self._db.execute("SELECT source, count(*) FROM readings GROUP BY source").fetchall()
        )
        self._dropped: dict[str, int] = dict(
            self._db.execute("SELECT source, n FROM dropped").fetchall()
        )
        self._alarm_depth = int(self._db.execute("SELECT count(*) FROM alarms").fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    @property
    def depth(self) -> int:
        """Return how many readings wait in the buffer."""
        return sum(self._depth.values())

    def depth_of(self, source: str) -> int:
        """Return how many readings of one source wait in the buffer."""
        return self._depth.get(source, 0)

    def dropped_of(self, source: str) -> int:
        """Return how many readings of one source the bound has dropped (ever)."""
        return self._dropped.get(source, 0)

    @property
    def dropped(self) -> int:
        """Return how many readings the bound has dropped in total."""
        return sum(self._dropped.values())

    def append(self, readings: Sequence[Reading]) -> None:
        """Add readings at the end, dropping the oldest when over the bound."""
        if not readings:
            return
        rows = [(r.source, r.tag, _to_us(r.time), r.value, r.quality) for r in readings]
        overflow = self.depth + len(rows) - self.max_readings
        with self._db:
            self._db.execute("BEGIN")
            if overflow > 0:
                self._drop_oldest(overflow)
                if len(rows) > self.max_readings:
                    extra = rows[: len(rows) - self.max_readings]
                    rows = rows[len(rows) - self.max_readings :]
                    self._count_dropped([r[0] for r in extra])
            self._db.executemany(
                "INSERT INTO readings (source, tag, t_us, value, quality) VALUES (?,?,?,?,?)", rows
            )
        for r in rows:
            self._depth[r[0]] = self._depth.get(r[0], 0) + 1

    def _drop_oldest(self, n: int) -> None:
        victims = self._db.execute(
            "SELECT source, count(*), max(id) FROM "
            "(SELECT id, source FROM readings ORDER BY id LIMIT ?) GROUP BY source",
            (n,),
        ).fetchall()
        if not victims:
            return
        last = max(v[2] for v in victims)
        self._db.execute("DELETE FROM readings WHERE id <= ?", (last,))
        for source, count, _ in victims:
            self._depth[source] = self._depth.get(source, 0) - count
            self._count_dropped([source] * count)

    def _count_dropped(self, sources: list[str]) -> None:
        per: dict[str, int] = {}
        for s in sources:
            per[s] = per.get(s, 0) + 1
        for s, n in per.items():
            self._dropped[s] = self._dropped.get(s, 0) + n
            self._db.execute(
                "INSERT INTO dropped (source, n) VALUES (?, ?) "
                "ON CONFLICT(source) DO UPDATE SET n = n + excluded.n",
                (s, n),
            )

    def peek(self, limit: int) -> tuple[int, list[Reading]]:
        """Return the oldest readings (up to `limit`) and the id to acknowledge them with."""
        rows = self._db.execute(
            "SELECT id, source, tag, t_us, value, quality FROM readings ORDER BY id LIMIT ?",
            (limit,),
        ).fetchall()
        if not rows:
            return 0, []
        out = [
            Reading(tag=r[2], time=_from_us(r[3]), value=r[4], quality=r[5], source=r[1])
            for r in rows
        ]
        return rows[-1][0], out

    def ack(self, last_id: int, readings: Sequence[Reading]) -> None:
        """Delete readings up to `last_id` once the sink has stored them."""
        self._db.execute("DELETE FROM readings WHERE id <= ?", (last_id,))
        for r in readings:
            self._depth[r.source] = self._depth.get(r.source, 0) - 1

    # Alarm outbox -----------------------------------------------------------------

    @property
    def alarm_depth(self) -> int:
        """Return how many alarm events wait for the alarm handler."""
        return self._alarm_depth

    def append_alarm(self, event: AlarmEvent) -> None:
        """Keep an alarm event until the handler takes it."""
        payload = asdict(event)
        payload["time"] = event.time.isoformat()
        self._db.execute("INSERT INTO alarms (event) VALUES (?)", (json.dumps(payload),))
        self._alarm_depth += 1

    def peek_alarm(self) -> tuple[int, AlarmEvent] | None:
        """Return the oldest waiting alarm event and its id."""
        row = self._db.execute("SELECT id, event FROM alarms ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        data = json.loads(row[1])
        data["time"] = datetime.fromisoformat(data["time"])
        return row[0], AlarmEvent(**data)

    def ack_alarm(self, alarm_id: int) -> None:
        """Delete a delivered alarm event."""
        self._db.execute("DELETE FROM alarms WHERE id = ?", (alarm_id,))
        self._alarm_depth -= 1

    # Active alarms (so a restart does not raise them again) -------------------------

    def active_alarms(self) -> set[tuple[str, str]]:
        """Return the (tag, kind) pairs currently in alarm."""
        return {(t, k) for t, k in self._db.execute("SELECT tag, kind FROM alarm_state")}

    def set_alarm_active(self, tag: str, kind: str, active: bool) -> None:
        """Record that an alarm was raised or cleared."""
        if active:
            self._db.execute(
                "INSERT OR IGNORE INTO alarm_state (tag, kind) VALUES (?, ?)", (tag, kind)
            )
        else:
            self._db.execute("DELETE FROM alarm_state WHERE tag = ? AND kind = ?", (tag, kind))
