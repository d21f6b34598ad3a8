"""What a YAML syntax error means when the parser's own words point elsewhere: an unquoted
``#ff8800`` in a one-line ``{...}`` starts a comment, which hides the ``}`` that closes it,
so the parser only stumbles on a later line (``expected the node content, but found '-'``)."""

from __future__ import annotations

import json

import yaml

_OPENS = (yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
_CLOSES = (yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def comment_cut(text: str, error_index: int) -> tuple[int, int, str] | None:
    """Line, column (from 1) and advice when a ``#`` comment inside a ``{`` or ``[`` still
    open at ``error_index`` swallowed the bracket that would close it; else None."""
    tokens: list[yaml.Token] = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.index >= error_index:
                break
            tokens.append(token)
    except yaml.YAMLError:
        pass  # the tokens before the scanner's own error are enough
    depth = 0
    outer = None  # the first token of the outermost bracket still open at the error
    for i, token in enumerate(tokens):
        if isinstance(token, _OPENS):
            outer = i if depth == 0 else outer
            depth += 1
        elif isinstance(token, _CLOSES) and depth:
            depth -= 1
    if not depth or outer is None:
        return None
    inside = tokens[outer:]
    for i, token in enumerate(inside):  # between tokens: only blanks and comments
        end = inside[i + 1].start_mark.index if i + 1 < len(inside) else error_index
        gap = text[token.end_mark.index : end]
        at = gap.find("#")
        comment = gap[at:].partition("\n")[0] if at >= 0 else ""
        if "}" in comment or "]" in comment:
            index = token.end_mark.index + at
            line_start = text.rfind("\n", 0, index) + 1
            advice = _advice(comment, _key_before(inside, i))
            return text.count("\n", 0, index) + 1, index - line_start + 1, advice
    return None


def _key_before(tokens: list[yaml.Token], i: int) -> str | None:
    if i >= 1 and isinstance(tokens[i], yaml.ValueToken):
        key = tokens[i - 1]
        if isinstance(key, yaml.ScalarToken):
            return str(key.value)
    return None


def _advice(comment: str, key: str | None) -> str:
    said = "in YAML a # starts a comment, so the rest of this line is not read"
    value = comment
    for stop in ",}]":
        value = value.partition(stop)[0]
    value = value.rstrip()
    if len(value) < 2 or value[1].isspace():  # a comment meant as one: `{a: 1  # note}`
        bracket = min((b for b in "}]" if b in comment), key=comment.index)
        return f"{said}, nor the `{bracket}` in it: close the bracket before the comment"
    quoted = json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string
    return f"{said}: quote the value: {key}: {quoted}" if key else f"{said}: quote it: {quoted}"
