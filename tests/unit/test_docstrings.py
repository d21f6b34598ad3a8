"""Every public class, function and method of the seams and of the controller says in one
line what it is for (issue 24): these are the files a newcomer reads first."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "livetrigger"
DOCUMENTED = [
    "actions/kind.py",
    "actions/registry.py",
    "daemon/controller.py",
    "daemon/control.py",
    "daemon/event_path.py",
    "daemon/rooms.py",
    "daemon/outputs.py",
    "daemon/reload.py",
    "daemon/features/__init__.py",
    "daemon/features/base.py",
    "sources/__init__.py",
    "sources/base.py",
    # the fake live room, split (issue 24): its facade and every part
    "commands/interrupt.py",
    "simulator/encode/__init__.py",
    "simulator/encode/common.py",
    "simulator/encode/registry.py",
    "simulator/endpoints.py",
    "simulator/faults.py",
    "simulator/httpd.py",
    "simulator/playback.py",
    "simulator/push.py",
    "simulator/room_state.py",
    "simulator/router.py",
    "simulator/server.py",
    "simulator/wire.py",
    # the WebCast decoder and its message modules (issue 24)
    "webcast/decode.py",
    "webcast/messages/__init__.py",
    "webcast/messages/battles.py",
    "webcast/messages/common.py",
    "webcast/messages/gifts.py",
    "webcast/messages/linkmic.py",
    "webcast/messages/moderation.py",
    "webcast/messages/notices.py",
    "webcast/messages/ranks.py",
    "webcast/messages/registry.py",
    "webcast/messages/room.py",
    "webcast/messages/social.py",
]


def undocumented(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    missing = [] if ast.get_docstring(tree) else ["<module>"]

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if not isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.name.startswith("_"):
                continue
            name = f"{prefix}{node.name}"
            if not ast.get_docstring(node):
                missing.append(name)
            if isinstance(node, ast.ClassDef):
                walk(node.body, f"{name}.")

    walk(tree.body, "")
    return missing


@pytest.mark.parametrize("module", DOCUMENTED)
def test_every_public_name_has_a_docstring(module: str) -> None:
    assert undocumented(PACKAGE / module) == []
