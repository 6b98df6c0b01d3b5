"""Real loopback servers for the connectors tests: asyncua, pymodbus, a cuttable TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncua import Server, ua
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from connectors import Reading, SinkUnavailable
from tests.waiting import wait_until_async as wait_until  # noqa: F401  (the tests' async wait)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MemorySink:
    """A ReadingSink keeping readings in memory, idempotent on (tag, time), switchable off."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, Any], Reading] = {}
        self.order: list[Reading] = []
        self.calls = 0
        self.available = True
        self.duplicates = 0

    async def write(self, readings: Sequence[Reading]) -> None:
        self.calls += 1
        if not self.available:
            raise SinkUnavailable("memory sink switched off")
        for r in readings:
            key = (r.tag, r.time)
            if key in self.rows:
                self.duplicates += 1
                continue
            self.rows[key] = r
            self.order.append(r)

    def values(self, tag: str) -> list[float]:
        return [r.value for r in self.order if r.tag == tag]


@dataclass
class OpcUaTestServer:
    port: int
    nodes: dict[str, Any] = field(default_factory=dict)
    server: Server | None = None
    certs: tuple[Path, Path] | None = None
    users: dict[str, str] | None = None
    encrypted_only: bool = False

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/bosun/"

    async def start(self, tags: Sequence[str], initial: float = 0.0) -> None:
        server = Server(user_manager=_Users(self.users) if self.users else None)
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("Bosun test server")
        if self.certs is not None:
            await server.load_certificate(str(self.certs[0]))
            await server.load_private_key(str(self.certs[1]))
        if self.encrypted_only:
            server.set_security_policy(
                [
                    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
                    ua.SecurityPolicyType.Basic256Sha256_Sign,
                ]
            )
        if self.users:
            server.set_identity_tokens([ua.UserNameIdentityToken])
        idx = await server.register_namespace("urn:bosun:test")
        obj = await server.nodes.objects.add_object(idx, "Plant")
        self.nodes = {}
        for tag in tags:
            node = await obj.add_variable(ua.NodeId(tag, idx), tag, float(initial))
            self.nodes[tag] = node
        await server.start()
        self.server = server

    async def set(self, tag: str, value: float) -> None:
        await self.nodes[tag].write_value(float(value))

    async def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):
                await self.server.stop()
            self.server = None


class _Users:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> Any:
        from asyncua.crypto.permission_rules import User, UserRole

        if username in self.users and self.users[username] == password:
            return User(role=UserRole.User, name=username)
        return None


class ModbusTestServer:
    """A pymodbus TCP server built from SimDevice/SimData, counting requests."""

    def __init__(
        self,
        port: int,
        holding: list[SimData],
        inputs: list[SimData] | None = None,
        coils: list[SimData] | None = None,
        discretes: list[SimData] | None = None,
    ) -> None:
        self.port = port
        filler = [SimData(60000, values=0, datatype=DataType.REGISTERS)]
        bits = [SimData(60000, values=False, datatype=DataType.BITS)]
        self.device = SimDevice(
            id=1,
            simdata=(coils or bits, discretes or bits, holding or filler, inputs or filler),
        )
        self.requests = 0
        self.server: ModbusTcpServer | None = None

    def _trace(self, sending: bool, pdu: Any) -> Any:
        if not sending:
            self.requests += 1
        return pdu

    async def start(self) -> None:
        self.server = ModbusTcpServer(
            self.device, address=("127.0.0.1", self.port), trace_pdu=self._trace
        )
        await self.server.serve_forever(background=True)

    def registers(self, table: str = "h") -> list[int]:
        assert self.server is not None
        core: Any = self.server.context
        return list(core.devices[1].block[table][2])

    def set_registers(self, address: int, values: list[int], table: str = "h") -> None:
        assert self.server is not None
        core: Any = self.server.context
        start, _, regs, _ = core.devices[1].block[table]
        regs[address - start : address - start + len(values)] = values

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.shutdown()
            self.server = None


class TcpProxy:
    """A loopback TCP proxy a test can cut (drop every connection, refuse new ones) and restore."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self.cut_count = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._conns.update((writer, up_w))

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                w.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
        self._conns.discard(writer)
        self._conns.discard(up_w)

    async def cut(self) -> None:
        """Drop every live connection and stop listening."""
        self.cut_count += 1
        if self._server is not None:
            self._server.close()
            self._server = None
        for w in list(self._conns):
            transport = w.transport
            with contextlib.suppress(Exception):
                transport.abort()
        self._conns.clear()

    async def restore(self) -> None:
        await self.start()

    async def stop(self) -> None:
        await self.cut()
