"""Live equipment values from OPC-UA, Modbus TCP and MQTT into the readings store."""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from connectors.simulator import (
        Degradation,
        SignalModel,
        SimRegister,
        SimulatedFault,
        SimulatedHistory,
        SimulatorInfo,
        VesselSimulator,
        load_register,
        serve_simulator,
        simulate_history,
    )

_SIMULATOR = {
    "Degradation",
    "SignalModel",
    "SimRegister",
    "SimulatedFault",
    "SimulatedHistory",
    "SimulatorInfo",
    "VesselSimulator",
    "load_register",
    "serve_simulator",
    "simulate_history",
}


def __getattr__(name: str) -> Any:
    """Import the simulator (asyncua/pymodbus servers, numpy) only when it is used."""
    if name in _SIMULATOR:
        from connectors import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module 'connectors' has no attribute {name!r}")


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
    "Degradation",
    "ModbusSourceConfig",
    "MqttSourceConfig",
    "OpcUaSourceConfig",
    "Reading",
    "ReadingBuffer",
    "ReadingSink",
    "RunningHoursHook",
    "SensorCatalog",
    "SensorSpec",
    "SignalModel",
    "SimRegister",
    "SimulatedFault",
    "SimulatedHistory",
    "SimulatorInfo",
    "SinkRejected",
    "SinkUnavailable",
    "SourceError",
    "SourceHealth",
    "SourceSnapshot",
    "StaticCatalog",
    "TagValue",
    "VesselSimulator",
    "check_connectors",
    "load_config",
    "load_register",
    "parse_config",
    "serve_simulator",
    "simulate_history",
]
