from __future__ import annotations

import struct

import pytest

from connectors import parse_config
from connectors.modbus.decode import decode_registers, encode_value
from connectors.modbus.plan import plan_reads

FMT = {
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "int64": "q",
    "uint64": "Q",
    "float32": "f",
    "float64": "d",
}
SAMPLES = {
    "int16": -12345,
    "uint16": 54321,
    "int32": -123456789,
    "uint32": 3_000_000_000,
    "int64": -(2**40) - 7,
    "uint64": 2**50 + 3,
    "float32": 123.456,
    "float64": -9876.54321,
}


def manual_registers(value: float, type_: str, word: str, byte: str) -> list[int]:
    """Build registers independently of the code under test: struct, then reorder."""
    raw = struct.pack(">" + FMT[type_], value)
    words = [raw[i : i + 2] for i in range(0, len(raw), 2)]
    if word == "little":
        words.reverse()
    if byte == "little":
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


@pytest.mark.parametrize("type_", list(FMT))
@pytest.mark.parametrize("word", ["big", "little"])
@pytest.mark.parametrize("byte", ["big", "little"])
def test_decode_every_type_and_order(type_: str, word: str, byte: str) -> None:
    value = SAMPLES[type_]
    regs = manual_registers(value, type_, word, byte)
    expected = struct.unpack(">" + FMT[type_], struct.pack(">" + FMT[type_], value))[0]
    assert decode_registers(regs, type_, word, byte) == float(expected)
    assert encode_value(value, type_, word, byte) == regs


def test_float32_word_order_known_registers() -> None:
    # 123.456 as IEEE-754 float32 is 0x42F6E979
    assert (
        decode_registers([0x42F6, 0xE979], "float32", "big")
        == struct.unpack(">f", bytes.fromhex("42F6E979"))[0]
    )
    assert decode_registers([0xE979, 0x42F6], "float32", "little") == decode_registers(
        [0x42F6, 0xE979], "float32"
    )
    assert decode_registers([0xF642, 0x79E9], "float32", "big", "little") == decode_registers(
        [0x42F6, 0xE979], "float32"
    )


def _cfg(regs: str, single: bool = False, max_regs: int = 125) -> object:
    text = f"""
vessel: "1"
sources:
  - name: d
    type: modbus
    host: 127.0.0.1
    single_register_reads: {str(single).lower()}
    max_registers_per_read: {max_regs}
    registers:
{regs}
"""
    return parse_config(text).sources[0]


REGS = """\
      - {address: 0, type: float32, tag: A}
      - {address: 2, type: uint16, tag: B}
      - {address: 3, type: float64, tag: C}
      - {address: 10, type: int16, tag: D}
      - {address: 0, table: input, type: int32, tag: E}
      - {address: 5, table: coil, tag: F}
      - {address: 6, table: coil, tag: G}
"""


def test_contiguous_registers_coalesce() -> None:
    reqs = plan_reads(_cfg(REGS))  # type: ignore[arg-type]
    spans = sorted((r.table, r.address, r.count) for r in reqs)
    assert spans == [("coil", 5, 2), ("holding", 0, 7), ("holding", 10, 1), ("input", 0, 2)]


def test_request_size_limit_splits() -> None:
    reqs = plan_reads(_cfg(REGS, max_regs=4))  # type: ignore[arg-type]
    holding = sorted((r.address, r.count) for r in reqs if r.table == "holding")
    assert holding == [(0, 3), (3, 4), (10, 1)]


def test_single_register_mode_one_register_per_request() -> None:
    reqs = plan_reads(_cfg(REGS, single=True))  # type: ignore[arg-type]
    assert all(r.count == 1 for r in reqs)
    holding = sorted(r.address for r in reqs if r.table == "holding")
    assert holding == [0, 1, 2, 3, 4, 5, 6, 10]


@pytest.mark.parametrize("word_order", ["big", "little"])
@pytest.mark.parametrize("byte_order", ["big", "little"])
def test_string_registers_hold_numbers_as_text(word_order: str, byte_order: str) -> None:
    from connectors.modbus.decode import decode_registers, decode_string, encode_string

    regs = encode_string("482.5", 4, word_order, byte_order)
    assert len(regs) == 4
    assert decode_string(regs, word_order, byte_order) == "482.5"
    assert decode_registers(regs, "string", word_order, byte_order) == 482.5
    with pytest.raises(ValueError, match="not a number"):
        decode_registers(
            encode_string("RUN", 2, word_order, byte_order), "string", word_order, byte_order
        )


def test_string_register_needs_a_length() -> None:
    from connectors import ConfigError, parse_config

    with pytest.raises(ConfigError, match="length"):
        parse_config("""
vessel: "9700001"
sources:
  - name: plc
    type: modbus
    host: 127.0.0.1
    registers:
      - {address: 10, type: string, tag: LVL}
""")
