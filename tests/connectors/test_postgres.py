from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import psycopg
import pytest
from pymodbus.simulator import DataType, SimData
from sqlalchemy.engine import make_url

from connectors import ConnectorRuntime, ConnectorsSettings, Reading, SinkUnavailable, parse_config
from tests.conftest import conninfo, fresh_postgres_database

from .helpers import ModbusTestServer, TcpProxy, free_port, wait_until

pytestmark = pytest.mark.postgres

TABLE = "sink_readings"


class PostgresSink:
    """A ReadingSink into a test table with a unique (tag, time) key: replays are no-ops."""

    def __init__(self, conninfo: str, table: str) -> None:
        self.conninfo = conninfo
        self.table = table
        self.conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self.attempted = 0
        self.failures = 0

    async def write(self, readings: Sequence[Reading]) -> None:
        try:
            if self.conn is None or self.conn.closed:
                self.conn = await psycopg.AsyncConnection.connect(self.conninfo, connect_timeout=2)
            async with self.conn.cursor() as cur:
                await cur.executemany(
                    f"INSERT INTO {self.table} (tag, time, value) VALUES (%s, %s, %s) "
                    "ON CONFLICT (tag, time) DO NOTHING",
                    [(r.tag, r.time, r.value) for r in readings],
                )
            await self.conn.commit()
            self.attempted += len(readings)
        except psycopg.OperationalError as err:
            self.failures += 1
            if self.conn is not None:
                await self.conn.close()
            self.conn = None
            raise SinkUnavailable(f"PostgreSQL unreachable: {err}") from err

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database with the sink's table, keyed on (tag, time)."""
    with fresh_postgres_database("bosun_connectors") as url:
        with psycopg.connect(conninfo(url), autocommit=True) as conn:
            conn.execute(
                f"CREATE TABLE {TABLE} (tag text NOT NULL, time timestamptz NOT NULL, "
                "value double precision NOT NULL, PRIMARY KEY (tag, time))"
            )
        yield url


async def test_database_outage_every_reading_exactly_once(
    pg_url: str, settings: ConnectorsSettings
) -> None:
    port = free_port()
    server = ModbusTestServer(
        port, holding=[SimData(0, values=list(range(10)), datatype=DataType.REGISTERS)]
    )
    await server.start()
    server_url = make_url(pg_url)
    proxy = TcpProxy(server_url.port or 5432, server_url.host or "127.0.0.1")
    await proxy.start()
    sink = PostgresSink(conninfo(pg_url, host="127.0.0.1", port=proxy.port), TABLE)
    regs = "\n".join(f"      - {{address: {i}, type: uint16, tag: T{i}}}" for i in range(10))
    cfg = parse_config(f"""
vessel: "9700001"
sources:
  - name: plc
    type: modbus
    host: 127.0.0.1
    port: {port}
    poll_interval_ms: 20
    registers:
{regs}
""")
    runtime = ConnectorRuntime(cfg, sink, settings=settings)
    produced: list[Reading] = []
    coordinator = runtime.coordinators[0]
    forward = coordinator._emit

    def tap(readings: Sequence[Reading]) -> None:
        produced.extend(readings)
        forward(readings)

    coordinator._emit = tap
    marks: dict[str, datetime] = {}
    await runtime.start()
    try:
        await wait_until(lambda: sink.attempted >= 50, what="50 readings written before the cut")
        marks["cut"] = datetime.now(UTC)
        await proxy.cut()  # the database goes away mid-run
        await wait_until(lambda: runtime.buffer.depth >= 300)
        assert runtime.health()[0].buffer_depth >= 300
        during_outage = len(produced)  # the outage lasts a few more polls
        await wait_until(lambda: len(produced) >= during_outage + 20)
        marks["restore"] = datetime.now(UTC)
        await proxy.restore()
        await wait_until(lambda: runtime.buffer.depth == 0, timeout=10)
        after_replay = len(produced)  # and new readings still go through afterwards
        await wait_until(lambda: len(produced) >= after_replay + 20)
        marks["stop"] = datetime.now(UTC)
    finally:
        try:
            async with asyncio.timeout(30):  # a hang here must fail the test, not stall the run
                await runtime.stop()  # flushes what is still in memory
                await sink.close()
        finally:
            await proxy.stop()
            await server.stop()
    assert sink.failures >= 1
    with psycopg.connect(conninfo(pg_url)) as conn:
        rows = conn.execute(f"SELECT tag, time, value FROM {TABLE}").fetchall()
    stored = {(t, ts) for t, ts, _ in rows}
    want = {(r.tag, r.time) for r in produced}
    assert len(produced) == len(want)  # each poll time is distinct per tag
    missing = sorted(t for _, t in want - stored)
    assert not missing, (len(missing), missing[0], missing[-1], marks, runtime.pipeline.rejected)
    assert stored == want  # nothing lost, nothing extra; the primary key forbids duplicates
    assert len(rows) == len(produced)
