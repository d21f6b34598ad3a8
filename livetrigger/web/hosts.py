"""Which ``Host`` headers the dashboard answers: the names and addresses it is served under.

DNS rebinding points a hostile name at this machine, so the browser sends that name in
``Host``; a page opened under an address carries the address. Accepted are: loopback
addresses and ``localhost``, the address the request arrived on (any interface of a
``0.0.0.0`` listener), the configured ``web.host``, this machine's host name (also with
``.local``, its mDNS name) and ``web.allowed_hosts``. The port is not checked: an SSH or
proxy forward may show another, and a rebinding page cannot change the name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def host_name(header: str) -> str:
    """The name in a Host header, lowercased, without port, brackets or a final dot."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.partition(":")[0].rstrip(".")


def address(text: str) -> Address | None:
    """An IP address (an IPv4-mapped IPv6 one as IPv4), or None for a name."""
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def machine_names() -> set[str]:
    """This machine's host name, short and with .local (how a LAN finds a Pi)."""
    full = socket.gethostname().lower().rstrip(".")
    short = full.partition(".")[0]
    return {n for n in (full, short, f"{short}.local") if n}


class HostCheck:
    def __init__(self, configured: str, allowed: Iterable[str] = ()) -> None:
        extra = {host_name(h) for h in (configured, *allowed)}
        self.names = {"localhost", *machine_names(), *(n for n in extra if address(n) is None)}
        self.addresses = {a for n in extra if (a := address(n)) is not None}

    def allows(self, header: str, local: str | None) -> bool:
        """Whether ``header`` names this server, for a request that arrived on ``local``."""
        name = host_name(header)
        ip = address(name)
        if ip is None:
            return bool(name) and name in self.names
        arrived_on = address(local) if local is not None else None
        return ip.is_loopback or ip in self.addresses or ip == arrived_on
