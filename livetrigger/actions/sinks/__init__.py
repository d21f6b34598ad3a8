"""Sinks carry out action requests; the only modules that import paho, gpiozero or httpx for
actions. Each translates its library's errors into SinkError."""
