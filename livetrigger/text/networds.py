"""Network failures in words a person can act on, not exception class names.

The cause that says what happened is often a few links down the chain (httpx's ConnectError
wraps httpcore's, which wraps the ``ssl`` or ``socket`` error), so the whole chain is read:
a name that does not resolve, a refused connection, a timeout and a TLS failure each get
their own words.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx

_ERRNO = {
    errno.ECONNREFUSED: "the connection was refused (nothing listens there, or a firewall)",
    errno.ECONNRESET: "the connection was reset",
    errno.EHOSTUNREACH: "no route to the host (is the network up?)",
    errno.ENETUNREACH: "the network is unreachable (is Wi-Fi or Ethernet up?)",
    errno.ETIMEDOUT: "the connection timed out",
}
_NO_NAME = "its name does not resolve (DNS down, or a typo in the host name)"
_NAME_TEXTS = ("name or service not known", "nodename nor servname", "name resolution")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_network_error(exc: BaseException, *, connecting: bool = False) -> str:
    """``cannot reach x: <this>``: what went wrong, in a sentence. ``connecting``: ``exc``
    ended an attempt to connect, so a bare timeout is the connection's."""
    chain = list(_chain(exc))
    for link in chain:  # TLS first: a certificate problem is wrapped in a ConnectError
        if isinstance(link, ssl.SSLCertVerificationError):
            why = str(link.verify_message or "untrusted").rstrip(".")
            return f"TLS: its certificate was not accepted ({why})"
        if isinstance(link, ssl.SSLError):
            return (
                f"TLS: the handshake failed ({link.reason or link}; a port without TLS, "
                "or a proxy or captive portal in the way?)"
            )
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "no connection within the timeout (slow or blocked network?)"
    if isinstance(exc, httpx.ProxyError):
        return "the proxy refused or failed (check tiktok.proxy / HTTPS_PROXY)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "it closed the connection mid-answer"
    for link in chain:
        if isinstance(link, socket.gaierror):
            return _NO_NAME
        code = getattr(link, "errno", None)
        if code in _ERRNO:
            return _ERRNO[code]
    if any(isinstance(link, TimeoutError) for link in chain):
        if connecting:
            return "the connection timed out (a firewall dropping it, or the wrong address?)"
        return "it did not answer in time"
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return "it did not answer in time"
    text = " ".join(str(link) for link in chain).lower()
    if any(words in text for words in _NAME_TEXTS):
        return _NO_NAME
    if "refused" in text:
        return _ERRNO[errno.ECONNREFUSED]
    if isinstance(exc, httpx.ConnectError | OSError):
        return "no connection could be made (is the network up?)"
    if isinstance(exc, httpx.HTTPError):
        return "the request failed on the way"
    return str(exc) or "it failed"
