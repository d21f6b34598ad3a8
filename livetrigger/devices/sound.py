"""The ``sound`` device kind: an audio output (``speaker: {sound: {}}`` is the default one),
played through miniaudio (ALSA or PulseAudio on a Pi), driven by the ``sound`` action
(``actions/sound.py``).

Files are decoded when the config is loaded (at start, at each reload, and by ``check``,
which so names a missing or undecodable file at its line), once per file while it does not
change (``load_clip``), to one format (48 kHz stereo 16-bit: miniaudio converts on the way).
Playing hands the decoded frames to miniaudio's own audio thread, so the event loop never
waits for sound. One sound plays at a time per device: the outlet holds the device's queue
for the sound's length (``duration`` cuts it shorter), then ``restore`` stops it. ``safe``
silences it at once. A machine without a working audio output makes the device away, with
the reason in ``status``; the other actions go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from livetrigger.devices.base import DeviceAway, DeviceKind, DeviceLimits
from livetrigger.settings import key

log = logging.getLogger(__name__)

RATE = 48_000  # frames per second of every decoded file
CHANNELS = 2
FRAME_BYTES = 2 * CHANNELS  # 16-bit samples
MAX_SECONDS = 600.0  # a longer file is refused by `check`: it would hold the device that long
PERCENT = r"(100|[1-9]?[0-9])%"
PERCENT_HELP = "a percentage from 0% to 100%, like 80%"
# where `auto` looks for an output, in miniaudio's own order; never the null backend: a
# machine without sound must say so, not play to nothing
_BACKENDS = {"silent": "null"}  # our name: miniaudio's
_AUTO = ("pulseaudio", "alsa", "jack", "coreaudio", "wasapi", "dsound", "sndio", "oss")


def percent(text: str) -> float:
    """``80%`` as 0.8 (the check has held it to ``PERCENT``)."""
    return int(text.rstrip("%")) / 100


@dataclass(frozen=True, slots=True, kw_only=True)
class SoundSettings(DeviceLimits):
    """An audio output: the default one, or one named."""

    device: str | None = key(
        None,
        doc="an output's name as miniaudio lists it (the reason shown when it is missing lists "
        "them); none: the default output",
    )
    backend: Literal["auto", "alsa", "pulseaudio", "jack", "silent"] = key(
        "auto", doc="the audio system; silent plays to nothing, in real time (no speaker needed)"
    )
    volume: str = key("100%", pattern=PERCENT, pattern_help=PERCENT_HELP, doc="unless a sound says")


class ClipError(Exception):
    """A file that cannot be played: missing, unreadable, not audio, too long."""


@dataclass(frozen=True, slots=True, eq=False)
class Clip:
    """A decoded sound file: ``frames`` frames of 16-bit stereo at ``RATE``."""

    path: Path
    frames: int
    samples: bytes = field(repr=False)

    @property
    def seconds(self) -> float:
        return self.frames / RATE


@dataclass(frozen=True, slots=True)
class Play:
    """One sound: ``frames`` frames of ``clip`` (fewer when ``duration`` cuts it), at
    ``volume`` (0..1; None: the device's)."""

    clip: Clip
    frames: int
    volume: float | None = None


_clips: dict[Path, tuple[tuple[int, int], Clip]] = {}  # by path: its (mtime, size) and clip
_clips_lock = threading.Lock()  # a reload compiles in a worker thread


def load_clip(path: Path) -> Clip:
    """``path`` decoded, from the cache while the file has not changed; ClipError when it
    cannot be played. ModuleNotFoundError without miniaudio."""
    import miniaudio  # type: ignore[import-untyped]  # noqa: PLC0415 - only for sound configs

    try:
        stat = path.stat()
    except OSError as exc:
        raise ClipError(f"cannot read {path}: {exc.strerror or exc}") from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _clips_lock:
        cached = _clips.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            decoded = miniaudio.decode_file(
                str(path), miniaudio.SampleFormat.SIGNED16, CHANNELS, RATE
            )
        except (miniaudio.MiniaudioError, OSError):
            raise ClipError(
                f"cannot decode {path}: not a wav, mp3, flac or ogg file miniaudio can read"
            ) from None
        samples = decoded.samples.tobytes()
        clip = Clip(path, len(samples) // FRAME_BYTES, samples)
        if clip.frames == 0:
            raise ClipError(f"{path} holds no sound")
        if clip.seconds > MAX_SECONDS:
            raise ClipError(
                f"{path} plays {clip.seconds:.0f}s; a sound plays at most {MAX_SECONDS:.0f}s"
            )
        _clips[path] = (stamp, clip)
        return clip


class SoundOutput:
    """One audio output. miniaudio's device is opened in a worker thread at the first sound
    (and again after it failed) and kept open; each sound starts and stops it."""

    can_snapshot = True  # "what plays" is nothing, always: restore stops the sound

    def __init__(self, name: str, settings: SoundSettings) -> None:
        import miniaudio  # noqa: PLC0415

        self._ma = miniaudio
        self.name = name
        self.settings = settings
        self.frames_played = 0  # handed to miniaudio, all sounds together (tests read it)
        self.backend = ""  # the backend in use, once open
        self._player: Any = None
        self._cut = False  # set from the loop; read by the audio thread: silence at once
        self._done: asyncio.Event | None = None
        self._closed = False

    # -- the Device seam --------------------------------------------------------------------

    async def send(self, command: Any) -> None:
        assert isinstance(command, Play)
        if self._closed:
            raise DeviceAway("closed")
        player = self._player or await asyncio.to_thread(self._open_player)
        volume = percent(self.settings.volume) if command.volume is None else command.volume
        self._set_volume(player, volume)
        done = self._done = asyncio.Event()
        self._cut = False
        stream = self._stream(command, done, asyncio.get_running_loop())
        next(stream)  # miniaudio wants it started
        try:
            await asyncio.to_thread(player.start, stream)
        except self._ma.MiniaudioError as exc:
            await asyncio.to_thread(self._drop_player)
            raise DeviceAway(f"the audio output would not start: {_words(self._ma, exc)}") from None

    async def snapshot(self) -> Any:
        return None

    async def restore(self, snapshot: Any) -> None:
        """The sound's time is up: let its last buffer play out, then stop the device."""
        done, player = self._done, self._player
        if done is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self.settings.timeout / 2)
        self._cut = True
        if player is not None:
            await asyncio.to_thread(_stop, self._ma, player)

    def safe(self, before: Any | None) -> None:
        self._cut = True  # the audio thread hands over no more frames: silence

    async def aclose(self) -> None:
        self._closed = self._cut = True
        await asyncio.to_thread(self._drop_player)

    # -- miniaudio --------------------------------------------------------------------------

    def _stream(
        self, play: Play, done: asyncio.Event, loop: asyncio.AbstractEventLoop
    ) -> Generator[bytes | memoryview, int, None]:
        """The frames of one sound, as miniaudio's audio thread asks for them."""
        samples = memoryview(play.clip.samples)
        at, end = 0, min(play.frames, play.clip.frames)
        wanted = yield b""
        while at < end and not self._cut:
            n = min(wanted, end - at)
            chunk = samples[at * FRAME_BYTES : (at + n) * FRAME_BYTES]
            at += n
            self.frames_played += n
            wanted = yield chunk
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(done.set)

    def _open_player(self) -> Any:
        """miniaudio's playback device (in a worker thread); DeviceAway with the reason."""
        ma = self._ma
        s = self.settings
        names = _AUTO if s.backend == "auto" else (_BACKENDS.get(s.backend, s.backend),)
        backends = [
            ma.Backend[n.upper()] for n in names if ma.is_backend_enabled(ma.Backend[n.upper()])
        ]
        if not backends:
            raise DeviceAway(f"no audio output: this miniaudio has no {' or '.join(names)}")
        device_id = None
        try:
            if s.device is not None:
                device_id = self._find(backends)
            player = ma.PlaybackDevice(
                output_format=ma.SampleFormat.SIGNED16,
                nchannels=CHANNELS,
                sample_rate=RATE,
                buffersize_msec=50,  # the delay before a sound starts; short but no gaps
                device_id=device_id,
                backends=backends,
                app_name="livetrigger",
            )
        except ma.MiniaudioError as exc:
            tried = ", ".join(b.name.lower() for b in backends)
            raise DeviceAway(f"no audio output ({tried}): {_words(ma, exc)}") from None
        self.backend = player.backend
        log.info("device %s: playing through %s", self.name, player.backend)
        self._player = player
        return player

    def _find(self, backends: list[Any]) -> Any:
        """The id of the output named ``device`` (exactly, else the one whose name holds it)."""
        wanted = self.settings.device
        assert wanted is not None
        found = self._ma.Devices(backends).get_playbacks()
        exact = [d for d in found if d["name"] == wanted]
        near = [d for d in found if wanted.lower() in d["name"].lower()]
        match = exact or (near if len(near) == 1 else [])
        if not match:
            have = "; ".join(d["name"] for d in found) or "none"
            raise DeviceAway(f"no audio output named `{wanted}` (outputs: {have})")
        return match[0]["id"]

    def _set_volume(self, player: Any, volume: float) -> None:
        # pyminiaudio does not wrap ma_device_set_master_volume, which stores this one float
        # of the device (the C library scales every frame by it)
        ffi = self._ma.ffi
        ffi.cast("float *", ffi.addressof(player._device, "masterVolumeFactor"))[0] = volume

    def _drop_player(self) -> None:
        player, self._player = self._player, None
        if player is not None:
            player.close()


def _stop(ma: Any, player: Any) -> None:
    with contextlib.suppress(ma.MiniaudioError):  # already stopped: nothing to do
        player.stop()


def _words(ma: Any, exc: BaseException) -> str:
    """miniaudio's ``('failed to init device', -401)`` as words, the code named by the
    library's own constant (``MA_FAILED_TO_OPEN_BACKEND_DEVICE``: failed to open backend
    device)."""
    args: tuple[Any, ...] = exc.args
    text = str(args[0]) if args else str(exc)
    if len(args) > 1 and isinstance(args[1], int):
        names = [n for n in dir(ma.lib) if n.startswith("MA_") and getattr(ma.lib, n) == args[1]]
        why = names[0][3:].lower().replace("_", " ") if names else f"code {args[1]}"
        return f"{text}: {why}"
    return text


class Kind:
    key = "sound"
    settings = SoundSettings
    extra = "sound"
    module = "miniaudio"

    def open(self, name: str, settings: SoundSettings) -> SoundOutput:
        return SoundOutput(name, settings)


KIND: DeviceKind[SoundSettings] = Kind()
