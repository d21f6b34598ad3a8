"""Chat commands such as ``!light {state}``: literal words, then named arguments.

``{name}`` takes one word, ``{name?}`` an optional word, ``{name...}`` the rest of the line.
The command word matches case-insensitively; arguments keep their case.

Patterns run on RE2, like rule regexes (livetrigger/rules/patterns.py): with Python's ``re``, 22
optional arguments against a 23-word comment took 3.3 s, doubling with each argument, with the
event loop held. RE2 is linear in the comment whatever the pattern; its leftmost-first matching
gives each argument what ``re`` gave it. "Whitespace" is what ``str.split`` splits on (RE2's
Perl classes are ASCII only).
"""

from __future__ import annotations

import re
from collections.abc import Collection

import re2

from livetrigger.text.suggest import suggest

_ARG = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)(\?|\.\.\.)?\}$")
MAX_COMMAND_TEXT = 500

# exactly the characters str.isspace() knows (and Python's re calls \s)
_SPACE = r"[\t\n\v\f\r\x1c-\x1f\x85\p{Z}]"
_WORD = r"[^\t\n\v\f\r\x1c-\x1f\x85\p{Z}]"

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False
_OPTIONS.dot_nl = True  # {rest...} takes the rest of the comment, line breaks too
_OPTIONS.log_errors = False


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
                parts.append((f"{_SPACE}+" if i else "") + re.escape(word))
                continue
            name, mode = m.group(1), m.group(2)
            if name in self.arguments:
                raise ValueError(f"argument {{{name}}} appears twice")
            if mode == "..." and i != len(words) - 1:
                raise ValueError(f"{{{name}...}} takes the rest of the line: put it last")
            self.arguments.append(name)
            value = f"(?P<{name}>.+)" if mode == "..." else f"(?P<{name}>{_WORD}+)"
            sep = f"{_SPACE}+" if i else ""
            parts.append(f"(?:{sep}{value})?" if mode == "?" else f"{sep}{value}")
        self._regex = re2.compile(f"^{_SPACE}*{''.join(parts)}{_SPACE}*$", _OPTIONS)

    def match(self, text: str) -> dict[str, str] | None:
        if len(text) > MAX_COMMAND_TEXT:
            return None
        try:
            m = self._regex.match(text)
        except UnicodeEncodeError:  # a lone surrogate: RE2 reads UTF-8
            m = self._regex.match(text.encode("utf-8", "replace").decode("utf-8"))
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None}


def written_arguments(source: str) -> frozenset[str]:
    """The argument names a command pattern writes, even when it is wrong as a whole (``{x}``
    twice): its other problem is reported, and what reads them is then not wrong too."""
    return frozenset(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)", source))


def argument_problem(name: str, arguments: Collection[str] | None) -> str | None:
    """Why ``args.<name>`` (in ``when:`` or a template) reads nothing in a rule whose command
    has ``arguments`` (None: the rule has no ``command:``), or None when it reads one."""
    if arguments is None:
        return (
            f"`args.{name}` reads a chat command's argument, but this rule has no command: "
            f'args come from `command:`, like `command: "!light {{{name}}}"`'
        )
    if name in arguments:
        return None
    have = ", ".join(sorted(arguments)) or f"none: add {{{name}}} to `command`"
    return f"unknown command argument `{name}`{suggest(name, arguments)} (arguments: {have})"
