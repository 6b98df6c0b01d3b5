from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import psycopg
import pytest
from pymodbus.simulator import DataType, SimData

from connectors import ConnectorRuntime, ConnectorsSettings, Reading, SinkUnavailable, parse_config
from tests.conftest import skip_or_fail

from .conftest import reachable
from .helpers import ModbusTestServer, TcpProxy, free_port, wait_until

pytestmark = pytest.mark.postgres

PG = "host=127.0.0.1 port={port} user=postgres dbname=test connect_timeout=2"


class PostgresSink:
    """A ReadingSink into a test table with a unique (tag, time) key: replays are no-ops."""

    def __init__(self, port: int, table: str) -> None:
        self.conninfo = PG.format(port=port)
        self.table = table
        self.conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self.attempted = 0
        self.failures = 0

    async def write(self, readings: Sequence[Reading]) -> None:
        try:
            if self.conn is None or self.conn.closed:
                self.conn = await psycopg.AsyncConnection.connect(self.conninfo)
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
def pg_table() -> str:
    if not reachable("127.0.0.1", 5432):
        skip_or_fail("postgres", "PostgreSQL is not listening on 127.0.0.1:5432")
    table = f"connectors_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG.format(port=5432), autocommit=True) as conn:
            conn.execute(
                f"CREATE TABLE {table} (tag text NOT NULL, time timestamptz NOT NULL, "
                "value double precision NOT NULL, PRIMARY KEY (tag, time))"
            )
    except psycopg.OperationalError as err:
        skip_or_fail("postgres", f"PostgreSQL database 'test' not usable as user postgres: {err}")
    yield table
    with psycopg.connect(PG.format(port=5432), autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")


async def test_database_outage_every_reading_exactly_once(
    pg_table: str, settings: ConnectorsSettings
) -> None:
    port = free_port()
    server = ModbusTestServer(
        port, holding=[SimData(0, values=list(range(10)), datatype=DataType.REGISTERS)]
    )
    await server.start()
    proxy = TcpProxy(5432)
    await proxy.start()
    sink = PostgresSink(proxy.port, pg_table)
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
        await wait_until(lambda: sink.attempted >= 50)
        marks["cut"] = datetime.now(UTC)
        await proxy.cut()  # the database goes away mid-run
        await wait_until(lambda: runtime.buffer.depth >= 300)
        assert runtime.health()[0].buffer_depth >= 300
        await asyncio.sleep(0.3)
        marks["restore"] = datetime.now(UTC)
        await proxy.restore()
        await wait_until(lambda: runtime.buffer.depth == 0, timeout=10)
        await asyncio.sleep(0.2)
        marks["stop"] = datetime.now(UTC)
    finally:
        await runtime.stop()  # flushes what is still in memory
        await sink.close()
        await proxy.stop()
        await server.stop()
    assert sink.failures >= 1
    with psycopg.connect(PG.format(port=5432)) as conn:
        rows = conn.execute(f"SELECT tag, time, value FROM {pg_table}").fetchall()
    stored = {(t, ts) for t, ts, _ in rows}
    want = {(r.tag, r.time) for r in produced}
    assert len(produced) == len(want)  # each poll time is distinct per tag
    missing = sorted(t for _, t in want - stored)
    assert not missing, (len(missing), missing[0], missing[-1], marks, runtime.pipeline.rejected)
    assert stored == want  # nothing lost, nothing extra; the primary key forbids duplicates
    assert len(rows) == len(produced)
