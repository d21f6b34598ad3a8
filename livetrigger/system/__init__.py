"""The daemon's life on the machine: logging, systemd notifications, the service installer,
the TLS trust stores, early signals, and the rate limits and results of commands from
outside."""
