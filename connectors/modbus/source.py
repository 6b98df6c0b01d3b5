"""Modbus TCP source: polls a register map with pymodbus, coalescing contiguous reads."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from connectors.config import ModbusRegister, ModbusSourceConfig
from connectors.errors import SourceError
from connectors.modbus.decode import decode_registers
from connectors.modbus.plan import ReadRequest, plan_reads
from connectors.models import Reading, SourceType
from connectors.source import Emit

log = logging.getLogger(__name__)


class ModbusSource:
    """A Modbus TCP device polled every `poll_interval_ms`."""

    type: SourceType = "modbus"

    def __init__(self, cfg: ModbusSourceConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.requests: list[ReadRequest] = plan_reads(cfg)
        self.requests_sent = 0
        self._client: AsyncModbusTcpClient | None = None

    async def connect(self) -> None:
        """Open the TCP connection (pymodbus' own reconnect is off: the coordinator owns it)."""
        await self.close()
        client = AsyncModbusTcpClient(
            self.cfg.host,
            port=self.cfg.port,
            timeout=self.cfg.timeout_s,
            retries=0,
            reconnect_delay=0,
            name=f"bosun-{self.name}",
        )
        try:
            ok = await client.connect()
        except (ModbusException, OSError) as err:
            client.close()
            raise SourceError(self.name, f"cannot connect to {self._where}: {err}") from err
        if not ok:
            client.close()
            raise SourceError(self.name, f"cannot connect to {self._where} (connection refused?)")
        self._client = client

    @property
    def _where(self) -> str:
        return f"{self.cfg.host}:{self.cfg.port}"

    async def close(self) -> None:
        """Close the connection."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _request(self, req: ReadRequest) -> list[int] | list[bool]:
        client = self._client
        if client is None or not client.connected:
            raise SourceError(self.name, f"not connected to {self._where}")
        kw: dict[str, Any] = {"count": req.count, "device_id": self.cfg.unit}
        call = {
            "holding": client.read_holding_registers,
            "input": client.read_input_registers,
            "coil": client.read_coils,
            "discrete": client.read_discrete_inputs,
        }[req.table]
        self.requests_sent += 1
        try:
            rr = await call(req.address, **kw)
        except (TimeoutError, ModbusException, OSError) as err:
            raise SourceError(
                self.name, f"reading {req.table} {req.address}+{req.count} failed: {err}"
            ) from err
        if rr.isError():
            raise _DeviceRefused(
                f"device refused {req.table} {req.address}+{req.count} "
                f"(exception code {getattr(rr, 'exception_code', '?')})"
            )
        if req.table in ("coil", "discrete"):
            return list(rr.bits[: req.count])
        return list(rr.registers)

    async def poll(self) -> tuple[list[Reading], dict[str, str]]:
        """Read the whole map once: readings, and per-tag errors the device reported."""
        now = datetime.now(UTC)
        words: dict[tuple[str, int], int | bool] = {}
        refused: dict[str, str] = {}
        for req in self.requests:
            try:
                values = await self._request(req)
            except _DeviceRefused as err:
                for reg in req.registers:
                    refused[reg.tag] = str(err)
                continue
            for i, v in enumerate(values):
                words[(req.table, req.address + i)] = v
        out: list[Reading] = []
        for reg in self.cfg.registers:
            if reg.tag in refused:
                continue
            try:
                value = self._decode(reg, words)
            except (KeyError, ValueError) as err:
                refused[reg.tag] = f"cannot decode: {err}"
                continue
            out.append(Reading(reg.tag, now, value * reg.scale + reg.offset, "good", self.name))
        return out, refused

    @staticmethod
    def _decode(reg: ModbusRegister, words: dict[tuple[str, int], int | bool]) -> float:
        if reg.type == "bool":
            return 1.0 if words[(reg.table, reg.address)] else 0.0
        regs = [int(words[(reg.table, reg.address + i)]) for i in range(reg.width)]
        return decode_registers(regs, reg.type or "uint16", reg.word_order, reg.byte_order)

    async def run(self, emit: Emit) -> None:
        """Poll on a fixed schedule until the connection fails."""
        interval = self.cfg.poll_interval_ms / 1000
        next_at = time.monotonic()
        while True:
            readings, refused = await self.poll()
            if refused:
                log.warning("%s: %d tag(s) not read: %s", self.name, len(refused), refused)
            if readings:
                emit(readings)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind: skip missed polls rather than burst
                next_at = time.monotonic()
                delay = 0
            await asyncio.sleep(delay)

    async def read_once(self, timeout_s: float = 5.0) -> dict[str, Reading | str]:
        """Read every tag once."""
        readings, refused = await self.poll()
        out: dict[str, Reading | str] = dict(refused)
        out.update({r.tag: r for r in readings})
        return out


class _DeviceRefused(Exception):
    """The device answered with a Modbus exception (a per-request, not connection, error)."""
