"""Network failures in words a person can act on, not exception class names."""

from __future__ import annotations

import errno
import ssl

import httpx

_ERRNO = {
    errno.ECONNREFUSED: "the connection was refused (nothing listens there, or a firewall)",
    errno.ECONNRESET: "the connection was reset",
    errno.EHOSTUNREACH: "no route to the host (is the network up?)",
    errno.ENETUNREACH: "the network is unreachable (is Wi-Fi or Ethernet up?)",
    errno.ETIMEDOUT: "the connection timed out",
}


def describe_network_error(exc: BaseException) -> str:
    """``cannot reach x: <this>``: what went wrong, in a sentence."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "no connection within the timeout (slow or blocked network?)"
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout | TimeoutError):
        return "it did not answer in time"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its TLS certificate was not accepted ({exc.verify_message or 'untrusted'})"
    if isinstance(exc, ssl.SSLError):
        return "the TLS handshake failed (a proxy or captive portal in the way?)"
    if isinstance(exc, httpx.ProxyError):
        return "the proxy refused or failed (check tiktok.proxy / HTTPS_PROXY)"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "it closed the connection mid-answer"
    if isinstance(exc, httpx.ConnectError | OSError):
        cause = exc.__cause__ or exc.__context__ or exc
        code = getattr(cause, "errno", None) or getattr(exc, "errno", None)
        if code in _ERRNO:
            return _ERRNO[code]
        text = str(exc).lower()
        if (
            "name or service not known" in text
            or "nodename nor servname" in text
            or ("temporary failure in name resolution" in text)
        ):
            return "its name does not resolve (DNS down, or a typo in the URL)"
        if "refused" in text:
            return _ERRNO[errno.ECONNREFUSED]
        return "no connection could be made (is the network up?)"
    if isinstance(exc, httpx.HTTPError):
        return "the request failed on the way"
    return str(exc) or "it failed"
