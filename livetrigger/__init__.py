"""livetrigger: TikTok LIVE events to MQTT, GPIO and webhooks."""

__version__ = "0.1.0"
