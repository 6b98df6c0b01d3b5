"""A vessel simulator: live OPC-UA and Modbus servers for a register, and fast history."""

from connectors.simulator.history import SimulatedFault, SimulatedHistory, simulate_history
from connectors.simulator.register import SimRegister, SimSensor, load_register
from connectors.simulator.server import SimulatorInfo, VesselSimulator, serve_simulator
from connectors.simulator.signals import Degradation, SignalModel

__all__ = [
    "Degradation",
    "SignalModel",
    "SimRegister",
    "SimSensor",
    "SimulatedFault",
    "SimulatedHistory",
    "SimulatorInfo",
    "VesselSimulator",
    "load_register",
    "serve_simulator",
    "simulate_history",
]
