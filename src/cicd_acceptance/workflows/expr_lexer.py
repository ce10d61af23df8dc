"""Tokens of a GitHub expression, cut exactly where GitHub's lexer cuts them.

The rules that surprise: a ``+``, ``-`` or ``.`` (after anything but a name, ``]``, ``)`` or ``*``) starts a number,
and a number runs to the next boundary character, so ``-Infinity``, ``0x1F``, ``0o17``, ``1e3`` and ``.5`` are
literals while ``- 1`` and ``1*2`` are errors; a name may contain ``-``; ``true``/``false``/``null``/``NaN``/
``Infinity`` are keywords except right after a ``.``. Tokens live in parallel lists, so a long expression costs a few
machine words per token and no copies of the source.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from cicd_acceptance.workflows.expr_numbers import JS_WHITESPACE, parse_number, utf16_length

__all__ = ["MAX_EXPRESSION_LENGTH", "ExpressionSyntaxError", "Tokens", "tokenize"]

# GitHub refuses longer expressions (counted in UTF-16 code units).
MAX_EXPRESSION_LENGTH = 21000

LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, DOT, BANG, NE, EQ, GT, GE, LT, LE, AND, OR, STAR, NUMBER, STRING, \
    IDENT, TRUE, FALSE, NULL, EOF = range(23)

_SINGLE = {"(": LPAREN, ")": RPAREN, "[": LBRACKET, "]": RBRACKET, ",": COMMA, "*": STAR}
_BOUNDARY = "()[],.!><=&|" + JS_WHITESPACE
_RUN = re.compile(f"[^{re.escape(_BOUNDARY)}]*")
_NUMBER_RUN = re.compile(f"[^{re.escape(_BOUNDARY.replace('.', ''))}]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_KEYWORDS: dict[str, tuple[int, object]] = {
    "true": (TRUE, True), "false": (FALSE, False), "null": (NULL, None), "NaN": (NUMBER, math.nan),
    "Infinity": (NUMBER, math.inf),
}
_AFTER_WHICH_DOT_IS_ACCESS = (IDENT, RBRACKET, RPAREN, STAR)


class ExpressionSyntaxError(Exception):
    """Internal: raised by the lexer and parser, turned into ``WorkflowLoadError`` with path and line."""


@dataclass
class Tokens:
    """Parallel lists: kind, start and end offset in the source, and the literal value (numbers, strings)."""

    source: str
    kinds: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    values: list[object] = field(default_factory=list)

    def add(self, kind: int, start: int, end: int, value: object = None) -> None:
        self.kinds.append(kind)
        self.starts.append(start)
        self.ends.append(end)
        self.values.append(value)

    def previous(self) -> int:
        return self.kinds[-1] if self.kinds else EOF

    def describe(self, index: int) -> str:
        """The token as an error message shows it."""
        if self.kinds[index] == EOF:
            return "end of expression"
        return repr(self.source[self.starts[index]:self.ends[index]])


def tokenize(source: str, *, max_length: int | None = MAX_EXPRESSION_LENGTH) -> Tokens:
    # UTF-16 length >= len(): counting code units is needed only when len() alone does not decide.
    if max_length is not None and (len(source) > max_length or (
            len(source) > max_length // 2 and utf16_length(source) > max_length)):
        raise ExpressionSyntaxError(f"longer than GitHub's limit of {max_length} characters")
    tokens = Tokens(source)
    position, size = 0, len(source)
    while position < size:
        start, char = position, source[position]
        position += 1
        if char in " \t\r\n":
            continue
        if char in _SINGLE:
            tokens.add(_SINGLE[char], start, position)
        elif char == "'":
            position = _string(tokens, start)
        elif char in "+-" or (char.isascii() and char.isdigit()) or (
                char == "." and tokens.previous() not in _AFTER_WHICH_DOT_IS_ACCESS):
            position = _number(tokens, start)
        elif char == ".":
            tokens.add(DOT, start, position)
        elif char in "!<>=" and source.startswith("=", position):
            kind = {"!": NE, "<": LE, ">": GE, "=": EQ}[char]
            position += 1
            tokens.add(kind, start, position)
        elif char in "!<>":
            tokens.add({"!": BANG, "<": LT, ">": GT}[char], start, position)
        elif char in "&|" and source.startswith(char, position):
            position += 1
            tokens.add(AND if char == "&" else OR, start, position)
        else:
            position = _identifier(tokens, start, position)
    tokens.add(EOF, size, size)
    return tokens


def _string(tokens: Tokens, start: int) -> int:
    source = tokens.source
    position = start + 1
    while True:
        quote = source.find("'", position)
        if quote == -1:
            raise ExpressionSyntaxError(f"unterminated string starting at position {start + 1}")
        if source.startswith("'", quote + 1):  # '' is an escaped quote
            position = quote + 2
            continue
        # GitHub's runner un-escapes every '' (the npm package's String.replace only the first).
        tokens.add(STRING, start, quote + 1, source[start + 1:quote].replace("''", "'"))
        return quote + 1


def _number(tokens: Tokens, start: int) -> int:
    match = _NUMBER_RUN.match(tokens.source, start + 1)
    end = match.end() if match else start + 1
    lexeme = tokens.source[start:end]
    value = parse_number(lexeme)
    if isinstance(value, float) and math.isnan(value):
        raise ExpressionSyntaxError(f"unexpected {lexeme!r} at position {start + 1}")
    tokens.add(NUMBER, start, end, value)
    return end


def _identifier(tokens: Tokens, start: int, position: int) -> int:
    match = _RUN.match(tokens.source, position)
    end = match.end() if match else position
    lexeme = tokens.source[start:end]
    if _IDENTIFIER.fullmatch(lexeme) is None:
        shown = lexeme or tokens.source[start]
        raise ExpressionSyntaxError(f"unexpected {shown!r} at position {start + 1}")
    if tokens.previous() != DOT and lexeme in _KEYWORDS:
        kind, value = _KEYWORDS[lexeme]
        tokens.add(kind, start, end, value)
    else:
        tokens.add(IDENT, start, end, None)
    return end
