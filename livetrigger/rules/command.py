"""Chat commands such as ``!light {state}``: literal words, then named arguments.

``{name}`` takes one word, ``{name?}`` an optional word, ``{name...}`` the rest of the line.
The command word matches case-insensitively; arguments keep their case.
"""

from __future__ import annotations

import re

_ARG = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)(\?|\.\.\.)?\}$")
MAX_COMMAND_TEXT = 500


class CommandPattern:
    __slots__ = ("_regex", "arguments", "first_word", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        words = source.split()
        if not words:
            raise ValueError("a command cannot be empty; write something like '!light {state}'")
        parts: list[str] = []
        self.arguments: list[str] = []
        # the literal command word, for the engine's index (None: the pattern starts with {x})
        self.first_word: str | None = None if _ARG.match(words[0]) else words[0].lower()
        for i, word in enumerate(words):
            m = _ARG.match(word)
            if not m:
                if "{" in word or "}" in word:
                    raise ValueError(
                        f"bad argument {word!r}: write {{name}}, {{name?}} or {{name...}}"
                    )
                parts.append(("\\s+" if i else "") + re.escape(word))
                continue
            name, mode = m.group(1), m.group(2)
            if name in self.arguments:
                raise ValueError(f"argument {{{name}}} appears twice")
            if mode == "..." and i != len(words) - 1:
                raise ValueError(f"{{{name}...}} takes the rest of the line: put it last")
            self.arguments.append(name)
            value = f"(?P<{name}>.+)" if mode == "..." else f"(?P<{name}>\\S+)"
            sep = "\\s+" if i else ""
            parts.append(f"(?:{sep}{value})?" if mode == "?" else f"{sep}{value}")
        self._regex = re.compile("^\\s*" + "".join(parts) + "\\s*$", re.IGNORECASE | re.DOTALL)

    def match(self, text: str) -> dict[str, str] | None:
        if len(text) > MAX_COMMAND_TEXT:
            return None
        m = self._regex.match(text)
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None}
