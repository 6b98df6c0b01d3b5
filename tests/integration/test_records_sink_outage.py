"""The database goes away under the connectors: every reading reaches records exactly once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pymodbus.simulator import DataType, SimData
from sqlalchemy import select
from sqlalchemy.engine import make_url

from channels.services.connectors_wiring import RecordsSink, VesselSensors
from connectors import ConnectorRuntime, ConnectorsSettings, Reading, parse_config
from records import (
    Database,
    Sensor,
    migrate,
)
from tests import factories
from tests.conftest import fresh_postgres_database
from tests.connectors.helpers import ModbusTestServer, TcpProxy, free_port, wait_until

pytestmark = pytest.mark.postgres

REGISTER = """
vessel: {name: MV Outage, imo: "9800009"}
equipment:
  - code: "1"
    name: Engine
    sensors:
""" + "".join(f"      - {{tag: T{i}, name: Value {i}}}\n" for i in range(6))


@pytest.mark.usefixtures("postgres_url")
async def test_readings_survive_a_database_outage_exactly_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with fresh_postgres_database("bosun_outage") as url:
        migrate(url)
        direct = Database.from_url(url, app_role="bosun_app")
        org_id = factories.organization(direct, "Outage Co")
        vessel_id = factories.import_register(direct, org_id, REGISTER).vessel_id

        proxy = TcpProxy(make_url(url).port or 5432)
        await proxy.start()
        through_proxy = Database.from_url(
            make_url(url).set(port=proxy.port).render_as_string(hide_password=False),
            app_role="bosun_app",
        )
        port = free_port()
        server = ModbusTestServer(
            port, holding=[SimData(0, values=list(range(6)), datatype=DataType.REGISTERS)]
        )
        await server.start()
        regs = "\n".join(f"      - {{address: {i}, type: uint16, tag: T{i}}}" for i in range(6))
        config = parse_config(f"""
vessel: "9800009"
sources:
  - name: plc
    type: modbus
    host: 127.0.0.1
    port: {port}
    poll_interval_ms: 20
    registers:
{regs}
""")
        # Load the sensor map directly (blocking here would stall the proxy's event loop),
        # then write through the proxy the test cuts.
        sensors = VesselSensors(direct, org_id, vessel_id)
        sensors.db = through_proxy
        settings = ConnectorsSettings(
            home=tmp_path,
            flush_interval_s=0.05,
            backoff_initial_s=0.05,
            backoff_max_s=0.3,
            sink_timeout_s=3.0,
        )
        runtime = ConnectorRuntime(config, RecordsSink(sensors), settings=settings)
        produced: list[Reading] = []
        coordinator = runtime.coordinators[0]
        forward = coordinator._emit

        def tap(readings: Sequence[Reading]) -> None:
            produced.extend(readings)
            forward(readings)

        coordinator._emit = tap  # type: ignore[method-assign]
        await runtime.start()
        try:
            await wait_until(lambda: len(produced) >= 60)
            await proxy.cut()  # the database goes away mid-run
            await wait_until(lambda: runtime.buffer.depth >= 200, timeout=15)
            await proxy.restore()
            await wait_until(lambda: runtime.buffer.depth == 0, timeout=20)
            after_replay = len(produced)  # and new readings still go through afterwards
            await wait_until(lambda: len(produced) >= after_replay + 20, timeout=20)
        finally:
            await runtime.stop()
            await proxy.stop()
            await server.stop()
            through_proxy.dispose()

        with direct.transaction(org_id) as s:
            ids = {sid for sid in s.scalars(select(Sensor.id).where(Sensor.vessel_id == vessel_id))}
        want = {(r.tag, r.time) for r in produced}
        assert len(want) == len(produced) and len(want) > 260
        import psycopg

        with psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        ) as conn:
            count = conn.execute(
                "SELECT count(*), count(DISTINCT (sensor_id, time)) FROM readings "
                "WHERE sensor_id = ANY(%s)",
                (list(ids),),
            ).fetchone()
        assert count == (len(want), len(want)), (count, len(want))
        direct.dispose()
