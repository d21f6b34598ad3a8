"""Device latency: event received → packet at a receiver, for sACN, Art-Net, OSC, serial and
sound, through the whole daemon (rules, dispatcher queue per device, the device outlet, the
device kind).

    .venv/bin/python bench/devices_latency.py [--events 500] [--gap 0.04] [--sound-every 10]

A daemon on a toy platform (no network to a live room) runs two rules: a Rose sets DMX
channel 1 to 255 on an sACN and an Art-Net device, a Lion sets it to 0; both send an OSC
message whose argument is the event's number. Plain UDP sockets on loopback stand in for the
receivers and note the arrival time of the packet that carries the event's change. A serial
action writes the event's number as a line to a pty pair, whose other end the bench reads
(the line's arrival). Every ``--sound-every``th event also plays a 5 ms sound on miniaudio's
null backend, which pulls frames in real time like a sound card; a wrapper notes when the
backend pulls the sound's first frames. (Sounds play one at a time per output and each holds
it until stopped: back to back they would queue, so they are spaced to find an idle output.)
Events are ``--gap`` apart (above the DMX engine's 1/44 s between frames, so no frame is
coalesced).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pythonosc.osc_message import OscMessage

from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon
from livetrigger.devices.sound import SoundOutput
from tests.support.toy_platform import ToyPlatform

CONFIG = """
devices:
  stage: {{sacn: {{universe: 1, destination: 127.0.0.1, port: {sacn}, queue_size: 1000}}}}
  bar: {{artnet: {{host: 127.0.0.1, port: {artnet}, queue_size: 1000}}}}
  qlc: {{osc: {{host: 127.0.0.1, port: {osc}, queue_size: 1000}}}}
  arduino: {{serial: {{port: {serial}, baud: 115200, queue_size: 1000}}}}
  speaker: {{sound: {{backend: silent, queue_size: 1000}}}}
rooms:
  - username: "@toy"
    rules:
      - id: rose
        on: gift
        gift: Rose
        do:
          - dmx: {{device: stage, channels: {{1: 255}}}}
          - dmx: {{device: bar, channels: {{1: 255}}}}
          - osc: {{device: qlc, address: /gift, args: ["{{{{ repeat_count }}}}"]}}
          - serial: {{device: arduino, line: "N {{{{ repeat_count }}}}"}}
      - id: lion
        on: gift
        gift: Lion
        do:
          - dmx: {{device: stage, channels: {{1: 0}}}}
          - dmx: {{device: bar, channels: {{1: 0}}}}
          - osc: {{device: qlc, address: /gift, args: ["{{{{ repeat_count }}}}"]}}
          - serial: {{device: arduino, line: "N {{{{ repeat_count }}}}"}}
      - id: tick
        on: gift
        if: repeat_count % {every} == 1
        do:
          - sound: {{device: speaker, file: {sound}}}
"""


class Arrivals(asyncio.DatagramProtocol):
    """Each datagram's arrival time and what it carries: channel 1, or the OSC argument."""

    def __init__(self, read: Any) -> None:
        self.read = read
        self.seen: list[tuple[float, Any]] = []
        self.changed = asyncio.Event()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.seen.append((time.time(), self.read(data)))
        self.changed.set()

    async def arrival(self, value: Any, since: int) -> tuple[float, int]:
        while True:
            for i in range(since, len(self.seen)):
                if self.seen[i][1] == value:
                    return self.seen[i][0], i + 1
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 10)


class PtyArrivals(Arrivals):
    """Each line's arrival time at the far end of a pty pair (the daemon's serial port)."""

    def __init__(self, master: int) -> None:
        super().__init__(None)
        self.master = master
        self.pending = b""

    def readable(self) -> None:
        now = time.time()
        self.pending += os.read(self.master, 4096)
        *lines, self.pending = self.pending.split(b"\n")
        self.seen += [(now, line.decode()) for line in lines]
        self.changed.set()


