"""What the device kinds that speak to their device over the network share (``wled``,
``hue``, and ``livetrigger hue-pair``): the address a config may give, the reason under a
library's wrapping of a network error, and the library imported off the event loop."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
from types import ModuleType

# a device's address: a host name or an IP address, nothing a URL could hide in
HOST = r"[A-Za-z0-9][A-Za-z0-9.-]*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*"
HOST_HELP = "a host name or IP address, like 192.168.1.50 (no http://, no port: see `port`)"


def cause(exc: BaseException) -> str:
    """The reason under a library's wrapping of a network error: "Connection refused"."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno:  # asyncio's text holds the address
            return os.strerror(seen.errno)
        if isinstance(seen, OSError) and seen.strerror:
            return str(seen.strerror)
        seen = seen.__cause__ or seen.__context__
    inner = exc.__cause__ or exc
    return str(inner) or type(inner).__name__


class Library:
    """A device library imported in a worker thread: building ``wled``'s models takes one to
    three seconds here (more on a Pi), which must not stall the event loop at the start, at a
    reload or at the first alert. ``start`` begins at open; ``module`` waits for it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loading: asyncio.Future[ModuleType] | None = None

    def start(self) -> None:
        """Begin importing now, when a loop runs (the device's open); else at first use."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._loading is None:
            self._loading = loop.run_in_executor(None, importlib.import_module, self.name)

    async def module(self) -> ModuleType:
        """The imported module (its ImportError if it cannot be)."""
        self.start()
        assert self._loading is not None
        return await asyncio.shield(self._loading)


def installed(name: str) -> None:
    """ImportError unless the library ``name`` can be imported (found, not loaded)."""
    if importlib.util.find_spec(name) is None:
        raise ImportError(f"the `{name}` library is missing")
