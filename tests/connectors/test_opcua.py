from __future__ import annotations

import logging
from pathlib import Path

import pytest
from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from connectors import ConnectorRuntime, ConnectorsSettings, check_connectors, parse_config
from connectors.opcua.source import OpcUaSource

from .helpers import MemorySink, OpcUaTestServer, free_port, wait_until

pytestmark = pytest.mark.slow(reason="OPC UA servers with encryption on loopback")

TAGS = ["ME1_EXH_T", "ME1_LO_P", "ME2_EXH_T"]


def make_cert(folder: Path, name: str, uri: str, usage: x509.ObjectIdentifier) -> tuple[Path, Path]:
    key = generate_private_key()
    cert = generate_self_signed_app_certificate(
        key, name, {}, [x509.UniformResourceIdentifier(uri), x509.DNSName("localhost")], [usage]
    )
    der, pem = folder / f"{name}.der", folder / f"{name}.pem"
    der.write_bytes(cert.public_bytes(Encoding.DER))
    pem.write_bytes(dump_private_key_as_pem(key))
    return der, pem


def yaml_for(
    endpoint: str, extra: str = "", mode: str = "subscription: {publishing_interval_ms: 50}"
) -> str:
    tags = "\n".join(f'      - {{node: "ns=2;s={t}", tag: {t}}}' for t in TAGS)
    return f"""
vessel: "9700001"
sources:
  - name: er-plc
    type: opcua
    endpoint: {endpoint}
    timeout_s: 2
    {mode}
{extra}
    tags:
{tags}
"""


@pytest.fixture
async def opc_server():
    server = OpcUaTestServer(free_port())
    await server.start(TAGS, initial=1.0)
    yield server
    await server.stop()


async def test_subscription_survives_server_restart(
    opc_server: OpcUaTestServer, settings: ConnectorsSettings
) -> None:
    sink = MemorySink()
    runtime = ConnectorRuntime(parse_config(yaml_for(opc_server.endpoint)), sink, settings=settings)
    await runtime.start()
    try:
        await wait_until(lambda: 1.0 in sink.values("ME1_EXH_T"))
        await opc_server.set("ME1_EXH_T", 350.0)
        await wait_until(lambda: 350.0 in sink.values("ME1_EXH_T"))
        # The PLC restarts: the server goes away and comes back on the same endpoint.
        await opc_server.stop()
        await wait_until(lambda: not runtime.health()[0].connected)
        await opc_server.start(TAGS, initial=2.0)
        await opc_server.set("ME1_EXH_T", 360.0)
        await wait_until(lambda: 360.0 in sink.values("ME1_EXH_T"), timeout=15)
        await opc_server.set("ME1_EXH_T", 361.0)
        await wait_until(lambda: 361.0 in sink.values("ME1_EXH_T"))
        h = runtime.health()[0]
        assert h.connected and h.reconnects >= 1 and h.errors >= 1
    finally:
        await runtime.stop()


async def test_deadband_filters_small_changes(
    opc_server: OpcUaTestServer, settings: ConnectorsSettings
) -> None:
    text = yaml_for(
        opc_server.endpoint, mode="subscription: {publishing_interval_ms: 50, deadband: 5.0}"
    )
    sink = MemorySink()
    runtime = ConnectorRuntime(parse_config(text), sink, settings=settings)
    await runtime.start()
    try:
        await wait_until(lambda: 1.0 in sink.values("ME1_EXH_T"))
        for v in (2.0, 3.0, 4.0, 10.0, 11.0, 20.0):
            await opc_server.set("ME1_EXH_T", v)
            await wait_until(
                lambda: runtime.snapshots()[0].values["ME1_EXH_T"].value >= 1.0, timeout=1
            )
            import asyncio

            # The server samples every 50 ms and a filtered value leaves nothing to wait on:
            # waiting lets it see each value, which is what the deadband acts on.
            await asyncio.sleep(0.12)
        await wait_until(lambda: 20.0 in sink.values("ME1_EXH_T"))
        assert sink.values("ME1_EXH_T") == [1.0, 10.0, 20.0]
    finally:
        await runtime.stop()


