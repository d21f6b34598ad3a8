from __future__ import annotations

import socket

from tests.support.mosquitto import MosquittoBroker


def test_broker_restarts_on_the_same_port(mosquitto: MosquittoBroker) -> None:
    port = mosquitto.port
    mosquitto.stop()
    assert not mosquitto.running
    mosquitto.start()
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
