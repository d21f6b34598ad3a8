"""livetrigger: TikTok LIVE events to MQTT, GPIO, webhooks, lights, DMX, OSC, OBS and sound."""

__version__ = "0.1.0"
