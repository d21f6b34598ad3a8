"""Network failures read as sentences, from real sockets."""

from __future__ import annotations

import socket

import httpx

from livetrigger.text.networds import describe_network_error


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


def test_refused_connection_is_a_sentence() -> None:
    try:
        httpx.get(f"http://127.0.0.1:{_closed_port()}/", timeout=5)
    except httpx.HTTPError as exc:
        text = describe_network_error(exc)
    else:
        raise AssertionError("a closed port answered")
    assert text.startswith("the connection was refused") and "Error" not in text


def test_timeout_is_a_sentence() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()  # accepts into the backlog, never answers
        port = server.getsockname()[1]
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.2)
        except httpx.HTTPError as exc:
            assert describe_network_error(exc) == "it did not answer in time"
        else:
            raise AssertionError("a silent server answered")
