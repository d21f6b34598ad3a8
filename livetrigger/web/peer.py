"""Which local user opened a TCP connection to the dashboard (Linux): the owner of the
client's socket, read from the kernel's socket table (/proc/self/net/tcp and tcp6).

The dashboard hands its token only to a user who could open the status socket (mode 0600:
the daemon's own user, or root), so any other user of the machine must know the token to act.
Where the table cannot be read (another system, a hardened /proc) nobody is trusted this way
and the page asks for the token.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from livetrigger.web.hosts import Address, address

TABLES = (Path("/proc/self/net/tcp"), Path("/proc/self/net/tcp6"))


def _endpoint(hexed: str) -> tuple[Address, int]:
    """``0100007F:1F90`` -> (127.0.0.1, 8080): 32-bit words in host byte order, then the port."""
    ip_hex, _, port_hex = hexed.partition(":")
    raw = b"".join(
        int(ip_hex[i : i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(ip_hex), 8)
    )
    ip = ipaddress.ip_address(raw)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, int(port_hex, 16)
    return ip, int(port_hex, 16)


def socket_owner(client: tuple[str, int], server: tuple[str, int]) -> int | None:
    """The uid owning the socket at ``client`` connected to ``server`` (this process's end),
    or None when it is not in this machine's table (another host) or the table is unreadable."""
    want_client = address(client[0]), client[1]
    want_server = address(server[0]), server[1]
    port = f":{client[1]:04X}"  # a cheap filter before the addresses are parsed
    for table in TABLES:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 8 or not fields[1].endswith(port):
                continue
            try:
                local, remote = _endpoint(fields[1]), _endpoint(fields[2])
                if local == want_client and remote == want_server:
                    return int(fields[7])
            except ValueError:
                continue
    return None
