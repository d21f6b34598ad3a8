"""Canary secrets, DEBUG logging everywhere: none of them in the logs, the status output,
the MQTT payloads, or error messages. A hostile nickname in a log line and a header cannot
forge a log line or reach the terminal raw."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from livetrigger import events as ev
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
CANARIES = {
    "sign": "canary-SIGN-7f3a9c",
    "session": "canary-SESSION-1b2c3d",
    "mqtt": "canary-MQTT-9e8d7c",
    "webhook": "canary-HOOK-5a4b3c",
    "auth header": "canary-BEARER-6d5e4f",
    "url": "canary-URL-8f7e6d",  # not a configured secret: only the quiet HTTP loggers keep it out
}
# a viewer's nickname: a line of its own that looks like the daemon's, and a terminal escape
FORGED = "00:00:00 error   dispatch: forged"
NICK = f"N\r\n{FORGED}\x1b[2J Zoë"


async def test_canary_secrets_never_leak(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    secret_file = tmp_path / "mqtt.pw"
    secret_file.write_text(CANARIES["mqtt"])
    secret_file.chmod(0o600)
    listener = Listener(mosquitto.port, "#")
    async with FakeLiveRoom() as room, WebhookReceiver(secret=CANARIES["webhook"]) as rx:
        rx.responses = [(500, {}), (404, {})]  # errors get logged: they must stay clean too
        config = tmp_path / "config.yaml"
        config.write_text(f"""\
tiktok:
  web_url: {room.base_url}
  webcast_url: {room.base_url}
  sign_url: {room.base_url}
  sign_api_key: ${{SIGN_KEY}}
  session_id: {CANARIES["session"]}
  live_check_interval: 200ms
mqtt: {{host: 127.0.0.1, port: {mosquitto.port}, username: lt, password_file: {secret_file},
       event_stream: {{enabled: true}}}}
webhooks:
  hook: {{url: "{rx.url}/x?key={CANARIES["url"]}", secret: "{CANARIES["webhook"]}", retries: 1,
         retry_initial: 50ms, headers: {{Authorization: "Bearer ${{HOOK_TOKEN}}"}}}}
daemon: {{status_socket: {tmp_path}/s.sock, log_level: debug}}
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: all
        on: [gift, chat]
        do:
          - webhook: {{endpoint: hook, headers: {{X-Nick: "{{{{ user.nickname }}}}"}}}}
          - mqtt: {{topic: "lt/x"}}
          - log: "{{{{ user.nickname }}}} {{{{ event }}}}"
""")
        env = {
            **os.environ,
            "SIGN_KEY": CANARIES["sign"],
            "HOOK_TOKEN": CANARIES["auth header"],
            "PYTHONPATH": str(ROOT),
        }
        log = tmp_path / "daemon.log"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.daemon_main",
                str(config),
                str(tmp_path / "pins"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            await room.wait_for_client(60)
            user = ev.User(id=1, unique_id="u", nickname=NICK)
            await room.send(
                ev.ChatEvent(msg_id=room.next_msg_id(), user=user, text="hi"),
                ev.GiftEvent(
                    msg_id=room.next_msg_id(),
                    user=user,
                    gift_id=1,
                    gift_name="G",
                    diamonds=5,
                    repeat_count=1,
                    total_diamonds=5,
                ),
            )
            await wait_until(lambda: len(rx.calls) >= 3, "three webhook calls")
            status = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "livetrigger",
                    "status",
                    "--socket",
                    str(tmp_path / "s.sock"),
                    "--json",
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            assert status.returncode == 0, status.stderr
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        check = subprocess.run(  # an error message about a secret-bearing config
            [sys.executable, "-m", "livetrigger", "check", str(config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "SIGN_KEY": CANARIES["sign"], "HOOK_TOKEN": CANARIES["auth header"]},
        )
        broken = tmp_path / "broken.yaml"
        broken.write_text(
            config.read_text()
            .replace("sign_api_key:", "sign_api_kye:")
            .replace("password_file", "pasword_file")
        )
        check_broken = subprocess.run(
            [sys.executable, "-m", "livetrigger", "check", str(broken)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "SIGN_KEY": CANARIES["sign"], "HOOK_TOKEN": CANARIES["auth header"]},
        )
        assert check_broken.returncode == 1
        session_sent = any("session_id" in q for _, q in room.sign_requests)
    listener.close()
    assert not session_sent  # the sign host was not whitelisted for it
    texts = {
        "daemon log": log.read_text(),
        "status": status.stdout + status.stderr,
        "mqtt": "\n".join(
            m.payload.decode("utf-8", "replace") + m.topic for m in listener.messages
        ),
        "check": check.stdout + check.stderr,
        "check of a broken config": check_broken.stdout + check_broken.stderr,
    }
    assert "DEBUG" in texts["daemon log"] or "debug" in texts["daemon log"]
    assert len(texts["mqtt"]) > 100 and len(rx.calls) >= 2
    for where, text in texts.items():
        for name, canary in CANARIES.items():
            assert canary not in text, f"{name} secret leaked into {where}"
    # the nickname was logged (the log action) and sent (a header), never raw
    daemon_log = texts["daemon log"]
    assert "N\\r\n  00:00:00 error   dispatch: forged\\x1b[2J Zoë" in daemon_log
    assert not any(line.startswith(FORGED) for line in daemon_log.splitlines())
    assert "\x1b" not in daemon_log and "\r" not in daemon_log
    assert rx.calls[0].headers["x-nick"] == "N%0D%0A00:00:00 error   dispatch: forged%1B[2J Zo%C3%AB"
