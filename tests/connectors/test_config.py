from __future__ import annotations

from pathlib import Path

import pytest

# ruff: noqa: E501  (the issue's YAML example is kept verbatim)
from connectors import ConfigError, SensorSpec, StaticCatalog, load_config, parse_config

ISSUE_EXAMPLE = """\
vessel: "9700001"                  # IMO of the vessel these sources feed
sources:
  - name: engine-room-plc
    type: opcua
    endpoint: opc.tcp://10.0.0.5:4840
    security: {policy: Basic256Sha256, mode: SignAndEncrypt, certificate: certs/bosun.der, private_key: certs/bosun.pem}
    auth: {username: bosun, password_env: PLC_PASSWORD}
    subscription: {publishing_interval_ms: 1000, deadband: 0.5}
    tags:
      - {node: "ns=2;s=ME1.ExhaustTemp", tag: ME1_EXH_T}
  - name: thruster-plc
    type: modbus
    host: 10.0.0.7
    port: 502
    unit: 1
    poll_interval_ms: 1000
    single_register_reads: false
    registers:
      - {address: 100, table: holding, type: float32, word_order: big, byte_order: big, scale: 1.0, offset: 0.0, tag: BT1_MOTOR_T}
  - name: tank-sensors
    type: mqtt
    broker: mqtt://127.0.0.1:1883
    qos: 1
    tags:
      - {topic: vessel/tanks/fo1/level, json_path: "$.value", tag: FO1_LEVEL}
"""


def test_issue_example_parses_and_resolves_secret_and_paths(tmp_path: Path) -> None:
    f = tmp_path / "connectors.yaml"
    f.write_text(ISSUE_EXAMPLE)
    cfg = load_config(f, env={"PLC_PASSWORD": "s3cret"})
    assert [s.type for s in cfg.sources] == ["opcua", "modbus", "mqtt"]
    assert cfg.password("engine-room-plc") == "s3cret"
    opc = cfg.sources[0]
    assert opc.type == "opcua" and opc.subscription is not None
    assert opc.subscription.deadband == 0.5
    assert opc.security.certificate is not None
    assert cfg.resolve_path(opc.security.certificate) == tmp_path / "certs/bosun.der"
    mqtt = cfg.sources[2]
    assert mqtt.type == "mqtt" and (mqtt.host, mqtt.port, mqtt.qos) == ("127.0.0.1", 1883, 1)
    assert "s3cret" not in repr(cfg)


def test_error_names_the_path_and_line() -> None:
    bad = ISSUE_EXAMPLE.replace("type: float32", "type: float16")
    with pytest.raises(ConfigError) as info:
        parse_config(bad, env={"PLC_PASSWORD": "x"})
    msg = str(info.value)
    assert "sources[1].registers[0].type (line 19)" in msg
    assert "float16" in msg or "Input should be" in msg


def test_missing_password_env_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\].auth.password_env.*PLC_PASSWORD"):
        parse_config(ISSUE_EXAMPLE, env={})


def test_unknown_tags_against_catalog() -> None:
    catalog = StaticCatalog([SensorSpec("ME1_EXH_T"), SensorSpec("FO1_LEVEL")])
    with pytest.raises(ConfigError) as info:
        parse_config(ISSUE_EXAMPLE, env={"PLC_PASSWORD": "x"}, catalog=catalog)
    assert "sources[1].registers[0].tag" in str(info.value)
    assert "BT1_MOTOR_T" in str(info.value)
    assert "ME1_EXH_T" not in str(info.value)


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        ("table: holding, type: float32", "table: coil, type: float32"),
        ("mode: SignAndEncrypt, certificate: certs/bosun.der, ", "mode: SignAndEncrypt, "),
        ("port: 502", "port: 70000"),
        ('json_path: "$.value"', 'json_path: "value"'),
    ],
)
def test_semantic_errors(replace: str, expected: str) -> None:
    bad = ISSUE_EXAMPLE.replace(replace, expected)
    with pytest.raises(ConfigError, match=r"sources\[\d\]"):
        parse_config(bad, env={"PLC_PASSWORD": "x"})


def test_duplicate_tag_across_sources() -> None:
    bad = ISSUE_EXAMPLE.replace("tag: FO1_LEVEL", "tag: ME1_EXH_T")
    with pytest.raises(ConfigError, match="ME1_EXH_T is fed by both"):
        parse_config(bad, env={"PLC_PASSWORD": "x"})


def test_bad_node_id_is_a_config_error() -> None:
    bad = ISSUE_EXAMPLE.replace('"ns=2;s=ME1.ExhaustTemp"', '"ns=2;x=ME1"')
    with pytest.raises(ConfigError, match=r"sources\[0\].tags\[0\].node.*not an OPC-UA node id"):
        parse_config(bad, env={"PLC_PASSWORD": "x"})


def test_backoff_grows_with_jitter_and_resets() -> None:
    import random

    from connectors.backoff import Backoff

    b = Backoff(1.0, 8.0, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(6)]
    caps = [1, 2, 4, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, caps, strict=True))
    assert len(set(delays)) == 6  # jittered
    b.reset()
    assert b.next_delay() <= 1.0


def test_public_api_resolves() -> None:
    import connectors

    assert len(connectors.__all__) == len(set(connectors.__all__))
    for name in connectors.__all__:
        assert getattr(connectors, name) is not None, name
