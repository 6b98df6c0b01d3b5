"""MQTT source: subscribes to topics (aiomqtt) and extracts numbers from payloads."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import aiomqtt
from paho.mqtt.client import topic_matches_sub

from connectors.config import ConnectorsConfig, MqttSourceConfig, MqttTag
from connectors.errors import SourceError
from connectors.models import Reading, SourceType
from connectors.mqtt.jsonpath import extract, parse_json_path
from connectors.source import Emit

log = logging.getLogger(__name__)


def payload_value(payload: bytes | bytearray | str, steps: tuple[str | int, ...] | None) -> float:
    """Return the number in an MQTT payload: plain numeric text, or JSON at a path."""
    text = payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload
    text = text.strip()
    if steps is None:
        try:
            return float(text)
        except ValueError:
            doc: Any = json.loads(text)
    else:
        doc = json.loads(text)
        doc = extract(doc, steps)
    if isinstance(doc, bool):
        return 1.0 if doc else 0.0
    if isinstance(doc, int | float):
        return float(doc)
    if isinstance(doc, str):
        return float(doc)
    raise ValueError(f"payload value {doc!r} is not a number")


class MqttSource:
    """An MQTT broker; each configured topic (and JSON path) feeds one tag."""

    type: SourceType = "mqtt"

    def __init__(self, cfg: MqttSourceConfig, config: ConnectorsConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self._password = config.password(cfg.name)
        self._client: aiomqtt.Client | None = None
        self._paths: list[tuple[MqttTag, tuple[str | int, ...] | None]] = [
            (t, parse_json_path(t.json_path) if t.json_path else None) for t in cfg.tags
        ]
        self.parse_errors = 0

    async def connect(self) -> None:
        """Connect to the broker and subscribe to every topic."""
        await self.close()
        client = aiomqtt.Client(
            self.cfg.host,
            self.cfg.port,
            username=self.cfg.auth.username if self.cfg.auth else None,
            password=self._password,
            identifier=self.cfg.client_id or f"bosun-{self.name}-{uuid.uuid4().hex[:8]}",
            timeout=5,
            keepalive=15,
        )
        try:
            await client.__aenter__()
        except (aiomqtt.MqttError, OSError) as err:
            raise SourceError(self.name, f"cannot connect to {self.cfg.broker}: {err}") from err
        self._client = client
        try:
            for topic in sorted({t.topic for t in self.cfg.tags}):
                await client.subscribe(topic, qos=self.cfg.qos)
        except aiomqtt.MqttError as err:
            await self.close()
            raise SourceError(self.name, f"subscribe failed: {err}") from err

    async def close(self) -> None:
        """Disconnect; never raises."""
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.__aexit__(None, None, None)
            except Exception:
                log.debug("mqtt disconnect failed", exc_info=True)

    def _readings(self, message: aiomqtt.Message) -> list[Reading]:
        topic = str(message.topic)
        now = datetime.now(UTC)
        out: list[Reading] = []
        payload = message.payload
        if not isinstance(payload, bytes | bytearray | str):
            return out
        for tag_cfg, steps in self._paths:
            if not topic_matches_sub(tag_cfg.topic, topic):
                continue
            try:
                value = payload_value(payload, steps)
            except (ValueError, KeyError, UnicodeDecodeError) as err:
                self.parse_errors += 1
                log.warning("%s: %s on %s: %s", self.name, tag_cfg.tag, topic, err)
                continue
            out.append(Reading(tag_cfg.tag, now, value, "good", self.name))
        return out

    async def run(self, emit: Emit) -> None:
        """Deliver readings as messages arrive until the broker connection fails."""
        client = self._client
        if client is None:
            raise SourceError(self.name, "not connected")
        try:
            async for message in client.messages:
                readings = self._readings(message)
                if readings:
                    emit(readings)
        except aiomqtt.MqttError as err:
            raise SourceError(self.name, f"connection to {self.cfg.broker} lost: {err}") from err
        raise SourceError(self.name, "broker closed the connection")

    async def read_once(self, timeout_s: float = 5.0) -> dict[str, Reading | str]:
        """Wait up to `timeout_s` s for one message per tag (retained messages come at once)."""
        client = self._client
        if client is None:
            raise SourceError(self.name, "not connected")
        want = {t.tag for t in self.cfg.tags}
        out: dict[str, Reading | str] = {}

        async def collect() -> None:
            async for message in client.messages:
                for r in self._readings(message):
                    out.setdefault(r.tag, r)
                if want <= out.keys():
                    return

        try:
            async with asyncio.timeout(timeout_s):
                await collect()
        except TimeoutError:
            pass
        except aiomqtt.MqttError as err:
            raise SourceError(self.name, f"connection lost: {err}") from err
        for tag in want - out.keys():
            out[tag] = f"no message within {timeout_s:g}s"
        return out
