"""Latency percentiles against rate, from bench/e2e.py's JSON (matplotlib: bench-only).

    python -m venv bench/.venv-plot && bench/.venv-plot/bin/pip install matplotlib
    bench/.venv-plot/bin/python bench/plot.py bench/e2e-results.json bench/latency.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main() -> None:
    data = json.loads(Path(sys.argv[1]).read_text())
    rows = data["rates"]
    rates = [r["rate"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for target, colour in (("mqtt", "tab:blue"), ("webhook", "tab:orange"), ("gpio", "tab:green")):
        ax.plot(rates, [r[target]["p50"] for r in rows], "o-", color=colour, label=f"{target} p50")
        ax.plot(rates, [r[target]["p99"] for r in rows], "s--", color=colour, label=f"{target} p99")
    ax.axhline(10, color="grey", lw=0.8, ls=":")
    ax.text(rates[0], 11, "10 ms", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("messages per second sent by the fake room (every chat → one MQTT publish)")
    ax.set_ylabel("event received → action done (ms)")
    ax.set_title(
        f"livetrigger end to end, CPython {data['python']}, {data['cpus']} vCPU {data['machine']}",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(sys.argv[2])


if __name__ == "__main__":
    main()
