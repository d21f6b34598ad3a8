"""Features: what hears every event and state change besides the rules (Home Assistant,
the dashboard, the state directory, the MQTT event stream, metrics). docs/extending.md says how
to add one."""
