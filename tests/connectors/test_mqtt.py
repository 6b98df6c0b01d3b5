from __future__ import annotations

import json
import uuid

import aiomqtt
import pytest

from connectors import ConnectorRuntime, ConnectorsSettings, check_connectors, parse_config
from connectors.mqtt.jsonpath import parse_json_path
from connectors.mqtt.source import payload_value

from .helpers import MemorySink, wait_until


def test_payload_extraction() -> None:
    assert payload_value(b"42.5", None) == 42.5
    assert payload_value(b' {"value": 3} ', parse_json_path("$.value")) == 3.0
    assert payload_value(b'{"a": {"b": [1, {"c": "7.5"}]}}', parse_json_path("$.a.b[1].c")) == 7.5
    assert payload_value(b'{"on": true}', parse_json_path("$['on']")) == 1.0
    with pytest.raises(KeyError):
        payload_value(b'{"v": 1}', parse_json_path("$.value"))
    with pytest.raises(ValueError):
        parse_json_path("$..value")


def yaml_for(prefix: str, qos: int = 1) -> str:
    return f"""
vessel: "9700001"
sources:
  - name: tanks
    type: mqtt
    broker: mqtt://127.0.0.1:1883
    qos: {qos}
    tags:
      - {{topic: {prefix}/fo1/level, json_path: "$.value", tag: FO1_LEVEL}}
      - {{topic: {prefix}/fo2/level, tag: FO2_LEVEL}}
      - {{topic: "{prefix}/+/temp", json_path: "$.t", tag: ANY_TEMP}}
"""


@pytest.mark.mosquitto
async def test_values_flow_from_broker(
    mosquitto: tuple[str, int], settings: ConnectorsSettings
) -> None:
    prefix = f"bosun-test/{uuid.uuid4().hex[:8]}"
    sink = MemorySink()
    runtime = ConnectorRuntime(parse_config(yaml_for(prefix)), sink, settings=settings)
    await runtime.start()
    try:
        await wait_until(lambda: runtime.health()[0].connected)
        async with aiomqtt.Client(*mosquitto) as pub:
            await pub.publish(
                f"{prefix}/fo1/level", json.dumps({"value": 81.5, "unit": "%"}), qos=1
            )
            await pub.publish(f"{prefix}/fo2/level", "12.25", qos=1)
            await pub.publish(f"{prefix}/fo2/temp", json.dumps({"t": 38}), qos=1)
            await pub.publish(f"{prefix}/fo1/level", "not json", qos=1)
            await wait_until(lambda: sink.values("ANY_TEMP") == [38.0])
        assert sink.values("FO1_LEVEL") == [81.5]
        assert sink.values("FO2_LEVEL") == [12.25]
        assert runtime.health()[0].reads == 3
    finally:
        await runtime.stop()


@pytest.mark.mosquitto
async def test_check_reads_retained_values(mosquitto: tuple[str, int]) -> None:
    prefix = f"bosun-test/{uuid.uuid4().hex[:8]}"
    async with aiomqtt.Client(*mosquitto) as pub:
        await pub.publish(f"{prefix}/fo1/level", json.dumps({"value": 55}), qos=1, retain=True)
        await pub.publish(f"{prefix}/fo2/level", "9", qos=1, retain=True)
    try:
        report = await check_connectors(parse_config(yaml_for(prefix)), timeout_s=1.5)
        rows = {r.tag: r for r in report.rows}
        assert rows["FO1_LEVEL"].value == 55.0 and rows["FO1_LEVEL"].ok
        assert rows["FO2_LEVEL"].value == 9.0
        assert rows["ANY_TEMP"].status.startswith("no message within")
        assert report.failed
    finally:
        async with aiomqtt.Client(*mosquitto) as pub:  # clear the retained messages
            await pub.publish(f"{prefix}/fo1/level", b"", retain=True)
            await pub.publish(f"{prefix}/fo2/level", b"", retain=True)


@pytest.mark.mosquitto
async def test_unreachable_broker_is_a_source_error() -> None:
    text = yaml_for("x").replace("127.0.0.1:1883", "127.0.0.1:1")
    report = await check_connectors(parse_config(text), timeout_s=3)
    assert report.failed and "tanks" in report.source_errors


@pytest.mark.mosquitto
async def test_broker_connection_drop_reconnects(
    mosquitto: tuple[str, int], settings: ConnectorsSettings
) -> None:
    from .helpers import TcpProxy

    proxy = TcpProxy(mosquitto[1])
    await proxy.start()
    prefix = f"bosun-test/{uuid.uuid4().hex[:8]}"
    text = yaml_for(prefix).replace("127.0.0.1:1883", f"127.0.0.1:{proxy.port}")
    sink = MemorySink()
    runtime = ConnectorRuntime(parse_config(text), sink, settings=settings)
    await runtime.start()
    try:
        await wait_until(lambda: runtime.health()[0].connected)
        async with aiomqtt.Client(*mosquitto) as pub:
            await pub.publish(f"{prefix}/fo2/level", "1", qos=1)
            await wait_until(lambda: sink.values("FO2_LEVEL") == [1.0])
            await proxy.cut()
            await wait_until(lambda: not runtime.health()[0].connected)
            await proxy.restore()
            await wait_until(lambda: runtime.health()[0].connected, timeout=10)
            await pub.publish(f"{prefix}/fo2/level", "2", qos=1)
            await wait_until(lambda: sink.values("FO2_LEVEL") == [1.0, 2.0])
        assert runtime.health()[0].reconnects >= 1
    finally:
        await runtime.stop()
        await proxy.stop()
