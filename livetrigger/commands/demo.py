"""``livetrigger demo``: the whole daemon against the built-in fake live room.

Starts the fake room with a scripted show, a local webhook receiver, and (when the config's
broker is not reachable) a private Mosquitto if one is installed; runs the example config
against them with mock GPIO pins, and prints what happens: events, fired rules, actions with
their outcome and latency, and a live line of pin states. Serves the dashboard on a free
loopback port and prints its address; a reload (the dashboard's, or SIGHUP) reads the config
again and keeps the demo's fake room, receiver, broker and pins (``FakeWorld``).

When the dmx and osc extras are installed, the demo's stage joins the config
(``examples/demo-stage.yaml``: an sACN and an OSC device on loopback and a rule driving them),
and the demo prints what its receivers get (``simulator/stage.py``); a runtime-only install
says so in one line and plays the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from livetrigger import events as ev
from livetrigger.actions import ActionRequest, LogMessage
from livetrigger.actions.describe import describe
from livetrigger.commands.check import print_problems
from livetrigger.commands.interrupt import run_until_signalled
from livetrigger.commands.options import speed
from livetrigger.config import Config, load_config, load_config_text
from livetrigger.daemon import Daemon, Hooks
from livetrigger.daemon.dispatch import Outcome
from livetrigger.errors import ConfigError, ConfigFileError
from livetrigger.rules.engine import Firing
from livetrigger.settings import MqttSettings, SignBudget, TikTokSettings
from livetrigger.simulator import stage
from livetrigger.simulator.demo_show import demo_show
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import ReceivedCall, WebhookReceiver
from livetrigger.system.logs import setup_logging

# shipped inside the package (the repository root has a link to it), so pip installs have it too
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "config.example.yaml"
STAGE = EXAMPLE.with_name("demo-stage.yaml")
# a config with its own devices or shared rules keeps them: the stage's would collide
_OWN_STAGE = re.compile(r"^(devices|rules)\s*:", re.M)


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="watch the example rules fire on a built-in fake live room")
    p.add_argument(
        "-c", "--config", default=str(EXAMPLE), help="config to run (default: the example)"
    )
    p.add_argument(
        "--speed", type=speed, default=1.0, help="play the show faster (2 = twice as fast)"
    )
    p.add_argument("--loop", action="store_true", help="replay the show until interrupted")
    p.add_argument(
        "--no-dashboard",
        action="store_true",
        help="do not serve the dashboard (by default on a free loopback port; the address is "
        "printed)",
    )
    p.add_argument("--no-color", action="store_true")
    p.set_defaults(handler=run)


class Console:
    """The demo's output: one line per thing that happened."""

    def __init__(self, out: IO[str], colour: bool) -> None:
        self.out = out
        self.colour = colour
        self.t0 = time.monotonic()
        self.pins: dict[str, float] = {}
        self.outcomes: dict[str, int] = {"ok": 0, "failed": 0, "dropped": 0}

    def _c(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def line(self, text: str) -> None:
        stamp = self._c("2", f"{time.monotonic() - self.t0:6.1f}s")
        print(f"{stamp}  {text}", file=self.out, flush=True)

    def event(self, room: str, e: ev.Event) -> None:
        text = self._describe_event(room, e)
        if text:
            self.line(self._c("1", text))

    @staticmethod
    def _describe_event(room: str, e: ev.Event) -> str | None:
        who = e.user.nickname or e.user.unique_id
        if isinstance(e, ev.GiftEvent):
            if e.streak in (ev.StreakState.START, ev.StreakState.PROGRESS):
                return None  # the streak's end says it all
            return f"🎁 {who} sent {e.repeat_count}× {e.gift_name} ({e.total_diamonds} 💎)"
        if isinstance(e, ev.ChatEvent):
            return f"💬 {who}: {e.text}"
        if isinstance(e, ev.LikeEvent):
            return f"❤️  {who} +{e.count} likes (total {e.total})"
        if isinstance(e, ev.BattleEvent):
            return f"⚔️  battle {e.action}"
        if isinstance(e, ev.BattleEndedEvent):
            return f"🏆 battle {e.result or 'over'} ({e.points} : {e.rival_points})"
        if isinstance(e, ev.RankEvent):
            return f"📈 {e.rank_type} rank #{e.rank}" if e.rank else None
        if isinstance(e, ev.GoalEvent):
            return f"🎯 goal {e.current}/{e.target}" + (" reached!" if e.reached else "")
        if isinstance(e, ev.MessageDeletedEvent):
            return "🧹 a moderator deleted a message"
        if isinstance(e, ev.ConnectedEvent):
            return f"🔌 connected to @{e.unique_id or room}"
        if isinstance(e, ev.LiveStartedEvent):
            return f"🔴 @{e.unique_id or room} is live"
        simple = {
            "join": f"👋 {who} joined",
            "follow": f"➕ {who} followed",
            "share": f"🔗 {who} shared",
            "stream_ended": "🏁 stream ended",
            "waiting": "⏳ waiting for the stream to go live",
        }
        return simple.get(e.kind)

    def firing(self, room: str, f: Firing) -> None:
        label = f" at {f.milestone}" if f.milestone is not None else ""
        self.line(self._c("33", f"   ⚡ rule {f.rule_id} fired{label}"))

    def tested(self, room: str, f: Firing) -> None:
        self.line(self._c("33", f"   🧪 test of rule {f.rule_id} (not counted as a firing)"))

    def action_done(self, request: ActionRequest, outcome: Outcome, seconds: float) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if isinstance(request, LogMessage):
            return  # the log sink printed it already
        mark = {
            "ok": self._c("32", "✓"),
            "failed": self._c("31", "✗"),
            "dropped": self._c("31", "∅"),
        }[outcome]
        self.line(f"      {mark} {describe(request)}  {self._c('2', f'{seconds * 1000:.1f} ms')}")

    def log_line(self, request: ActionRequest, text: str) -> None:
        self.line(f"      {self._c('32', '✓')} log: {text}")

    def pin(self, name: str, value: float) -> None:
        if self.pins.get(name) == value:
            return
        self.pins[name] = value
        states = "  ".join(
            f"{n} {self._c('42;30', ' ON ') if v > 0 else self._c('2', ' off')}"
            for n, v in sorted(self.pins.items())
        )
        self.line(f"      🔌 pins: {states}")

    def stage(self, text: str) -> None:
        self.line(self._c("35", f"      🎛  {text}"))

    def webhook(self, call: ReceivedCall) -> None:
        sig = (
            "signed ✓"
            if call.signature_ok
            else ("unsigned" if call.signature_ok is None else "BAD SIGNATURE")
        )
        self.line(self._c("36", f"      🌐 webhook receiver got {call.method} {call.path} ({sig})"))


def _reachable(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivateBroker:
    """A throwaway Mosquitto on a free loopback port, when one is installed. It runs in a
    session of its own: Ctrl-C signals the terminal's whole process group, and the broker
    must outlive the daemon's stop (its last messages, no "connection lost"); the demo
    stops it after the daemon."""

    def __init__(self) -> None:
        self.binary = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.dir = tempfile.TemporaryDirectory(prefix="livetrigger-demo-")

    def start(self) -> bool:
        if self.binary is None:
            return False
        conf = Path(self.dir.name) / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if _reachable("127.0.0.1", self.port):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        self.dir.cleanup()

    def kill(self) -> None:
        """At once, from a signal handler: the demo ends without its cleanup (a second
        Ctrl-C), and no terminal signal reaches the broker's session."""
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
        shutil.rmtree(self.dir.name, ignore_errors=True)


@dataclasses.dataclass(frozen=True, slots=True)
class FakeWorld:
    """What the demo puts in place of the config's outside world: the fake room for TikTok,
    the broker it found or started, its webhook receiver, mock pins, the dashboard on a free
    loopback port. Applied to the config at start and to each reload of it: a reload changes
    rules and actions, never where the demo's events come from or its actions go."""

    tiktok: TikTokSettings
    room_id: int
    mqtt: MqttSettings | None
    webhook_url: str
    dashboard: bool

    def apply(self, config: Config) -> Config:
        """``config`` with the demo's world in place (its first room only)."""
        return dataclasses.replace(
            config,
            tiktok=self.tiktok,
            mqtt=self.mqtt,
            gpio=dataclasses.replace(config.gpio, pin_factory="mock", inputs=()),
            webhooks=tuple(dataclasses.replace(w, url=self.webhook_url) for w in config.webhooks),
            # the page on this machine only, on a port no other program holds
            web=dataclasses.replace(config.web, enabled=self.dashboard, host="127.0.0.1", port=0),
            rooms=tuple(
                dataclasses.replace(
                    r, settings=dataclasses.replace(r.settings, room_id=self.room_id)
                )
                for r in config.rooms[:1]
            ),
        )


class Hangup:
    """SIGHUP reloads the demo's config, as it does the daemon's (`run`). The demo's daemon
    runs in a worker thread, so the main thread takes the signal and calls this in the loop."""

    def __init__(self) -> None:
        self.daemon: Daemon | None = None

    def __call__(self) -> None:
        if self.daemon is not None:
            self.daemon.control.reload_soon()


def demo_env() -> dict[str, str]:
    """The environment the demo reads its config with: the example's webhook is signed."""
    return {**os.environ, "WEBHOOK_SECRET": os.environ.get("WEBHOOK_SECRET", "demo-secret")}


def load_demo_config(path: str | Path, ports: stage.StagePorts | None) -> Config:
    """The config at ``path``, with the demo's stage added when ``ports`` (the extras are
    installed) and the config has no devices or shared rules of its own."""
    p = Path(path)
    with contextlib.suppress(OSError, UnicodeDecodeError):  # load_config says what is wrong
        text = p.read_text(encoding="utf-8")
        if ports is not None and not _OWN_STAGE.search(text):
            env = {**demo_env(), **ports.env()}
            both = text + "\n" + STAGE.read_text(encoding="utf-8")
            return load_config_text(both, str(p), env=env, base_dir=p.parent, path=p)
    return load_config(path, env=demo_env())


def has_stage(config: Config) -> bool:
    names = {d.name: d.kind for d in config.devices}
    return names.get("stage") == "sacn" and names.get("qlc") == "osc"


async def _demo(
    args: argparse.Namespace,
    config: Config,
    console: Console,
    hangup: Hangup,
    ports: stage.StagePorts | None,
    started: list[PrivateBroker],
) -> int:
    broker: PrivateBroker | None = None
    mqtt = config.mqtt
    if mqtt is not None:
        where = f"{mqtt.host}:{mqtt.port}"
        if _reachable(mqtt.host, mqtt.port):
            console.line(f"📡 MQTT: using the broker at {mqtt.host}:{mqtt.port}")
        else:
            broker = PrivateBroker()
            started.append(broker)
            if broker.start():
                mqtt = dataclasses.replace(
                    mqtt, host="127.0.0.1", port=broker.port, username=None, password=None
                )
                console.line(
                    f"📡 MQTT: no broker at {where}; started a private one on :{broker.port}"
                )
            else:
                console.line(
                    "📡 MQTT: no broker reachable and mosquitto is not installed; "
                    "MQTT actions will wait in their queue (see docs/actions.md)"
                )
                broker.stop()  # one that started but never listened: not left running
                broker = None
    try:
        async with (
            FakeLiveRoom() as room,
            WebhookReceiver(on_call=console.webhook) as receiver,
            contextlib.AsyncExitStack() as stack,
        ):
            if ports is not None and has_stage(config):
                await stack.enter_async_context(stage.Stage(ports, console.stage))
                console.line(
                    f"🎛  stage: sACN universe 1 to 127.0.0.1:{ports.sacn}, OSC to "
                    f"127.0.0.1:{ports.osc}; what arrives is shown"
                )
            elif ports is None:
                console.line(
                    "🎛  stage: DMX and OSC not shown (pip install 'livetrigger[dmx,osc]' "
                    "adds them to the show)"
                )
            receiver.secret = next((w.secret for w in config.webhooks if w.secret), None)
            world = FakeWorld(
                tiktok=room.tiktok_settings(
                    live_check_interval=0.5,
                    stall_timeout=10.0,
                    heartbeat_interval=5.0,
                    # the fake room signs without limit: every --loop pass is a new session
                    sign_budget=SignBudget(per_minute=10_000, per_hour=10_000, per_day=10_000),
                ),
                room_id=room.room_id,
                mqtt=mqtt,
                webhook_url=receiver.url + "/hook",
                dashboard=not args.no_dashboard,
            )
            demo_config = world.apply(config)
            console.line(
                f"🎬 fake live room @{room.unique_id} on {room.base_url}; "
                f"webhook receiver on {receiver.url}"
            )
            hooks = Hooks(
                event=console.event,
                firing=console.firing,
                tested=console.tested,
                action_done=console.action_done,
                pin_change=console.pin,
                log_line=console.log_line,
            )
            status = Path(tempfile.gettempdir()) / f"livetrigger-demo-{os.getpid()}.sock"
            daemon = Daemon(
                demo_config,
                hooks=hooks,
                status_path=status,
                stop_when_ended=not args.loop,
                persist=False,
                load=lambda path: world.apply(load_demo_config(path, ports)),
            )
            hangup.daemon = daemon
            run = asyncio.create_task(daemon.run())
            try:
                await room.wait_for_client(30, room_id=room.room_id)
                # the features start before the rooms connect: the page listens by now
                _offer_dashboard(console, daemon, args.loop)
                while True:
                    await room.play(demo_show(), speed=args.speed, fresh=True)
                    if not args.loop:
                        break
                    await asyncio.sleep(2 / args.speed)
                    room.go_live()
                    await room.wait_for_client(30, room_id=room.room_id)
                await asyncio.wait_for(asyncio.shield(run), 15)
            finally:
                daemon.request_stop()
                await run
            fired = sum(daemon.event_path.rule_fires.values())
            lat = daemon.event_path.latency.snapshot()
            console.line(
                f"✅ done: {fired} rule firings, actions {console.outcomes['ok']} ok / "
                f"{console.outcomes['failed']} failed / {console.outcomes['dropped']} dropped; "
                f"latency p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms; "
                f"{len(receiver.calls)} webhook calls received"
            )
            return 0
    finally:
        if broker is not None:
            broker.stop()


def _offer_dashboard(console: Console, daemon: Daemon, loop: bool) -> None:
    """Print the dashboard's address, its token in the fragment as `livetrigger status
    --dashboard` gives it: the page keeps it in the tab, and with it a press acts."""
    server = daemon.dashboard
    if server is None:
        if daemon.config.web.enabled:
            console.line("📊 dashboard: could not start (the log above says why)")
        return
    until = "" if loop else "; it closes with the show, --loop keeps it open"
    console.line(f"📊 dashboard: {server.link()}  (open it in a browser{until})")


def run(args: argparse.Namespace) -> int:
    try:
        ports = stage.StagePorts.free() if stage.available() else None
        config = load_demo_config(args.config, ports)
    except ConfigError as exc:
        print_problems(exc)
        return 2 if isinstance(exc, ConfigFileError) else 1
    colour = sys.stdout.isatty() and not args.no_color and not os.environ.get("NO_COLOR")
    setup_logging("warning", "text", secrets=config.secrets)
    logging.getLogger("livetrigger.actions").setLevel(logging.WARNING)
    logging.getLogger("livetrigger.daemon.reload").setLevel(logging.INFO)  # what it changed
    console = Console(sys.stdout, colour)
    console.line("livetrigger demo: the example config against a fake live room (Ctrl-C to stop)")
    hangup = Hangup()
    started: list[PrivateBroker] = []

    def abandon() -> None:  # a second Ctrl-C: no cleanup, and the broker is not in our group
        for broker in started:
            broker.kill()

    return run_until_signalled(
        _demo(args, config, console, hangup, ports, started),
        on_hangup=hangup,
        on_abandon=abandon,
    )
