"""TLS settings checked at load the way the MQTT client will use them, and TLS failures at
connect told apart (issue 19, items 9 and 10).

A missing CA file or a certificate without its key used to pass `check` and end `run` in a
traceback from inside paho; now each is a config problem at its key's line. At connect, a
broker whose certificate the CA did not sign, a certificate for another host name, and a
plain (non-TLS) port each get their own sentence.
"""

from __future__ import annotations

import errno
import os
import ssl
from pathlib import Path

from livetrigger.settings import TlsSettings

Problem = tuple[tuple[str | int, ...], str]
# X509_V_ERR_HOSTNAME_MISMATCH, _EMAIL_MISMATCH, _IP_ADDRESS_MISMATCH
_NAME_MISMATCH = frozenset({62, 63, 64})


class _EncryptedKey(Exception):
    pass


def tls_problems(tls: TlsSettings, where: tuple[str | int, ...]) -> list[Problem]:
    """Every problem with the files in ``tls``, each at the key that names the file."""
    problems: list[Problem] = []
    files = {"ca_file": tls.ca_file, "cert_file": tls.cert_file, "key_file": tls.key_file}
    for key, name in files.items():
        if name is not None:
            problem = _readable(name)
            if problem:
                problems.append(((*where, key), problem))
    if problems:
        return problems
    if tls.key_file and not tls.cert_file:
        return [((*where, "key_file"), "key_file needs cert_file (the client certificate)")]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if tls.ca_file:
        try:
            context.load_verify_locations(tls.ca_file)
        except (ssl.SSLError, ValueError):
            problems.append(
                (
                    (*where, "ca_file"),
                    f"{tls.ca_file} holds no PEM certificate (-----BEGIN CERTIFICATE-----);"
                    " give the CA certificate that signed the broker's certificate",
                )
            )
    if tls.cert_file:
        problem = _cert_problem(context, tls.cert_file, tls.key_file)
        if problem:
            problems.append(((*where, "key_file" if tls.key_file else "cert_file"), problem))
    return problems


def _readable(name: str) -> str | None:
    path = Path(name)
    if not path.exists():
        return f"{name} does not exist (relative paths start in the daemon's working directory)"
    if not path.is_file():
        return f"{name} is not a file"
    if not os.access(path, os.R_OK):
        return f"{name} is not readable by this user; check its owner and mode"
    return None


def _cert_problem(context: ssl.SSLContext, cert: str, key: str | None) -> str | None:
    def no_passphrase() -> bytes:
        raise _EncryptedKey

    try:
        context.load_cert_chain(cert, key, password=no_passphrase)
    except _EncryptedKey:
        return (
            f"the private key in {key or cert} is encrypted; livetrigger cannot ask for a"
            " passphrase: store it decrypted with owner-only permissions"
        )
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc):
            return f"{key} is not the private key of the certificate in {cert}"
        if key is None:
            return (
                f"{cert} holds no private key (or is not a PEM certificate): give key_file,"
                " the client certificate's private key"
            )
        return f"{cert} / {key}: not a PEM certificate and its private key ({exc.reason})"
    return None


def describe_tls_failure(exc: BaseException, host: str, port: int) -> str | None:
    """A TLS connect failure in a sentence naming its cause, or None when ``exc`` is not about
    TLS (refused, DNS, ...: the caller words those)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = str(exc.verify_message or "untrusted").rstrip(".")
        if exc.verify_code in _NAME_MISMATCH:
            return (
                f"hostname mismatch: the broker's certificate is not for {host!r} ({detail});"
                " set mqtt.host to a name the certificate lists"
            )
        return (
            f"certificate verify failed: {detail}; is mqtt.tls.ca_file the CA that signed"
            " the broker's certificate?"
        )
    plain_port = (
        f"protocol: the TLS handshake failed on {host}:{port}; is this port a TLS listener"
        " (plain MQTT is usually 1883, TLS 8883)?"
    )
    if isinstance(exc, ssl.SSLError):
        if isinstance(exc, ssl.SSLEOFError) or "WRONG_VERSION_NUMBER" in str(exc):
            return plain_port
        return f"protocol: the TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) == errno.ECONNRESET:
        return plain_port
    return None
