"""Plan Modbus requests: coalesce contiguous registers into as few reads as allowed."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.config import ModbusRegister, ModbusSourceConfig

MAX_BITS_PER_READ = 2000


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """One read request: table, first address, count, and the values it covers."""

    table: str
    address: int
    count: int
    registers: tuple[ModbusRegister, ...]


def plan_reads(cfg: ModbusSourceConfig) -> list[ReadRequest]:
    """Return the read requests for one poll of a device's register map.

    Values whose ranges touch (or are within `max_gap` of each other) share one request
    of at most `max_registers_per_read` registers (2000 bits for coils/discretes). With
    `single_register_reads` every register is its own request (a multi-register value is
    read word by word and joined).
    """
    by_table: dict[str, list[ModbusRegister]] = {}
    for reg in cfg.registers:
        by_table.setdefault(reg.table, []).append(reg)
    out: list[ReadRequest] = []
    for table, regs in by_table.items():
        regs.sort(key=lambda r: r.address)
        bits = table in ("coil", "discrete")
        limit = MAX_BITS_PER_READ if bits else cfg.max_registers_per_read
        if cfg.single_register_reads:
            seen: set[int] = set()
            for r in regs:
                for a in range(r.address, r.address + r.width):
                    if a not in seen:
                        seen.add(a)
                        covering = tuple(x for x in regs if x.address <= a < x.address + x.width)
                        out.append(ReadRequest(table, a, 1, covering))
            continue
        start = regs[0].address
        end = start + regs[0].width
        group: list[ModbusRegister] = [regs[0]]
        for r in regs[1:]:
            r_end = r.address + r.width
            if r.address <= end + cfg.max_gap and max(end, r_end) - start <= limit:
                end = max(end, r_end)
                group.append(r)
            else:
                out.append(ReadRequest(table, start, end - start, tuple(group)))
                start, end, group = r.address, r_end, [r]
        out.append(ReadRequest(table, start, end - start, tuple(group)))
    return out
