"""The ``sound`` kind through a whole daemon, without a speaker: miniaudio's null backend
(``backend: silent``) pulls frames from the daemon's stream in real time, as a sound card
would, and the device counts every frame handed over. Files are checked at their line and
decoded once; one sound plays at a time per device; ``duration`` cuts a sound short; the
stop silences one that plays; a machine without the output named is away, with the reason
in ``status``, and the other actions go on."""

from __future__ import annotations

import asyncio
import math
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

from livetrigger.commands.status import render
from livetrigger.config import load_config
from livetrigger.devices.sound import RATE, SoundOutput, load_clip
from livetrigger.errors import ConfigError
from tests.support.toy_daemon import Running, daemon, gift

ROOM = 'rooms:\n  - username: "@toy"\n    rules:\n'


def tone(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A mono 16-bit WAV of a 440 Hz tone (miniaudio converts it to 48 kHz stereo)."""
    frames = round(seconds * rate)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", round(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                for i in range(frames)
            )
        )
    return path


def written(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(text)
    return config


def output_of(d: Running, name: str = "speaker") -> SoundOutput:
    device = d.device("sound", name)
    assert isinstance(device, SoundOutput)
    return device


def played(snap: dict[str, Any], name: str = "speaker") -> int:
    """Sounds played to their end (or their duration) and stopped."""
    restores: int = snap["sound"]["devices"][name]["restores"]
    return restores


# -- check ----------------------------------------------------------------------------------


def test_check_says_at_the_line_when_a_file_is_missing_or_not_audio(tmp_path: Path) -> None:
    tone(tmp_path / "tada.wav", 0.05)
    (tmp_path / "notes.wav").write_text("not a sound")
    config = written(
        tmp_path,
        "devices:\n  speaker: {sound: {volume: 80%}}\n  arduino: {serial: {port: /dev/null}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - sound: {device: speaker, file: missing.wav}\n"
        + "          - sound: {device: speaker, file: notes.wav}\n"
        + "          - sound: {device: speaker, file: '{{ user.nickname }}.wav'}\n"
        + "          - sound: {device: arduino, file: tada.wav}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    at = str(config)
    assert list(caught.value.problems) == [
        f"{at}:10:38: rooms[0].rules[0].do[0].sound.file: cannot read {tmp_path}/missing.wav:"
        " No such file or directory",
        f"{at}:11:38: rooms[0].rules[0].do[1].sound.file: cannot decode {tmp_path}/notes.wav:"
        " not a wav, mp3, flac or ogg file miniaudio can read",
        f"{at}:12:38: rooms[0].rules[0].do[2].sound.file: `file` is not a template: a viewer"
        " never picks the file",
        f"{at}:13:21: rooms[0].rules[0].do[3].sound.device: `sound` needs a sound device;"
        " `arduino` is serial",
    ]
    config.write_text(
        "devices:\n  speaker: {sound: {volume: 120%}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - sound: {device: speaker, file: tada.wav, volume: 80}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert list(caught.value.problems) == [
        f"{at}:2:21: devices.speaker.sound.volume: a percentage from 0% to 100%, like 80%"
        " (got '120%')",
        f"{at}:9:54: rooms[0].rules[0].do[0].sound.volume: expected text; quote it if it"
        " looks like a number or a list (got 80)",
    ]


def test_a_file_is_decoded_once_while_it_does_not_change(tmp_path: Path) -> None:
    path = tone(tmp_path / "tada.wav", 0.05)
    first = load_clip(path)
    assert first.frames == round(0.05 * RATE) and load_clip(path) is first
    tone(path, 0.1)  # a new file: decoded again
    assert load_clip(path).frames == round(0.1 * RATE)


# -- through a running daemon ---------------------------------------------------------------


async def test_sounds_play_one_at_a_time_and_duration_cuts_one_short(tmp_path: Path) -> None:
    tone(tmp_path / "tada.wav", 0.2)
    config = written(
        tmp_path,
        "devices:\n  speaker: {sound: {backend: silent, volume: 50%}}\n"
        + ROOM
        + "      - id: small\n        on: gift\n        if: total_diamonds < 50\n        do:\n"
        + "          - sound: {device: speaker, file: tada.wav, volume: 80%}\n"
        + "      - id: big\n        on: gift\n        if: total_diamonds >= 50\n        do:\n"
        + "          - sound: {device: speaker, file: tada.wav, duration: 50ms}\n",
    )
    async with daemon(config, tmp_path) as d:
        speaker = output_of(d)
        d.emit(gift(diamonds=1))
        d.emit(gift(diamonds=1))  # waits in the device's queue for the first to end
        d.emit(gift(diamonds=100))
        snap = await d.until(lambda s: played(s) == 3)
        # every frame of two whole sounds and of 50 ms of the third was pulled by the backend
        assert speaker.frames_played == 2 * round(0.2 * RATE) + round(0.05 * RATE)
        assert speaker.backend == "Null"
        shown = snap["sound"]["devices"]["speaker"]
        assert shown["state"] == "ok" and shown["sent"] == 3 and shown["playing"] is False
        assert snap["actions"]["device:speaker"]["ok"] == 3


async def test_the_stop_silences_a_sound_that_plays(tmp_path: Path) -> None:
    tone(tmp_path / "long.wav", 30)
    config = written(
        tmp_path,
        "devices:\n  speaker: {sound: {backend: silent}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - sound: {device: speaker, file: long.wav}\n",
    )
    async with daemon(config, tmp_path) as d:
        speaker = output_of(d)
        d.emit(gift())
        await d.until(lambda s: s["sound"]["devices"]["speaker"]["playing"])
        while speaker.frames_played == 0:  # the backend pulls: it plays
            await asyncio.sleep(0.01)
        await d.stop()
        assert 0 < speaker.frames_played < 30 * RATE  # cut off, not played to its end


async def test_no_audio_output_is_away_with_the_reason_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    tone(tmp_path / "tada.wav", 0.05)
    config = written(
        tmp_path,
        "devices:\n  speaker: {sound: {backend: alsa, device: livetrigger-no-such-output,"
        " retries: 0}}\n"
        + ROOM
        + "      - id: a\n        on: gift\n        do:\n"
        + "          - sound: {device: speaker, file: tada.wav}\n"
        + "          - log: fired\n",
    )
    async with daemon(config, tmp_path) as d:
        d.emit(gift())
        snap = await d.until(lambda s: s["actions"].get("device:speaker", {}).get("failed") == 1)
        shown = snap["sound"]["devices"]["speaker"]
        assert shown["state"] == "away" and shown["failures"] == 1
        assert shown["reason"].startswith("no audio output")  # named, or none at all here
        assert snap["actions"]["log"]["ok"] == 1
        assert "speaker: away: no audio output" in render(snap)
