"""End to end through the whole daemon, and what it costs: the daemon runs in a subprocess
(tests/support/daemon_main.py, MockFactory pins) against the fake room in this process.

    .venv/bin/python bench/e2e.py [--seconds 10] [--rates 100,1000,2000,5000] [--json out.json]
    .venv/bin/python bench/e2e.py --seconds 60 --search 1000,2000 [--json out.json]

Latency is measured from the moment the fake room hands a frame to its socket to: the MQTT
message at a subscriber (every chat → one QoS 1 publish whose payload is the send time), the
webhook request at a local server (one chat in ten), and the pin change in the daemon's pin
log (one gift in a hundred toggles a pin). Per rate: p50/p99/max, and whether the backlog grew
(the median latency of the run's last tenth against its first tenth). ``--search`` bisects for
the highest rate that holds for the whole run: every message delivered, no growing backlog. Resources: RSS idle and under
load, CPU per 1,000 messages, start-up time to the first connection attempt, import time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from livetrigger import events as ev
from livetrigger.simulator import wire
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from tests.support.mosquitto import MosquittoBroker

CONFIG = """\
tiktok: {{web_url: "{url}", webcast_url: "{url}", sign_url: "{url}", live_check_interval: 100ms,
         stall_timeout: 30s}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: lt-e2e}}
homeassistant: {{discovery: false}}
gpio: {{pin_factory: mock, outputs: {{lamp: {{pin: 17}}}}}}
webhooks: {{hook: {{url: "{hook}", retries: 0}}}}
daemon: {{status_socket: "{tmp}/s.sock", state_dir: "{tmp}/state", log_level: warning}}
rooms:
  - username: "@demo_streamer"
    rules:
      - id: every_chat
        on: chat
        do: [{{mqtt: {{topic: "e2e/chat", payload: "{{{{ text }}}}"}}}}]
      - id: some_chats
        on: chat
        when: {{text: {{endswith: "0"}}}}
        do: [{{webhook: {{endpoint: hook, body: "{{{{ text }}}}"}}}}]
      - id: gift_pin
        on: gift
        do: [{{gpio: {{output: lamp, action: toggle}}}}]