async def test_polling_mode(opc_server: OpcUaTestServer, settings: ConnectorsSettings) -> None:
    text = yaml_for(opc_server.endpoint, mode="polling: {interval_ms: 50}")
    sink = MemorySink()
    runtime = ConnectorRuntime(parse_config(text), sink, settings=settings)
    await runtime.start()
    try:
        await opc_server.set("ME1_LO_P", 4.2)
        await wait_until(lambda: 4.2 in sink.values("ME1_LO_P"))
        n = runtime.health()[0].reads
        await wait_until(lambda: runtime.health()[0].reads >= n + 9)  # unchanged values polled too
        # an unchanged value keeps its source timestamp: stored once, not once per poll
        assert sink.values("ME2_EXH_T") == [1.0]
    finally:
        await runtime.stop()


async def test_username_auth() -> None:
    server = OpcUaTestServer(free_port(), users={"bosun": "pw-123"})
    await server.start(TAGS, initial=7.0)
    auth = "    auth: {username: bosun, password_env: PLC_PASSWORD}"
    try:
        good = parse_config(yaml_for(server.endpoint, auth), env={"PLC_PASSWORD": "pw-123"})
        report = await check_connectors(good, timeout_s=5)
        assert not report.failed, report
        assert [r.value for r in report.rows] == [7.0, 7.0, 7.0]
        bad = parse_config(yaml_for(server.endpoint, auth), env={"PLC_PASSWORD": "wrong"})
        report = await check_connectors(bad, timeout_s=5)
        assert report.failed and "er-plc" in report.source_errors
    finally:
        await server.stop()


async def test_basic256sha256_sign_and_encrypt(
    tmp_path: Path, settings: ConnectorsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    server_cert = make_cert(
        tmp_path, "server", "urn:freeopcua:python:server", ExtendedKeyUsageOID.SERVER_AUTH
    )
    client_cert = make_cert(
        tmp_path, "bosun", "urn:bosun:connectors", ExtendedKeyUsageOID.CLIENT_AUTH
    )
    server = OpcUaTestServer(free_port(), certs=server_cert, encrypted_only=True)
    await server.start(TAGS, initial=3.5)
    sec = (
        "    security: {policy: Basic256Sha256, mode: SignAndEncrypt, "
        f"certificate: {client_cert[0].name}, private_key: {client_cert[1].name}}}"
    )
    f = tmp_path / "connectors.yaml"
    f.write_text(yaml_for(server.endpoint, sec))
    try:
        from connectors import load_config

        cfg = load_config(f)  # cert paths resolve next to the file
        source = OpcUaSource(cfg.sources[0], cfg)  # type: ignore[arg-type]
        await source.connect()
        client = source._client
        assert client is not None
        assert client.security_policy.Mode.name == "SignAndEncrypt"
        assert "Basic256Sha256" in client.security_policy.URI
        got = await source.read_once()
        await source.close()
        assert {t: getattr(r, "value", r) for t, r in got.items()} == dict.fromkeys(TAGS, 3.5)
        # Values flow through a secured subscription as well.
        sink = MemorySink()
        runtime = ConnectorRuntime(cfg, sink, settings=settings)
        await runtime.start()
        try:
            await server.set("ME2_EXH_T", 41.5)
            await wait_until(lambda: 41.5 in sink.values("ME2_EXH_T"))
        finally:
            await runtime.stop()
        # Sign only (no encryption) against the same server.
        f.write_text(yaml_for(server.endpoint, sec.replace("SignAndEncrypt", "Sign")))
        signed = load_config(f)
        source = OpcUaSource(signed.sources[0], signed)  # type: ignore[arg-type]
        await source.connect()
        assert source._client is not None
        assert source._client.security_policy.Mode.name == "Sign"
        assert getattr((await source.read_once())["ME1_LO_P"], "value", None) == 3.5
        await source.close()
        # Without security the secured-only server refuses us.
        plain = parse_config(yaml_for(server.endpoint))
        report = await check_connectors(plain, timeout_s=5)
        assert report.failed
    finally:
        await server.stop()
