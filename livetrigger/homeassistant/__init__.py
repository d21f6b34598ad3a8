"""Home Assistant: each room as a device over MQTT discovery (pure documents + an I/O bridge)."""