"""


def proc_stat(pid: int) -> tuple[float, int]:
    """(cpu seconds, rss bytes) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rates", default="100,1000,2000,5000")
    ap.add_argument("--json", help="write the figures here (for bench/plot.py)")
    ap.add_argument("--search", metavar="LO,HI",
                    help="bisect for the highest sustained rate between LO (holds) and HI (does not)")
    args = ap.parse_args()
    out: dict[str, object] = {"python": platform.python_version(), "machine": platform.machine(),
                              "cpus": os.cpu_count(), "rates": []}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import livetrigger.daemon"], check=True)
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    out["import_ms"] = round((import_s - (time.perf_counter() - t0)) * 1000, 1)

    with tempfile.TemporaryDirectory() as tmpdir, MosquittoBroker(Path(tmpdir) / "b") as broker:
        tmp = Path(tmpdir)
        mqtt_lat: list[tuple[float, float]] = []  # (received, latency)
        lock = threading.Lock()

        def on_message(c: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
            now = time.time()
            with lock:
                mqtt_lat.append((now, now - float(msg.payload.split(b"|")[0])))

        sub = paho.Client(CallbackAPIVersion.VERSION2, client_id="e2e-sub")
        ready = threading.Event()
        sub.on_connect = lambda c, *a: c.subscribe("e2e/#", qos=0)
        sub.on_subscribe = lambda *a: ready.set()
        sub.on_message = on_message
        sub.connect("127.0.0.1", broker.port)
        sub.loop_start()
        ready.wait(5)
        hook_lat: list[float] = []
        async with FakeLiveRoom() as room, WebhookReceiver() as rx:
            rx.on_call = lambda call: hook_lat.append(time.time() - float(call.body.split(b"|")[0]))
            cfg = tmp / "config.yaml"
            cfg.write_text(CONFIG.format(url=room.base_url, port=broker.port, hook=rx.url, tmp=tmp))
            pins = tmp / "pins.log"
            pins.write_text("")
            started = time.time()
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.support.daemon_main", str(cfg), str(pins)],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "LIVETRIGGER_TEST_LOG_LEVEL": "warning"},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            while not room.sign_requests:
                await asyncio.sleep(0.001)
            out["startup_to_first_connect_ms"] = round((time.time() - started) * 1000, 1)
            client = await room.wait_for_client(20)
            await asyncio.sleep(2.0)
            out["rss_idle_mib"] = round(proc_stat(proc.pid)[1] / 2**20, 1)
            seq = 0

            async def measure(rate: int, seconds: float) -> dict[str, object]:
                nonlocal seq
                mqtt_lat.clear()
                hook_lat.clear()
                pins.write_text("")
                gift_sent: list[float] = []
                per_frame = max(1, rate // 500)  # up to 500 frames/s; more events per frame above
                frame_interval = per_frame / rate
                cpu0, _ = proc_stat(proc.pid)
                start = time.perf_counter()
                n_frames = int(seconds / frame_interval)
                sent_events = 0
                peak_rss = 0
                for i in range(n_frames):
                    await asyncio.sleep(max(0.0, start + i * frame_interval - time.perf_counter()))
                    now = time.time()
                    batch: list[ev.Event] = []
                    for _ in range(per_frame):
                        seq += 1
                        if seq % 100 == 0:
                            batch.append(ev.GiftEvent(msg_id=seq, gift_id=1, gift_name="g", diamonds=1,
                                                      repeat_count=1, total_diamonds=1))
                            gift_sent.append(now)
                        else:
                            batch.append(ev.ChatEvent(msg_id=seq, text=f"{now:.6f}|{seq}"))
                    sent_events += len(batch)
                    data = wire.frame_of_events(batch, log_id=seq)
                    await client.ws.send(data)
                    if i % 200 == 0:
                        peak_rss = max(peak_rss, proc_stat(proc.pid)[1])
                elapsed = time.perf_counter() - start
                chats = sent_events - len(gift_sent)
                # wait for the backlog to drain, so the next rate starts clean
                drain_start = time.perf_counter()
                while len(mqtt_lat) < chats and time.perf_counter() - drain_start < 120:
                    await asyncio.sleep(0.2)
                drained_s = time.perf_counter() - drain_start
                await asyncio.sleep(1.0)
                cpu1, rss = proc_stat(proc.pid)
                lat = [v * 1000 for _, v in mqtt_lat]
                pin_times = [float(line.split()[0]) for line in pins.read_text().splitlines()]
                pin_lat = [(p - g) * 1000 for p, g in zip(pin_times, gift_sent, strict=False)]
                # backlog: the median latency of the last tenth of the run against the first's
                window = max(1.0, seconds / 10)
                t_first = mqtt_lat[0][0] if mqtt_lat else 0
                first = [v * 1000 for t, v in mqtt_lat if t - t_first < window]
                last_s = mqtt_lat[-1][0] if mqtt_lat else 0
                last = [v * 1000 for t, v in mqtt_lat if last_s - t < window]
                row = {
                    "rate": rate,
                    "seconds": seconds,
                    "achieved_rate": round(sent_events / elapsed),
                    "mqtt": {"n": len(lat), "of": chats, "p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat, default=float("nan"))},
                    "webhook": {"n": len(hook_lat), "p50": pct([v * 1000 for v in hook_lat], 50), "p99": pct([v * 1000 for v in hook_lat], 99)},
                    "gpio": {"n": len(pin_lat), "of": len(gift_sent), "p50": pct(pin_lat, 50), "p99": pct(pin_lat, 99)},
                    "backlog_grew": bool(first and last and pct(last, 50) > 4 * max(1.0, pct(first, 50))),
                    "drained_after_s": round(drained_s, 1),
                    "cpu_ms_per_1000_msgs": round((cpu1 - cpu0) / sent_events * 1000 * 1000, 1),
                    "rss_mib": round(max(rss, peak_rss) / 2**20, 1),
                }
                m, g = row["mqtt"], row["gpio"]
                print(
                    f"{rate:>5}/s for {seconds:g} s (sent {row['achieved_rate']}/s): mqtt {m['n']}/{m['of']} p50 {m['p50']:.1f} ms p99 {m['p99']:.1f} ms max {m['max']:.1f} | "  # type: ignore[index]
                    f"webhook p50 {row['webhook']['p50']:.1f} p99 {row['webhook']['p99']:.1f} | gpio {g['n']}/{g['of']} p50 {g['p50']:.1f} p99 {g['p99']:.1f} | "  # type: ignore[index]
                    f"backlog grew: {row['backlog_grew']} | cpu {row['cpu_ms_per_1000_msgs']} ms/1000 msgs | rss {row['rss_mib']} MiB",
                    flush=True,
                )
                return row

            if args.search:
                # the highest rate with no growing backlog over a whole run, by bisection
                lo, hi = (int(x) for x in args.search.split(","))
                tried: list[dict[str, object]] = []
                while hi - lo > max(50, lo // 10):
                    mid = (lo + hi) // 2
                    row = await measure(mid, args.seconds)
                    tried.append(row)
                    if row["backlog_grew"] or row["mqtt"]["n"] < row["mqtt"]["of"]:  # type: ignore[index]
                        hi = mid
                    else:
                        lo = mid
                out["saturation"] = {"seconds": args.seconds, "sustained": lo, "fails_at": hi, "runs": tried}
                print(f"sustained for {args.seconds:g} s: {lo}/s; backlog grows at {hi}/s", flush=True)
            else:
                for rate in (int(r) for r in args.rates.split(",")):
                    out["rates"].append(await measure(rate, args.seconds))  # type: ignore[union-attr]
            proc.terminate()
            proc.wait(10)
            # the daemon's sessions, dedupe window and outbox, as a real run keeps them
            out["state_files"] = sorted(p.name for p in (tmp / "state").iterdir())
        sub.loop_stop()
    print(f"import {out['import_ms']} ms; start-up to first connect {out['startup_to_first_connect_ms']} ms; RSS idle {out['rss_idle_mib']} MiB")
    print(f"daemon state (in the run's temp dir): {', '.join(out['state_files'])}")  # type: ignore[arg-type]
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
