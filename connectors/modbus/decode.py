"""Decode Modbus registers into numbers: type, word order and byte order."""

from __future__ import annotations

from collections.abc import Sequence

from pymodbus.client.mixin import ModbusClientMixin

_DT = ModbusClientMixin.DATATYPE
_TYPES: dict[str, ModbusClientMixin.DATATYPE] = {
    "int16": _DT.INT16,
    "uint16": _DT.UINT16,
    "int32": _DT.INT32,
    "uint32": _DT.UINT32,
    "int64": _DT.INT64,
    "uint64": _DT.UINT64,
    "float32": _DT.FLOAT32,
    "float64": _DT.FLOAT64,
}


def _swap_bytes(regs: Sequence[int]) -> list[int]:
    return [((r & 0xFF) << 8) | (r >> 8) for r in regs]


def decode_registers(
    registers: Sequence[int], type_: str, word_order: str = "big", byte_order: str = "big"
) -> float:
    """Return the number held in `registers` (byte_order swaps the bytes inside each word)."""
    regs = list(registers) if byte_order == "big" else _swap_bytes(registers)
    value = ModbusClientMixin.convert_from_registers(
        regs, _TYPES[type_], word_order="big" if word_order == "big" else "little"
    )
    if not isinstance(value, int | float):
        raise ValueError(f"cannot decode {type_} from {list(registers)}")
    return float(value)


def encode_value(
    value: float, type_: str, word_order: str = "big", byte_order: str = "big"
) -> list[int]:
    """Return the registers holding `value` (the inverse of decode_registers)."""
    dt = _TYPES[type_]
    v: int | float = value if type_.startswith("float") else int(value)
    regs = ModbusClientMixin.convert_to_registers(
        v, dt, word_order="big" if word_order == "big" else "little"
    )
    return regs if byte_order == "big" else _swap_bytes(regs)
