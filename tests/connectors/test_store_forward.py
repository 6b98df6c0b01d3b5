from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from connectors import ConnectorsSettings, Reading, ReadingBuffer, SensorSpec, StaticCatalog
from connectors.pipeline import ReadingPipeline

from .helpers import MemorySink, wait_until

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def readings(n: int, start: int = 0, tag: str = "T1", source: str = "s") -> list[Reading]:
    return [
        Reading(tag, T0 + timedelta(seconds=i), float(i), "good", source)
        for i in range(start, start + n)
    ]


async def test_sink_outage_buffers_then_replays_in_order_exactly_once(
    settings: ConnectorsSettings,
) -> None:
    sink = MemorySink()
    buf = ReadingBuffer(settings.buffer_path, max_readings=10_000)
    pipe = ReadingPipeline(sink, buf, settings)
    task = asyncio.create_task(pipe.run())
    pipe.submit(readings(100))
    await wait_until(lambda: len(sink.rows) == 100)
    sink.available = False
    for k in range(10):
        pipe.submit(readings(50, start=100 + 50 * k))
        await wait_until(lambda k=k: buf.depth >= 50 * (k + 1))  # each batch fails, is kept
    await wait_until(lambda: buf.depth == 500)
    assert buf.depth_of("s") == 500
    assert not pipe.sink_available
    sink.available = True
    pipe.submit(readings(100, start=600))
    await wait_until(lambda: len(sink.rows) == 700, timeout=5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [r.value for r in sink.order] == [float(i) for i in range(700)]
    assert buf.depth == 0
    buf.close()


async def test_buffer_survives_restart(settings: ConnectorsSettings) -> None:
    sink = MemorySink()
    sink.available = False
    buf = ReadingBuffer(settings.buffer_path, max_readings=10_000)
    pipe = ReadingPipeline(sink, buf, settings)
    task = asyncio.create_task(pipe.run())
    pipe.submit(readings(300))
    await wait_until(lambda: buf.depth == 300)
    pipe.submit(readings(20, start=300))  # still in memory when we stop: drained to disk
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    buf.close()

    # A new process: same file, the sink is back.
    sink2 = MemorySink()
    buf2 = ReadingBuffer(settings.buffer_path, max_readings=10_000)
    assert buf2.depth == 320
    pipe2 = ReadingPipeline(sink2, buf2, settings)
    sent = await pipe2.replay_all()
    assert sent == 320
    assert [r.value for r in sink2.order] == [float(i) for i in range(320)]
    assert all(r.time.tzinfo is not None for r in sink2.order)
    assert sink2.order[5].time == T0 + timedelta(seconds=5)
    buf2.close()


async def test_bound_drops_oldest_and_counts(settings: ConnectorsSettings) -> None:
    buf = ReadingBuffer(settings.buffer_path, max_readings=100)
    buf.append(readings(80, source="a"))
    buf.append(readings(50, start=80, source="b"))
    assert buf.depth == 100
    assert buf.dropped_of("a") == 30 and buf.dropped_of("b") == 0
    _, oldest = buf.peek(1)
    assert oldest[0].value == 30.0
    buf.close()
    again = ReadingBuffer(settings.buffer_path, max_readings=100)
    assert again.dropped == 30 and again.depth_of("a") == 50 and again.depth_of("b") == 50
    again.close()


class Alarms:
    def __init__(self) -> None:
        self.events: list[object] = []
        self.available = True

    async def handle(self, event: object) -> None:
        from connectors import SinkUnavailable

        if not self.available:
            raise SinkUnavailable("down")
        self.events.append(event)


async def test_limit_hysteresis_one_event_per_excursion(settings: ConnectorsSettings) -> None:
    catalog = StaticCatalog([SensorSpec("EXH", unit="degC", low=100.0, high=480.0)])
    alarms = Alarms()
    buf = ReadingBuffer(settings.buffer_path, max_readings=10_000)
    pipe = ReadingPipeline(MemorySink(), buf, settings, catalog=catalog, alarms=alarms)
    # 2 % of span 380 = 7.6: stays raised between 472.4 and 480
    values = [400, 470, 481, 490, 479, 475, 485, 495, 471, 460, 481, 300, 99, 98, 99, 110]
    pipe.submit([Reading("EXH", T0 + timedelta(seconds=i), float(v)) for i, v in enumerate(values)])
    await pipe.step()
    got = [(e.kind, e.state, e.value) for e in alarms.events]  # type: ignore[attr-defined]
    assert got == [
        ("high", "raised", 481.0),
        ("high", "cleared", 471.0),
        ("high", "raised", 481.0),
        ("high", "cleared", 300.0),
        ("low", "raised", 99.0),
        ("low", "cleared", 110.0),
    ]
    buf.close()


async def test_alarm_outbox_and_state_survive_restart(settings: ConnectorsSettings) -> None:
    catalog = StaticCatalog([SensorSpec("P", low=3.5)])
    alarms = Alarms()
    alarms.available = False
    buf = ReadingBuffer(settings.buffer_path, max_readings=100)
    pipe = ReadingPipeline(MemorySink(), buf, settings, catalog=catalog, alarms=alarms)
    pipe.submit([Reading("P", T0, 2.0)])
    await pipe.step()
    assert buf.alarm_depth == 1 and alarms.events == []
    buf.close()
    buf2 = ReadingBuffer(settings.buffer_path, max_readings=100)
    alarms.available = True
    pipe2 = ReadingPipeline(MemorySink(), buf2, settings, catalog=catalog, alarms=alarms)
    pipe2.submit([Reading("P", T0 + timedelta(seconds=1), 2.1)])  # still low: no new alarm
    await pipe2.step()
    assert len(alarms.events) == 1 and buf2.alarm_depth == 0
    buf2.close()


async def test_running_hours_hook(settings: ConnectorsSettings) -> None:
    calls: list[tuple[str, float]] = []

    async def hook(tag: str, hours: float, at: datetime) -> None:
        calls.append((tag, hours))

    catalog = StaticCatalog([SensorSpec("ME1_RH", counter="running_hours"), SensorSpec("X")])
    buf = ReadingBuffer(settings.buffer_path, max_readings=100)
    pipe = ReadingPipeline(MemorySink(), buf, settings, catalog=catalog, running_hours=hook)
    pipe.submit(
        [
            Reading("ME1_RH", T0, 1000.0),
            Reading("X", T0, 1.0),
            Reading("ME1_RH", T0 + timedelta(seconds=1), 1000.5),
        ]
    )
    await pipe.step()
    assert calls == [("ME1_RH", 1000.5)]
    buf.close()


async def test_a_stop_that_meets_a_wake_up_in_the_same_turn_still_stops(
    settings: ConnectorsSettings,
) -> None:
    """The cancel is not swallowed when readings wake the pipeline in the same loop turn.

    (asyncio.wait_for on Python 3.11 returns the finished inner result instead of raising the
    cancel; the connectors runtime then waited for the pipeline forever.)
    """
    buf = ReadingBuffer(settings.buffer_path, max_readings=10_000)
    pipe = ReadingPipeline(MemorySink(), buf, settings)
    for round_ in range(20):
        task = asyncio.create_task(pipe.run())
        await asyncio.sleep(0.01)  # parked on the wake-up
        pipe._wake.set()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2)
        assert done == {task}, f"round {round_}: the pipeline ignored its cancel"
        assert task.cancelled()
    buf.close()