class SoundArrivals(Arrivals):
    """When the null backend pulls a sound's first frames (in miniaudio's audio thread)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(None)
        self.loop = loop
        self.count = 0
        stream = SoundOutput._stream

        def noted(output: SoundOutput, *args: Any) -> Any:
            inner = stream(output, *args)
            wanted = yield next(inner)  # primed by the device: no frame yet
            first = True
            while True:
                try:
                    chunk = inner.send(wanted)
                except StopIteration:
                    return
                if first and len(chunk):
                    first = False
                    self.count += 1
                    self.loop.call_soon_threadsafe(self.note, time.time(), self.count)
                wanted = yield chunk

        SoundOutput._stream = noted  # type: ignore[method-assign]

    def note(self, at: float, count: int) -> None:
        self.seen.append((at, count))
        self.changed.set()


def short_sound(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(
            b"".join(
                int(8000 * math.sin(2 * math.pi * 440 * i / 48_000)).to_bytes(
                    2, "little", signed=True
                )
                for i in range(240)  # 5 ms
            )
        )
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def main(events: int, gap: float, every: int) -> None:
    loop = asyncio.get_running_loop()
    ports = {"sacn": free_port(), "artnet": free_port(), "osc": free_port()}
    readers = {
        "sacn": lambda d: d[126] if len(d) > 126 else None,  # slot data from byte 126
        "artnet": lambda d: d[18] if len(d) > 18 else None,  # ArtDmx data from byte 18
        "osc": lambda d: OscMessage(d).params[0],
    }
    receivers: dict[str, Arrivals] = {}
    for name, port in ports.items():
        _, protocol = await loop.create_datagram_endpoint(
            lambda r=readers[name]: Arrivals(r), local_addr=("127.0.0.1", port)
        )
        receivers[name] = protocol
    master, slave = os.openpty()
    os.set_blocking(master, False)
    serial = PtyArrivals(master)
    loop.add_reader(master, serial.readable)
    receivers["serial"] = serial
    receivers["sound"] = SoundArrivals(loop)
    toy = ToyPlatform()
    with tempfile.TemporaryDirectory() as tmp:
        sound = short_sound(Path(tmp) / "tick.wav")
        config = load_config_text(
            CONFIG.format(**ports, serial=os.ttyname(slave), sound=sound, every=every)
        )
        daemon = Daemon(config, persist=False, status_path=Path(tmp) / "s.sock", platform=toy)
        run = asyncio.create_task(daemon.run())
        while "toy" not in toy.sources:
            await asyncio.sleep(0.01)
        await toy.sources["toy"].connected.wait()
        user = ev.User(id=1, unique_id="bench", nickname="bench")
        latency: dict[str, list[float]] = {name: [] for name in receivers}
        marks = dict.fromkeys(receivers, 0)
        for n in range(1, events + 1):
            rose = n % 2 == 1
            sent = time.time()
            toy.emit(
                "toy",
                ev.GiftEvent(
                    user=user,
                    gift_id=5655 if rose else 6369,
                    gift_name="Rose" if rose else "Lion",
                    diamonds=1,
                    repeat_count=n,
                    received_at=sent,
                ),
            )
            expected = {
                "sacn": 255 if rose else 0,
                "artnet": 255 if rose else 0,
                "osc": str(n),
                "serial": f"N {n}",
                "sound": n // every + 1,
            }
            for name, receiver in receivers.items():
                if name == "sound" and n % every != 1 % every:
                    continue
                at, marks[name] = await receiver.arrival(expected[name], marks[name])
                latency[name].append(at - sent)
            await asyncio.sleep(max(0.0, sent + gap - time.time()))
        daemon.request_stop()
        await run
    loop.remove_reader(master)
    os.close(master)
    os.close(slave)
    print(
        f"{events} events {gap * 1000:.0f} ms apart; Python {platform.python_version()}, "
        f"{platform.machine()}, {platform.system()} {platform.release()}"
    )
    print("| protocol | p50 | p99 | max |\n| --- | ---: | ---: | ---: |")
    for name, values in latency.items():
        ms = [v * 1000 for v in values]
        print(
            f"| {name} | {statistics.median(ms):.2f} ms | {pct(ms, 99):.2f} ms | {max(ms):.2f} ms |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--gap", type=float, default=0.04, help="seconds between events")
    parser.add_argument("--sound-every", type=int, default=10, help="a sound every N events")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.gap, args.sound_every))
