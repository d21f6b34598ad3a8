"""What the MQTT order guarantee costs: trigger throughput at ``mqtt.max_inflight`` 1 (the
default, order through any outage) against 10 and 20, to a local Mosquitto and through a
proxy that delays each direction (a broker across a LAN, a VPN or the internet).

    .venv/bin/python bench/mqtt_inflight.py [--messages 2000] [--inflight 1,10,20] [--rtt-ms 0,2,20]

Each run queues ``--messages`` QoS 1 triggers at once on the real path (Dispatcher -> MqttSink
-> MqttClient -> paho) and times them until the last is acknowledged by the broker; a
subscriber on the broker checks they all arrived, in order. The delaying proxy runs on its own
thread and event loop and holds every chunk for half the round trip in each direction,
keeping order. Starts its own Mosquitto on a free loopback port.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from livetrigger.actions import MqttPublish
from livetrigger.actions.sinks.mqtt import MqttClient, MqttSink
from livetrigger.daemon.dispatch import Dispatcher, QueuePolicy
from livetrigger.settings import MqttSettings
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker


class DelayProxy:
    """127.0.0.1:port -> target, every chunk held ``one_way`` seconds in each direction."""

    def __init__(self, target_port: int, one_way: float) -> None:
        self.target_port = target_port
        self.one_way = one_way
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self._ready.set()
        async with server:
            await self._stop.wait()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(
                self._pipe(reader, up_w), self._pipe(up_r, writer), return_exceptions=True
            )
            up_w.close()
        except asyncio.CancelledError:
            pass  # the proxy is closing
        writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await held.get()
                if not data:
                    writer.close()
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()

        task = asyncio.create_task(deliver())
        while True:
            data = await reader.read(65536)
            held.put_nowait((time.monotonic() + self.one_way, data))
            if not data:
                break
        await task

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


async def run_once(broker: MosquittoBroker, port: int, inflight: int, messages: int) -> float:
    """Seconds from queueing ``messages`` triggers to the broker's last acknowledgement."""
    topic = f"inflight/{inflight}/{port}"
    listener = Listener(broker.port, topic)
    client = MqttClient(
        MqttSettings(
            host="127.0.0.1", port=port, client_id=f"inflight-{inflight}", max_inflight=inflight
        )
    )
    await client.start()
    assert await client.wait_connected(30), "no connection"
    dispatcher = Dispatcher(
        {"mqtt": MqttSink(client)}, policies={"mqtt": QueuePolicy(size=messages + 1)}
    )
    try:
        start = time.perf_counter()
        for n in range(messages):
            dispatcher.submit(MqttPublish(rule_id="b", topic=topic, payload=str(n).encode()))
        while dispatcher.pending() or client.triggers_in_flight():
            await asyncio.sleep(0.005)  # (polling faster steals the GIL from paho's thread)
        took = time.perf_counter() - start
        got = await asyncio.to_thread(listener.wait_for, messages, 60.0)
        values = [int(m.payload) for m in got]
        assert values == list(range(messages)), "lost or out of order"
        return took
    finally:
        await dispatcher.aclose(1)
        await client.aclose()
        listener.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--inflight", default="1,10,20")
    ap.add_argument("--rtt-ms", default="0,2,20", help="round trips to add through the proxy")
    ap.add_argument("--runs", type=int, default=3, help="runs per cell (the median is shown)")
    args = ap.parse_args()
    windows = [int(x) for x in args.inflight.split(",")]
    rtts = [float(x) for x in args.rtt_ms.split(",")]
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}; {args.messages} QoS 1 triggers per run, "
        f"median of {args.runs}"
    )
    print(f"{'added RTT':>10} " + "".join(f"{'max_inflight ' + str(w):>18}" for w in windows))
    with tempfile.TemporaryDirectory() as tmp, MosquittoBroker(Path(tmp)) as broker:
        for rtt in rtts:
            proxy = DelayProxy(broker.port, rtt / 2000) if rtt > 0 else None
            port = proxy.port if proxy else broker.port
            cells = []
            for w in windows:
                # far fewer at a long round trip with one in flight: 2000 x 20 ms is 40 s a run
                n = (
                    args.messages
                    if w * 1000 / max(rtt, 0.001) >= 200
                    else max(100, args.messages // 10)
                )
                took = statistics.median(
                    [await run_once(broker, port, w, n) for _ in range(args.runs)]
                )
                cells.append(f"{n / took:>12,.0f} msg/s")
            print(f"{rtt:>7g} ms " + "".join(f"{c:>18}" for c in cells))
            if proxy:
                proxy.close()


if __name__ == "__main__":
    asyncio.run(main())
