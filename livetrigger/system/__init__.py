"""The daemon's life on the machine: logging, systemd notifications, the service installer and
the TLS trust stores."""
