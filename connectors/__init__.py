"""Live equipment values from OPC-UA, Modbus TCP and MQTT into the readings store."""
