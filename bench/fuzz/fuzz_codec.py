"""Coverage-guided fuzzing of the frame codec and decoder with atheris (run on demand).

    .venv/bin/pip install atheris
    .venv/bin/python bench/fuzz/fuzz_codec.py -max_total_time=300 bench/fuzz/corpus-codec

Anything but ProtocolError escaping decode_ws_message, or anything at all escaping the
Decoder or a deferred event's first read, is a crash atheris reports with the input saved.
The seed corpus is written on first run from the round-trip vectors of the test suite.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports():
    from livetrigger.errors import ProtocolError
    from livetrigger.webcast import frames
    from livetrigger.webcast.decode import Decoder

DECODER = Decoder(dedup_window=64)


def one_input(data: bytes) -> None:
    try:
        inbound = frames.decode_ws_message(data, max_inflated=1 << 20)
    except ProtocolError:
        return
    if inbound is None:
        return
    for event in DECODER.decode_result(inbound.result, 0.0):
        for f in dataclasses.fields(event):
            getattr(event, f.name)


def write_seeds(corpus: Path) -> None:
    from livetrigger.simulator import wire
    from tests.unit.test_decode import EVERY_KIND

    corpus.mkdir(parents=True, exist_ok=True)
    for i, event in enumerate(EVERY_KIND):
        (corpus / f"seed-{i:02d}").write_bytes(wire.frame_of_events([event], compress=i % 3 == 0))


if __name__ == "__main__":
    dirs = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    for d in dirs:
        if not d.exists() or not any(d.iterdir()):
            write_seeds(d)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
