"""Live equipment values from OPC-UA, Modbus TCP and MQTT into the readings store."""

from connectors import simulator
from connectors.buffer import ReadingBuffer
from connectors.check import check_connectors
from connectors.config import (
    ConnectorsConfig,
    ModbusSourceConfig,
    MqttSourceConfig,
    OpcUaSourceConfig,
    load_config,
    parse_config,
)
from connectors.errors import (
    ConfigError,
    ConnectorError,
    SinkRejected,
    SinkUnavailable,
    SourceError,
)
from connectors.models import (
    AlarmEvent,
    CheckReport,
    CheckRow,
    Reading,
    SensorSpec,
    SourceHealth,
    SourceSnapshot,
    TagValue,
)
from connectors.ports import (
    AlarmHandler,
    ReadingSink,
    RunningHoursHook,
    SensorCatalog,
    StaticCatalog,
)
from connectors.runtime import ConnectorRuntime
from connectors.settings import ConnectorsSettings

__all__ = [
    "AlarmEvent",
    "AlarmHandler",
    "CheckReport",
    "CheckRow",
    "ConfigError",
    "ConnectorError",
    "ConnectorRuntime",
    "ConnectorsConfig",
    "ConnectorsSettings",
    "ModbusSourceConfig",
    "MqttSourceConfig",
    "OpcUaSourceConfig",
    "Reading",
    "ReadingBuffer",
    "ReadingSink",
    "RunningHoursHook",
    "SensorCatalog",
    "SensorSpec",
    "SinkRejected",
    "SinkUnavailable",
    "SourceError",
    "SourceHealth",
    "SourceSnapshot",
    "StaticCatalog",
    "TagValue",
    "check_connectors",
    "load_config",
    "parse_config",
    "simulator",
]
