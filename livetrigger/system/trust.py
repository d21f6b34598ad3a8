"""The TLS trust stores, each loaded once per process and shared by every connection.

Making a verifying TLS context loads a whole CA bundle into OpenSSL: 15-20 ms of CPU here
(several times that on a Pi, on the event loop) and ~0.75 MiB for as long as it lives
(BENCHMARKS.md). httpx made one for each client (the daemon's, each webhook client, and one
per proxy taken from the environment) and websockets one for each wss:// connection; one
context serves any number of connections, so the same two stores are loaded once instead.
Each is what the library would have made itself, so what is trusted does not change.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def http_context() -> ssl.SSLContext:
    """httpx's ``verify=True``: certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``."""
    import httpx  # noqa: PLC0415  (only the HTTP clients ask for it, and they have httpx)

    return httpx.create_ssl_context()


@functools.cache
def websocket_context() -> ssl.SSLContext:
    """What websockets (through asyncio) makes for a wss:// URL: the system's trust store."""
    return ssl.create_default_context()
