"""Coverage-guided fuzzing of the config loader with atheris (run on demand).

    .venv/bin/pip install atheris
    .venv/bin/python bench/fuzz/fuzz_config.py -max_total_time=300 bench/fuzz/corpus-config

Any input must either load or raise ConfigError (with at least one problem line); any other
exception — from YAML parsing, validation, rule compilation or templates — is a crash atheris
reports with the input saved. Seeds: config.example.yaml and its rules one by one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports():
    from livetrigger.config import load_config_text
    from livetrigger.errors import ConfigError

ENV = {"LIVETRIGGER_SIGN_KEY": "k", "MQTT_HOST": "localhost"}


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        load_config_text(text, "fuzz.yaml", env=ENV)
    except ConfigError as exc:
        assert exc.problems, "a ConfigError must say what is wrong"


def write_seeds(corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    example = (ROOT / "config.example.yaml").read_text()
    (corpus / "example").write_text(example)
    head, _, rules = example.partition("    rules:\n")
    for i, block in enumerate(rules.split("\n\n")):
        (corpus / f"rule-{i:02d}").write_text(head + "    rules:\n" + block + "\n")


if __name__ == "__main__":
    dirs = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    for d in dirs:
        if not d.exists() or not any(d.iterdir()):
            write_seeds(d)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
