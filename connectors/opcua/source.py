"""OPC-UA source: subscriptions (publishing interval, deadband) or polling, with security."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.common.subscription import DataChangeEvent, StatusChangeEvent, Subscription
from asyncua.crypto import security_policies
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.uaerrors import BadUserAccessDenied, UaError
from cryptography import x509

from connectors.config import ConnectorsConfig, OpcUaSourceConfig
from connectors.errors import SourceError
from connectors.models import Quality, Reading, SourceType
from connectors.source import Emit

log = logging.getLogger(__name__)

_MODES = {
    "Sign": ua.MessageSecurityMode.Sign,
    "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt,
}
_LIB_ERRORS = (UaError, OSError, asyncio.TimeoutError, ConnectionError)


def _quality(status: ua.StatusCode | None) -> Quality:
    if status is None or status.is_good():
        return "good"
    if status.is_uncertain():
        return "uncertain"
    return "bad"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None


def _app_uri_of(cert_path: str) -> str | None:
    with open(cert_path, "rb") as fh:
        data = fh.read()
    try:
        cert = x509.load_der_x509_certificate(data)
    except ValueError:
        cert = x509.load_pem_x509_certificate(data)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


class OpcUaSource:
    """An OPC-UA server read through one subscription (or by polling)."""

    type: SourceType = "opcua"

    def __init__(self, cfg: OpcUaSourceConfig, config: ConnectorsConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self._root = config
        self._password = config.password(cfg.name)
        self._client: Client | None = None
        self._nodes: list[Node] = []
        self._tag_of: dict[str, str] = {}
        self._sub: Subscription | None = None
        self._lost: asyncio.Event = asyncio.Event()

    async def connect(self) -> None:
        """Open a fresh client, secure channel and session."""
        await self.close()
        self._lost = asyncio.Event()
        client = Client(self.cfg.endpoint, timeout=self.cfg.timeout_s, watchdog_intervall=1.0)
        sec = self.cfg.security
        try:
            if sec.policy == "Basic256Sha256":
                assert sec.certificate is not None and sec.private_key is not None
                cert = str(self._root.resolve_path(sec.certificate))
                key = str(self._root.resolve_path(sec.private_key))
                app_uri = _app_uri_of(cert)
                if app_uri:
                    client.application_uri = app_uri
                server_cert = (
                    str(self._root.resolve_path(sec.server_certificate))
                    if sec.server_certificate
                    else None
                )
                await client.set_security(
                    security_policies.SecurityPolicyBasic256Sha256,
                    certificate=cert,
                    private_key=key,
                    server_certificate=server_cert,
                    mode=_MODES[sec.mode],
                )
            if self.cfg.auth is not None:
                client.set_user(self.cfg.auth.username)
                if self._password is not None:
                    client.set_password(self._password)
            client.connection_lost_callback = self._on_lost
            await client.connect(auto_reconnect=False)
        except FileNotFoundError as err:
            raise SourceError(
                self.name, f"certificate or key file missing: {err.filename}", transient=False
            ) from err
        except BadUserAccessDenied as err:
            raise SourceError(
                self.name, "server refused the username/password", transient=False
            ) from err
        except (*_LIB_ERRORS, ValueError) as err:
            await _quiet_disconnect(client)
            raise SourceError(self.name, f"cannot connect to {self.cfg.endpoint}: {err!r}") from err
        self._client = client
        self._nodes = [client.get_node(t.node) for t in self.cfg.tags]
        self._tag_of = {
            n.nodeid.to_string(): t.tag for n, t in zip(self._nodes, self.cfg.tags, strict=True)
        }

    async def _on_lost(self, exc: Exception) -> None:
        self._lost.set()

    async def close(self) -> None:
        """Close the session; never raises."""
        client, self._client, self._sub = self._client, None, None
        if client is not None:
            await _quiet_disconnect(client)

    async def read_once(self, timeout_s: float = 5.0) -> dict[str, Reading | str]:
        """Read every node once."""
        client = self._require()
        out: dict[str, Reading | str] = {}
        try:
            values = await client.read_attributes(self._nodes, AttributeIds.Value)
        except _LIB_ERRORS as err:
            raise SourceError(self.name, f"read failed: {err!r}") from err
        now = datetime.now(UTC)
        for tag_cfg, dv in zip(self.cfg.tags, values, strict=True):
            reading = self._reading(tag_cfg.tag, dv, now)
            if isinstance(reading, str):
                out[tag_cfg.tag] = reading
            else:
                out[tag_cfg.tag] = reading
        return out

    def _reading(self, tag: str, dv: ua.DataValue, now: datetime) -> Reading | str:
        status = dv.StatusCode
        if status is not None and status.is_bad():
            return f"bad status {status.name}"
        value = _number(dv.Value.Value if dv.Value is not None else None)
        if value is None:
            return "not a number"
        stamp: datetime = dv.SourceTimestamp or dv.ServerTimestamp or now
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return Reading(tag, stamp, value, _quality(status), self.name)

    def _require(self) -> Client:
        if self._client is None:
            raise SourceError(self.name, "not connected")
        return self._client

    async def run(self, emit: Emit) -> None:
        """Stream values (subscription or polling) until the connection fails."""
        if self.cfg.polling is not None:
            await self._poll(emit, self.cfg.polling.interval_ms / 1000)
        else:
            await self._subscribe(emit)

    async def _poll(self, emit: Emit, interval: float) -> None:
        next_at = time.monotonic()
        while True:
            if self._lost.is_set():
                raise SourceError(self.name, "connection lost")
            result = await self.read_once()
            readings = [r for r in result.values() if isinstance(r, Reading)]
            if readings:
                emit(readings)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _subscribe(self, emit: Emit) -> None:
        client = self._require()
        sub_cfg = self.cfg.subscription
        period = sub_cfg.publishing_interval_ms if sub_cfg else 1000
        try:
            sub = await client.create_subscription(period, None, queue_maxsize=100_000)
            self._sub = sub
            await self._monitor(sub)
        except _LIB_ERRORS as err:
            raise SourceError(self.name, f"subscription failed: {err!r}") from err
        consumer = asyncio.create_task(self._consume(sub, emit))
        lost = asyncio.create_task(self._lost.wait())
        try:
            done, _ = await asyncio.wait({consumer, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            consumer.cancel()
            lost.cancel()
        if consumer in done:
            consumer.result()
        raise SourceError(self.name, "connection lost (server gone or restarted)")

    async def _consume(self, sub: Subscription, emit: Emit) -> None:
        async for ev in sub:
            if isinstance(ev, StatusChangeEvent):
                raise SourceError(self.name, f"subscription status {ev.notification.Status}")
            if isinstance(ev, DataChangeEvent):
                tag = self._tag_of.get(ev.node.nodeid.to_string())
                if tag is None:
                    continue
                r = self._reading(tag, ev.data.monitored_item.Value, datetime.now(UTC))
                if isinstance(r, Reading):
                    emit((r,))
        raise SourceError(self.name, "subscription closed")

    async def _monitor(self, sub: Subscription) -> None:
        default_db = self.cfg.subscription.deadband if self.cfg.subscription else 0.0
        plain: list[Node] = []
        banded: dict[float, list[Node]] = {}
        for node, tag_cfg in zip(self._nodes, self.cfg.tags, strict=True):
            db = tag_cfg.deadband if tag_cfg.deadband is not None else default_db
            if db > 0:
                banded.setdefault(db, []).append(node)
            else:
                plain.append(node)
        results: list[Any] = []
        if plain:
            results += await sub.subscribe_data_change(plain, queuesize=1)
        for db, nodes in banded.items():
            results += await sub.deadband_monitor(nodes, ua.Double(db), queuesize=1)
        bad = [r for r in results if isinstance(r, ua.StatusCode)]
        if bad:
            log.warning("%s: %d node(s) could not be monitored: %s", self.name, len(bad), bad[:3])


async def _quiet_disconnect(client: Client) -> None:
    try:
        async with asyncio.timeout(3):
            await client.disconnect()
    except Exception:  # closing a dead connection: nothing useful to report
        log.debug("disconnect failed", exc_info=True)
