"""Build the Source for a configured source type."""

from __future__ import annotations

from connectors.config import (
    ConnectorsConfig,
    ModbusSourceConfig,
    MqttSourceConfig,
    OpcUaSourceConfig,
)
from connectors.source import Source


def build_source(
    cfg: OpcUaSourceConfig | ModbusSourceConfig | MqttSourceConfig, config: ConnectorsConfig
) -> Source:
    """Return the adapter for one configured source (imported lazily per protocol)."""
    if isinstance(cfg, OpcUaSourceConfig):
        from connectors.opcua.source import OpcUaSource

        return OpcUaSource(cfg, config)
    if isinstance(cfg, ModbusSourceConfig):
        from connectors.modbus.source import ModbusSource

        return ModbusSource(cfg)
    from connectors.mqtt.source import MqttSource

    return MqttSource(cfg, config)
