from __future__ import annotations

import struct

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from pymodbus.simulator import DataType, SimData

from connectors import (
    ConnectorRuntime,
    ConnectorsSettings,
    SensorSpec,
    StaticCatalog,
    check_connectors,
    parse_config,
)
from connectors.modbus.decode import encode_string, encode_value
from connectors.modbus.source import ModbusSource

from .helpers import MemorySink, ModbusTestServer, TcpProxy, free_port, wait_until
from .test_decode_plan import FMT, SAMPLES, manual_registers

TYPES = list(FMT)


def layout() -> tuple[list[int], list[str]]:
    """Every type in both word orders (and a byte-swapped float32), packed back to back."""
    regs: list[int] = []
    lines: list[str] = []
    for word in ("big", "little"):
        for t in TYPES:
            tag = f"{t.upper()}_{word.upper()}"
            lines.append(
                f"      - {{address: {len(regs)}, type: {t}, word_order: {word}, tag: {tag}}}"
            )
            regs += manual_registers(SAMPLES[t], t, word, "big")
    lines.append(
        f"      - {{address: {len(regs)}, type: float32, byte_order: little, tag: F32_BYTESWAP}}"
    )
    regs += manual_registers(SAMPLES["float32"], "float32", "big", "little")
    lines.append(
        f"      - {{address: {len(regs)}, type: uint16, scale: 0.1, offset: -40, tag: SCALED}}"
    )
    regs += [1234]
    for word in ("big", "little"):  # a level transmitter that reports its value as text
        lines.append(
            f"      - {{address: {len(regs)}, type: string, length: 3, word_order: {word}, "
            f"tag: TEXT_{word.upper()}}}"
        )
        regs += encode_string("97.25", 3, word)
    lines.append("      - {address: 3, table: input, type: int16, tag: INPUT_REG}")
    lines.append("      - {address: 8, table: coil, tag: COIL_ON}")
    lines.append("      - {address: 9, table: coil, tag: COIL_OFF}")
    lines.append("      - {address: 2, table: discrete, tag: DISCRETE_ON}")
    return regs, lines


def address_of(tag: str) -> int:
    """Return the holding-register address of a tag in the layout."""
    line = next(x for x in layout()[1] if f"tag: {tag}}}" in x)
    return int(line.split("address: ")[1].split(",")[0])


def make_server(port: int) -> tuple[ModbusTestServer, str]:
    regs, lines = layout()
    server = ModbusTestServer(
        port,
        holding=[SimData(0, values=regs, datatype=DataType.REGISTERS)],
        inputs=[
            SimData(
                0, values=[0, 0, 0, encode_value(-321, "int16")[0]], datatype=DataType.REGISTERS
            )
        ],
        coils=[
            SimData(0, values=[False] * 8 + [True, False] + [False] * 6, datatype=DataType.BITS)
        ],
        discretes=[SimData(0, values=[False, False, True] + [False] * 13, datatype=DataType.BITS)],
    )
    return server, "\n".join(lines)


def config(port: int, lines: str, *, single: bool = False, poll_ms: int = 100) -> str:
    return f"""
vessel: "9700001"
sources:
  - name: plc
    type: modbus
    host: 127.0.0.1
    port: {port}
    unit: 1
    poll_interval_ms: {poll_ms}
    timeout_s: 1
    single_register_reads: {str(single).lower()}
    registers:
{lines}
"""


def expected() -> dict[str, float]:
    out: dict[str, float] = {}
    for word in ("big", "little"):
        for t in TYPES:
            out[f"{t.upper()}_{word.upper()}"] = float(
                struct.unpack(">" + FMT[t], struct.pack(">" + FMT[t], SAMPLES[t]))[0]
            )
    out["F32_BYTESWAP"] = out["FLOAT32_BIG"]
    out["SCALED"] = 1234 * 0.1 - 40
    out["TEXT_BIG"] = out["TEXT_LITTLE"] = 97.25
    out["INPUT_REG"] = -321.0
    out["COIL_ON"], out["COIL_OFF"], out["DISCRETE_ON"] = 1.0, 0.0, 1.0
    return out


@pytest.mark.parametrize("single", [False, True])
async def test_every_type_both_word_orders(single: bool) -> None:
    port = free_port()
    server, lines = make_server(port)
    await server.start()
    try:
        cfg = parse_config(config(port, lines, single=single))
        source = ModbusSource(cfg.sources[0])  # type: ignore[arg-type]
        await source.connect()
        server.requests = 0
        got = await source.read_once()
        await source.close()
    finally:
        await server.stop()
    values = {tag: r.value for tag, r in got.items() if not isinstance(r, str)}
    assert values == pytest.approx(expected(), rel=0, abs=1e-9)
    # float32 read back bit-exact: the value a float32 register pair holds for 123.456
    assert values["FLOAT32_BIG"] == struct.unpack(">f", bytes.fromhex("42F6E979"))[0]
    assert values["FLOAT32_LITTLE"] == values["FLOAT32_BIG"]
    n_regs = len(layout()[0])
    if single:
        # one request per register (and per bit), nothing batched
        assert server.requests == n_regs + 1 + 3
    else:
        # holding map in one request (< 125 regs), input, coils, discretes: 4 requests
        assert server.requests == 4


