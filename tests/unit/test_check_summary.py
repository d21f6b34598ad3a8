"""`check`'s summary: each action's hint is shortened at a token boundary, never inside a
template's ``{{ }}`` hole, and says it was shortened."""

from __future__ import annotations

from pathlib import Path

import pytest

from livetrigger.actions.shared import MARKUP, template_hint
from livetrigger.cli import main

LONG = "{{ user.nickname }} sent {{ gift_name }} x{{ repeat_count }} in {{ room }}"


def test_check_never_cuts_a_template_hole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "rooms: [{username: '@x'}]\n"
        "tiktok: {session_id: s, session_id_sign_host: 127.0.0.1, sign_url: 'http://127.0.0.1'}\n"
        "rules: [{id: r, on: gift, do: [{log: '" + LONG + "'}, {chat: 'thanks " + LONG + "'}]}]\n"
    )
    assert main(["check", str(path)]) == 0
    hints = [line.split("→ ", 1)[1] for line in capsys.readouterr().out.splitlines() if "→" in line]
    assert len(hints) == 2, hints
    for hint in hints:
        assert hint.endswith("…"), hint
        shown = hint.removesuffix("…")
        assert shown.count("{{") == shown.count("}}"), hint
    assert hints[0] == "log {{ user.nickname }} sent…"


@pytest.mark.parametrize("limit", range(1, len(LONG) + 2))
def test_every_limit_ends_on_a_boundary(limit: int) -> None:
    hint = template_hint(LONG, limit)
    if limit >= len(LONG):
        assert hint == LONG
        return
    shown = hint.removesuffix("…")
    assert hint.endswith("…") and LONG.startswith(shown)
    assert len(hint) <= max(limit, len("{{ user.nickname }}…"))  # the first hole is kept whole
    holes = [m.span() for m in MARKUP.finditer(LONG)]
    assert not any(start < len(shown) < end for start, end in holes), hint


def test_a_short_text_is_shown_whole_and_words_are_not_split() -> None:
    assert template_hint("hello {{ text }}", 40) == "hello {{ text }}"
    assert template_hint("thanks everybody for the lovely roses tonight", 20) == "thanks everybody…"
    assert template_hint("line\nbreak", 40) == "line\\nbreak"
