"""The ``sound`` action: play a file on a ``sound`` device (docs/devices.md),
``- sound: {device: speaker, file: sounds/tada.wav, volume: 80%}``.

The file is not a template (a viewer never picks it); a relative name starts from the config
file's directory. It is decoded when the rule is compiled (``check`` says at the line when it
is missing or not audio; start and reload decode each file once while it does not change).
The request holds the device for the sound's length, or ``duration`` when that is shorter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.device import DeviceRequest, check_device, not_a_template, open_devices
from livetrigger.actions.kind import ActionKind, CompileContext, CompiledAction, Context
from livetrigger.actions.outlet import Outlet, OutletContext
from livetrigger.actions.shared import short
from livetrigger.devices.sound import (
    MAX_SECONDS,
    PERCENT,
    PERCENT_HELP,
    RATE,
    ClipError,
    Play,
    load_clip,
    percent,
)
from livetrigger.settings import key

_DEVICE_KINDS = ("sound",)


@dataclass(frozen=True, slots=True, kw_only=True)
class SoundPlay(DeviceRequest):
    """One sound for a sound device (its ``command`` is a ``Play``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SoundAction:
    device: str
    file: str = key(doc="a wav, mp3, flac or ogg file; relative: from the config's directory")
    volume: str | None = key(
        None, pattern=PERCENT, pattern_help=PERCENT_HELP, doc="none: the device's volume"
    )
    duration: float | None = key(
        None, above=0.0, high=MAX_SECONDS, doc="cuts the sound short after this long"
    )


class Sound:
    """Play a sound file."""

    name = "sound"
    schema = SoundAction
    shorthand = None
    request = SoundPlay
    outbox = None

    def compile(self, entry: SoundAction, ctx: CompileContext) -> CompiledAction | None:
        check_device(ctx, entry.device, "sound", _DEVICE_KINDS)
        if not not_a_template(ctx, entry.file, "file", "file") or ctx.failed:
            return None
        base = ctx.targets.base_dir or Path.cwd()
        path = (base / Path(entry.file).expanduser()).resolve()
        try:
            clip = load_clip(path)
        except ModuleNotFoundError:
            ctx.problem(
                "decoding sounds needs the `miniaudio` library: pip install 'livetrigger[sound]'",
                "file",
            )
            return None
        except ClipError as exc:
            ctx.problem(str(exc), "file")
            return None
        seconds = clip.seconds if entry.duration is None else min(entry.duration, clip.seconds)
        command = Play(
            clip, round(seconds * RATE), None if entry.volume is None else percent(entry.volume)
        )
        device = entry.device

        def build(c: Context, rule: str, room: str, event: ev.Event) -> SoundPlay:
            return SoundPlay(
                rule_id=rule,
                room=room,
                event=event,
                device=device,
                command=command,
                duration=seconds,  # the device's queue waits while it plays
            )

        return CompiledAction("sound", f"sound {device} {_what(command)}", build)

    def describe(self, request: SoundPlay) -> str:
        return f"sound {request.device} {_what(request.command)}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        return open_devices(config, _DEVICE_KINDS)


def _what(play: Play) -> str:
    text = f"{short(play.clip.path.name, 60)} {play.frames / RATE:.2f}s"
    return text if play.volume is None else f"{text} at {play.volume:.0%}"


KIND: ActionKind[SoundAction, SoundPlay] = Sound()  # mypy checks it against the seam
