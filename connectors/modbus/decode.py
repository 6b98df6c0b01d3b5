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


def decode_string(
    registers: Sequence[int], word_order: str = "big", byte_order: str = "big"
) -> str:
    """Return the ASCII text held in registers (two characters a register, NULs stripped)."""
    regs = list(registers) if word_order == "big" else list(reversed(registers))
    regs = regs if byte_order == "big" else _swap_bytes(regs)
    raw = b"".join(r.to_bytes(2, "big") for r in regs)
    return raw.decode("ascii", errors="replace").strip("\x00 ")


def decode_registers(
    registers: Sequence[int], type_: str, word_order: str = "big", byte_order: str = "big"
) -> float:
    """Return the number held in `registers` (byte_order swaps the bytes inside each word).

    A ``string`` register block must hold a number written as text (e.g. "12.5"): readings
    are numbers, so any other text is a decoding error for that tag.
    """
    if type_ == "string":
        text = decode_string(registers, word_order, byte_order)
        try:
            return float(text)
        except ValueError as err:
            raise ValueError(f"string {text!r} is not a number") from err
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
    if type_ == "string":
        raise ValueError("encode strings with encode_string")
    dt = _TYPES[type_]
    v: int | float = value if type_.startswith("float") else int(value)
    regs = ModbusClientMixin.convert_to_registers(
        v, dt, word_order="big" if word_order == "big" else "little"
    )
    return regs if byte_order == "big" else _swap_bytes(regs)


def encode_string(
    text: str, length: int, word_order: str = "big", byte_order: str = "big"
) -> list[int]:
    """Return `length` registers holding ASCII text, NUL-padded (inverse of decode_string)."""
    raw = text.encode("ascii")[: 2 * length].ljust(2 * length, b"\x00")
    regs = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    regs = regs if byte_order == "big" else _swap_bytes(regs)
    return regs if word_order == "big" else list(reversed(regs))
