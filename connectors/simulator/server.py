"""Serve a register's sensors live on 127.0.0.1: half on OPC-UA (asyncua), half on Modbus TCP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from asyncua import ua
from asyncua.server.server import Server
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from connectors.modbus.decode import encode_value
from connectors.simulator.register import SimRegister, load_register
from connectors.simulator.signals import CounterPoints, Degradation, SignalModel, stable_seed

log = logging.getLogger(__name__)

FaultKind = Literal["spike", "stuck", "breach"]
NAMESPACE = "urn:bosun:simulator"


def pick_port(port: int, host: str = "127.0.0.1") -> int:
    """Return `port`, or a free port when it is 0."""
    if port:
        return port
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class ModbusPoint:
    """Where a sensor lives in the simulated Modbus holding registers."""

    tag: str
    address: int
    type: str
    word_order: str
    scale: float


@dataclass
class SimulatorInfo:
    """Where the simulator serves, and which tags each server carries."""

    opcua_endpoint: str
    opcua_port: int
    modbus_port: int
    connectors_path: Path | None
    opcua_tags: list[str] = field(default_factory=list)
    modbus_tags: list[str] = field(default_factory=list)
    degrading: list[str] = field(default_factory=list)


@dataclass
class _Fault:
    kind: FaultKind
    magnitude: float
    until: float
    stuck_value: float | None = None


class VesselSimulator:
    """Live signals for every register sensor on an OPC-UA and a Modbus TCP server."""

    def __init__(
        self,
        register: SimRegister,
        *,
        opcua_port: int = 4840,
        modbus_port: int = 5020,
        host: str = "127.0.0.1",
        seed: int = 0,
        update_interval_s: float = 1.0,
        degrade_minutes: float | None = 30.0,
        degrading: int = 1,
        degrade_tags: Sequence[str] | None = None,
        counters: Mapping[str, CounterPoints] | None = None,
    ) -> None:
        """Build the signals; `degrade_tags` names the sensors that degrade (else random ones).

        `counters` pins running-hours counters, by tag, to known (time, hours) values so they
        go on from the hours the register holds.
        """
        self.register = register
        self.host = host
        self.opcua_port = pick_port(opcua_port, host)
        self.modbus_port = pick_port(modbus_port, host)
        self.update_interval_s = update_interval_s
        self.models = {
            s.tag: SignalModel(s, seed, (counters or {}).get(s.tag)) for s in register.sensors
        }
        self._rng = np.random.default_rng(stable_seed(seed, "live"))
        self._faults: dict[str, _Fault] = {}
        # Split by equipment: alternate equipment items between the two servers.
        codes = sorted({s.equipment_code for s in register.sensors})
        on_modbus = {c for i, c in enumerate(codes) if i % 2 == 1}
        self.opcua_sensors = [s for s in register.sensors if s.equipment_code not in on_modbus]
        self.modbus_sensors = [s for s in register.sensors if s.equipment_code in on_modbus]
        self.points: list[ModbusPoint] = []
        address = 0
        for s in self.modbus_sensors:
            if s.counter == "running_hours":  # tenths of hours as uint32, low word first
                self.points.append(ModbusPoint(s.tag, address, "uint32", "little", 0.1))
            else:
                self.points.append(ModbusPoint(s.tag, address, "float32", "big", 1.0))
            address += 2
        self._holding = [0] * max(address, 1)
        self.degradations: dict[str, list[Degradation]] = {}
        candidates = [m for m in self.models.values() if m.degradable]
        chooser = random.Random(stable_seed(seed, "live-degradation"))
        now = time.time()
        if degrade_tags is not None:
            unknown = [t for t in degrade_tags if t not in self.models]
            if unknown:
                raise KeyError(f"no sensor {', '.join(unknown)} in the register")
            candidates = [self.models[t] for t in degrade_tags if self.models[t].degradable]
            degrading = len(candidates)
        if degrade_minutes is not None and candidates:
            for m in chooser.sample(candidates, min(degrading, len(candidates))):
                end = now + degrade_minutes * 60
                self.degradations[m.sensor.tag] = [
                    Degradation(m.sensor.tag, now, end, float("inf"), m.drift_size())
                ]
        self._opc: Server | None = None
        self._opc_nodes: dict[str, ua.NodeId] = {}
        self._ns = 2
        self._modbus: ModbusTcpServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.info = SimulatorInfo(
            opcua_endpoint=f"opc.tcp://{host}:{self.opcua_port}/bosun/simulator",
            opcua_port=self.opcua_port,
            modbus_port=self.modbus_port,
            connectors_path=None,
            opcua_tags=[s.tag for s in self.opcua_sensors],
            modbus_tags=[s.tag for s in self.modbus_sensors],
            degrading=sorted(self.degradations),
        )

    # Signals -------------------------------------------------------------------------

    def value_now(self, tag: str, at: float | None = None) -> float:
        """Return the value a sensor shows now (with noise and any injected fault)."""
        t = time.time() if at is None else at
        m = self.models[tag]
        v = float(m.values(np.array([t]), self.degradations.get(tag, []), self._rng)[0])
        fault = self._faults.get(tag)
        if fault is None:
            return v
        if t > fault.until:
            del self._faults[tag]
            return v
        if fault.kind == "spike":
            return v + fault.magnitude
        if fault.kind == "stuck":
            if fault.stuck_value is None:
                fault.stuck_value = v
            return fault.stuck_value
        lim = m.limit() if m.degradable else v
        return lim + m.direction * (
            max(abs(lim) * 0.1, 1.0) + abs(float(self._rng.normal(0, m.noise)))
        )

    def inject_fault(
        self,
        tag: str,
        kind: FaultKind = "breach",
        *,
        magnitude: float | None = None,
        duration_s: float = 60.0,
    ) -> None:
        """Make a sensor misbehave for a while: spike (+magnitude), stuck, or breach its limit."""
        if tag not in self.models:
            raise KeyError(f"no sensor {tag!r} in the register")
        m = self.models[tag]
        mag = magnitude if magnitude is not None else 10 * m.noise + abs(m.amp)
        self._faults[tag] = _Fault(kind, mag, time.time() + duration_s)

    # Servers -------------------------------------------------------------------------

    async def _action(
        self,
        func_code: int,
        start: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        registers[address - start : address - start + count] = self._holding[
            address : address + count
        ]
        return None

    async def start(self) -> SimulatorInfo:
        """Start both servers and the update loop."""
        server = Server()
        await server.init()
        server.set_endpoint(self.info.opcua_endpoint)
        server.set_server_name(f"Bosun simulator: {self.register.vessel_name}")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self._ns = await server.register_namespace(NAMESPACE)
        vessel = await server.nodes.objects.add_object(
            self._ns, self.register.vessel_name or "Vessel"
        )
        for s in self.opcua_sensors:
            node = await vessel.add_variable(
                ua.NodeId(ua.String(s.tag), ua.Int16(self._ns)), s.tag, self.value_now(s.tag)
            )
            self._opc_nodes[s.tag] = node.nodeid
        await server.start()
        self._opc = server
        self._refresh_modbus(time.time())
        device = SimDevice(
            id=0,
            simdata=(
                [SimData(60000, values=False, datatype=DataType.BITS)],
                [SimData(60000, values=False, datatype=DataType.BITS)],
                [SimData(0, values=list(self._holding), datatype=DataType.REGISTERS)],
                [SimData(60000, values=0, datatype=DataType.REGISTERS)],
            ),
            action=self._action,
        )
        self._modbus = ModbusTcpServer(device, address=(self.host, self.modbus_port))
        await self._modbus.serve_forever(background=True)
        self._task = asyncio.create_task(self._update_loop())
        return self.info

    def _refresh_modbus(self, t: float) -> None:
        for p in self.points:
            v = self.value_now(p.tag, t) / p.scale
            regs = encode_value(round(v) if p.type == "uint32" else v, p.type, p.word_order)
            self._holding[p.address : p.address + len(regs)] = regs

    async def _update_loop(self) -> None:
        while True:
            t = time.time()
            assert self._opc is not None
            stamp = datetime.now(UTC)
            for tag, nodeid in self._opc_nodes.items():
                dv = ua.DataValue(
                    ua.Variant(self.value_now(tag, t), ua.VariantType.Double),
                    SourceTimestamp=stamp,  # type: ignore[arg-type]
                    ServerTimestamp=stamp,  # type: ignore[arg-type]
                )
                await self._opc.write_attribute_value(nodeid, dv)
            self._refresh_modbus(t)
            await asyncio.sleep(max(0.0, self.update_interval_s - (time.time() - t)))

    async def stop(self) -> None:
        """Stop both servers."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._modbus is not None:
            await self._modbus.shutdown()  # type: ignore[no-untyped-call]
            self._modbus = None
        if self._opc is not None:
            with contextlib.suppress(Exception):
                await self._opc.stop()
            self._opc = None

    # Configuration -------------------------------------------------------------------

    def connectors_yaml(
        self, *, publishing_interval_ms: int = 1000, poll_interval_ms: int = 1000
    ) -> str:
        """Return the connectors.yaml that reads this simulator."""
        sources: list[dict[str, object]] = []
        if self.opcua_sensors:
            sources.append(
                {
                    "name": "simulator-opcua",
                    "type": "opcua",
                    "endpoint": self.info.opcua_endpoint,
                    "subscription": {
                        "publishing_interval_ms": publishing_interval_ms,
                        "deadband": 0.0,
                    },
                    "tags": [
                        {"node": f"ns={self._ns};s={s.tag}", "tag": s.tag}
                        for s in self.opcua_sensors
                    ],
                }
            )
        if self.modbus_sensors:
            sources.append(
                {
                    "name": "simulator-modbus",
                    "type": "modbus",
                    "host": self.host,
                    "port": self.modbus_port,
                    "unit": 1,
                    "poll_interval_ms": poll_interval_ms,
                    "single_register_reads": False,
                    "registers": [
                        {
                            "address": p.address,
                            "table": "holding",
                            "type": p.type,
                            "word_order": p.word_order,
                            "byte_order": "big",
                            "scale": p.scale,
                            "offset": 0.0,
                            "tag": p.tag,
                        }
                        for p in self.points
                    ],
                }
            )
        header = (
            f"# Written by the Bosun simulator for {self.register.vessel_name} "
            f"(IMO {self.register.imo}).\n"
        )
        return header + yaml.safe_dump(
            {"vessel": self.register.imo, "sources": sources},
            sort_keys=False,
            default_flow_style=None,
            width=120,
        )


async def serve_simulator(
    register_path: str | Path,
    connectors_out: str | Path | None,
    opcua_port: int = 4840,
    modbus_port: int = 5020,
    *,
    seed: int = 0,
    update_interval_s: float = 1.0,
    degrade_minutes: float | None = 30.0,
    degrading: int = 1,
    on_ready: Callable[[VesselSimulator], None] | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve a register until cancelled; write the connectors YAML, then signal readiness."""
    register = load_register(register_path)
    sim = VesselSimulator(
        register,
        opcua_port=opcua_port,
        modbus_port=modbus_port,
        seed=seed,
        update_interval_s=update_interval_s,
        degrade_minutes=degrade_minutes,
        degrading=degrading,
    )
    await sim.start()
    try:
        if connectors_out is not None:
            out = Path(connectors_out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(sim.connectors_yaml(), encoding="utf-8")
            sim.info.connectors_path = out
        if on_ready is not None:
            on_ready(sim)
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()
    finally:
        await asyncio.shield(sim.stop())