async def test_dropped_tcp_connection_is_reconnected(settings: ConnectorsSettings) -> None:
    port = free_port()
    server, lines = make_server(port)
    await server.start()
    proxy = TcpProxy(port)
    await proxy.start()
    sink = MemorySink()
    runtime = ConnectorRuntime(parse_config(config(proxy.port, lines)), sink, settings=settings)
    await runtime.start()
    try:
        await wait_until(lambda: len(sink.values("SCALED")) >= 3)
        server.set_registers(address_of("SCALED"), [2000])
        await proxy.cut()  # the device drops every TCP connection ...
        await wait_until(lambda: runtime.health()[0].errors >= 1)
        assert not runtime.health()[0].connected
        await proxy.restore()  # ... and takes connections again
        await wait_until(lambda: 2000 * 0.1 - 40 in sink.values("SCALED"), timeout=10)
        h = runtime.health()[0]
        assert h.connected and h.reconnects >= 1 and h.last_value_time is not None
    finally:
        await runtime.stop()
        await proxy.stop()
        await server.stop()


async def test_limit_crossing_gives_one_alarm(settings: ConnectorsSettings) -> None:
    port = free_port()
    server = ModbusTestServer(
        port,
        holding=[SimData(0, values=encode_value(400.0, "float32"), datatype=DataType.REGISTERS)],
    )
    await server.start()
    events: list[object] = []

    class Alarms:
        async def handle(self, event: object) -> None:
            events.append(event)

    catalog = StaticCatalog([SensorSpec("ME1_EXH_T", unit="degC", high=480.0)])
    text = config(port, "      - {address: 0, type: float32, tag: ME1_EXH_T}", poll_ms=50)
    sink = MemorySink()
    runtime = ConnectorRuntime(
        parse_config(text, catalog=catalog),
        sink,
        settings=settings,
        catalog=catalog,
        alarms=Alarms(),
    )
    registry = CollectorRegistry()
    registry.register(runtime.metrics_collector())
    await runtime.start()
    try:
        await wait_until(lambda: len(sink.values("ME1_EXH_T")) >= 2)
        server.set_registers(0, encode_value(495.5, "float32"))
        await wait_until(lambda: sink.values("ME1_EXH_T").count(495.5) >= 10)  # many samples above
        assert [(e.kind, e.state, e.value) for e in events] == [("high", "raised", 495.5)]  # type: ignore[attr-defined]
        server.set_registers(0, encode_value(420.0, "float32"))
        await wait_until(lambda: len(events) == 2)
        assert events[1].state == "cleared"  # type: ignore[attr-defined]
        metrics = generate_latest(registry).decode()
        assert 'bosun_connector_connected{source="plc",type="modbus"} 1.0' in metrics
        assert "bosun_connector_reads_total" in metrics
        snap = runtime.snapshots()[0]
        assert snap.values["ME1_EXH_T"].value == 420.0
    finally:
        await runtime.stop()
        await server.stop()


async def test_check_reports_rows_and_failures() -> None:
    port = free_port()
    server, lines = make_server(port)
    await server.start()
    dead = free_port()
    text = (
        config(port, lines + "\n      - {address: 5000, type: uint16, tag: MISSING_REG}")
        + f"""
  - name: dead-plc
    type: modbus
    host: 127.0.0.1
    port: {dead}
    timeout_s: 0.5
    registers:
      - {{address: 0, tag: DEAD_TAG}}
"""
    )
    known = [t for t in expected() if t != "FLOAT64_LITTLE"] + ["MISSING_REG", "DEAD_TAG"]
    catalog = StaticCatalog([SensorSpec(t, unit="degC" if t == "SCALED" else None) for t in known])
    try:
        report = await check_connectors(parse_config(text), catalog=catalog, timeout_s=3)
    finally:
        await server.stop()
    rows = {r.tag: r for r in report.rows}
    assert rows["FLOAT32_BIG"].ok and rows["FLOAT32_BIG"].value == expected()["FLOAT32_BIG"]
    assert rows["SCALED"].unit == "degC" and rows["SCALED"].ok
    assert rows["FLOAT64_LITTLE"].status == "unknown tag (not in the register)"
    assert "refused" in rows["MISSING_REG"].status
    assert rows["DEAD_TAG"].status.startswith("source failed")
    assert report.failed and "dead-plc" in report.source_errors
