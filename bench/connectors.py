"""Benchmark: connectors client CPU at 1,000 OPC-UA tags + 200 Modbus values at 1 Hz; replay rate.

Run from the repo root:  python -m bench.connectors [--seconds 60]
The servers (the Bosun simulator: asyncua + pymodbus) run in a child process, so the CPU share
reported is the client side only (this process: sources, pipeline, buffer, sink).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from connectors import ConnectorRuntime, ConnectorsSettings, Reading, ReadingBuffer, load_config
from connectors.pipeline import ReadingPipeline
from connectors.simulator import SimRegister, SimSensor, VesselSimulator


def bench_register(opcua_tags: int, modbus_tags: int) -> SimRegister:
    def sensor(tag: str, code: str) -> SimSensor:
        return SimSensor(tag, tag, "degC", None, None, None, code, code, None, None)

    sensors = [sensor(f"OPC_{i:04d}", "A") for i in range(opcua_tags)]
    sensors += [sensor(f"MB_{i:03d}", "B") for i in range(modbus_tags)]
    return SimRegister("9700000", "Bench vessel", sensors)


async def serve(args: argparse.Namespace) -> None:
    sim = VesselSimulator(
        bench_register(args.opcua_tags, args.modbus_tags),
        opcua_port=0,
        modbus_port=0,
        update_interval_s=1.0,
        degrade_minutes=None,
    )
    await sim.start()
    Path(args.config).write_text(sim.connectors_yaml())
    print("ready", flush=True)
    await asyncio.Event().wait()


class CountingSink:
    """A fast sink: counts what it gets."""

    def __init__(self) -> None:
        self.n = 0

    async def write(self, readings: Sequence[Reading]) -> None:
        self.n += len(readings)


async def client(config: Path, seconds: float, warmup: float, home: Path) -> dict[str, float]:
    settings = ConnectorsSettings(home=home)
    sink = CountingSink()
    runtime = ConnectorRuntime(load_config(config), sink, settings=settings)
    await runtime.start()
    try:
        await asyncio.sleep(warmup)
        c0, n0, t0 = time.process_time(), sink.n, time.monotonic()
        reads0 = {h.name: h.reads for h in runtime.health()}
        await asyncio.sleep(seconds)
        c1, n1, t1 = time.process_time(), sink.n, time.monotonic()
        health = runtime.health()
    finally:
        await runtime.stop()
    wall = t1 - t0
    cpu = c1 - c0  # this process only: user + system CPU seconds
    out = {
        "seconds": round(wall, 1),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "readings_per_s_to_sink": round((n1 - n0) / wall, 1),
    }
    for h in health:
        out[f"{h.name}_values_per_s"] = round((h.reads - reads0[h.name]) / wall, 1)
        out[f"{h.name}_errors"] = h.errors
    return out


async def replay(home: Path, n: int) -> dict[str, float]:
    settings = ConnectorsSettings(home=home, replay_batch=10_000)
    buffer = ReadingBuffer(home / "replay.sqlite3", max_readings=n * 2)
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    chunk = 50_000
    started = time.perf_counter()
    for i in range(0, n, chunk):
        buffer.append(
            [
                Reading(f"T{j % 1000}", t0 + timedelta(seconds=j // 1000), float(j), "good", "s")
                for j in range(i, min(n, i + chunk))
            ]
        )
    fill = time.perf_counter() - started
    sink = CountingSink()
    pipe = ReadingPipeline(sink, buffer, settings)
    started = time.perf_counter()
    sent = await pipe.replay_all()
    elapsed = time.perf_counter() - started
    buffer.close()
    assert sent == n == sink.n, (sent, n, sink.n)
    return {
        "buffered_readings": n,
        "buffer_fill_per_s": round(n / fill),
        "replay_per_s": round(n / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--opcua-tags", type=int, default=1000)
    parser.add_argument("--modbus-tags", type=int, default=200)
    parser.add_argument("--replay-readings", type=int, default=500_000)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args))
        return
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        config = home / "connectors.yaml"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.connectors",
                "--serve",
                "--config",
                str(config),
                "--opcua-tags",
                str(args.opcua_tags),
                "--modbus-tags",
                str(args.modbus_tags),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            line = server.stdout.readline().strip()
            if line != "ready":
                raise SystemExit(f"simulator did not start: {line!r}")
            print(
                f"servers ready (pid {server.pid}); measuring {args.seconds:g}s ...",
                file=sys.stderr,
            )
            result = asyncio.run(client(config, args.seconds, args.warmup, home))
        finally:
            server.terminate()
            _, _, usage = os.wait4(server.pid, 0)
        result["opcua_tags"] = args.opcua_tags
        result["modbus_values"] = args.modbus_tags
        result["server_process_cpu_s_total"] = round(usage.ru_utime + usage.ru_stime, 1)
        print("replaying the buffer ...", file=sys.stderr)
        result.update(asyncio.run(replay(home, args.replay_readings)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
