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

from livetrigger.actions.device import Alert, DeviceActionKind, DeviceRequest, not_a_template
from livetrigger.actions.kind import ActionKind, CompileContext
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


def alert(entry: SoundAction, ctx: CompileContext, kind: str | None) -> Alert | None:
    if not not_a_template(ctx, entry.file, "file") or ctx.failed:
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
    # the device's queue waits while it plays
    return Alert(lambda c: command, _what(command), duration=seconds)


def _what(play: Play) -> str:
    text = f"{short(play.clip.path.name, 60)} {play.frames / RATE:.2f}s"
    return text if play.volume is None else f"{text} at {play.volume:.0%}"


KIND: ActionKind[SoundAction, SoundPlay] = DeviceActionKind(  # mypy checks it against the seam
    name="sound",
    schema=SoundAction,
    request=SoundPlay,
    kinds=("sound",),
    alert=alert,
    shown=lambda request: _what(request.command),
)
