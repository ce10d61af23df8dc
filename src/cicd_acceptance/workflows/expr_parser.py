"""Tokenizer and precedence-climbing parser for GitHub Actions expressions (the part inside ``${{ }}``).

Grammar, lowest precedence first (GitHub's operator table)::

    or      := and ('||' and)*
    and     := equal ('&&' equal)*
    equal   := compare (('==' | '!=') compare)*
    compare := unary (('<' | '<=' | '>' | '>=') unary)*
    unary   := '!' unary | postfix
    postfix := primary ('.' NAME | '.' '*' | '[' or ']')*
    primary := literal | NAME '(' args ')' | NAME | '(' or ')'

Every AST node keeps its source ``text`` so that whatever stays unknown can be shown as the author wrote it.
A syntax error is a :class:`WorkflowLoadError` naming the caller's ``path`` and ``line`` (GitHub rejects such a
workflow before running anything).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cicd_acceptance.errors import WorkflowLoadError

__all__ = [
    "Call",
    "Expr",
    "Index",
    "Literal",
    "Name",
    "Not",
    "Operator",
    "Property",
    "Star",
    "parse_expression",
]


class ExpressionSyntaxError(Exception):
    """Internal: raised deep in the parser, turned into ``WorkflowLoadError`` by :func:`parse_expression`."""


@dataclass(frozen=True)
class Literal:
    text: str
    value: str | int | float | bool | None


@dataclass(frozen=True)
class Name:
    text: str
    name: str


@dataclass(frozen=True)
class Property:
    text: str
    target: Expr
    name: str


@dataclass(frozen=True)
class Star:
    """``x.*``: the object filter (values of every element / property)."""

    text: str
    target: Expr


@dataclass(frozen=True)
class Index:
    text: str
    target: Expr
    index: Expr


@dataclass(frozen=True)
class Call:
    text: str
    function: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    text: str
    operand: Expr


@dataclass(frozen=True)
class Operator:
    text: str
    op: str
    left: Expr
    right: Expr


Expr = Literal | Name | Property | Star | Index | Call | Not | Operator

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<number>0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\].,*])
    )""",
    re.VERBOSE,
)
_BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}
_KEYWORDS: dict[str, str | int | float | bool | None] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None or match.lastgroup is None:
            rest = source[position:].lstrip()
            raise ExpressionSyntaxError(f"unexpected {rest[:1]!r} at position {len(source) - len(rest) + 1}")
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind), match.end(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.position = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None:
            raise ExpressionSyntaxError(f"unexpected end of expression{f', expected {text!r}' if text else ''}")
        if text is not None and token.text != text:
            raise ExpressionSyntaxError(f"expected {text!r} at position {token.start + 1}, found {token.text!r}")
        self.position += 1
        return token

    def span(self, start: int) -> str:
        return self.source[start:self.tokens[self.position - 1].end]

    def parse(self) -> Expr:
        if not self.tokens:
            raise ExpressionSyntaxError("empty expression")
        expr = self.binary(1)
        token = self.peek()
        if token is not None:
            raise ExpressionSyntaxError(f"unexpected {token.text!r} at position {token.start + 1}")
        return expr

    def binary(self, min_precedence: int) -> Expr:
        start = self.tokens[self.position].start if self.peek() else len(self.source)
        left = self.unary()
        while (token := self.peek()) is not None and _BINARY.get(token.text, 0) >= min_precedence:
            self.take()
            right = self.binary(_BINARY[token.text] + 1)  # every binary operator is left-associative
            left = Operator(self.span(start), token.text, left, right)
        return left

    def unary(self) -> Expr:
        token = self.peek()
        if token is not None and token.text == "!":
            self.take()
            operand = self.unary()
            return Not(self.span(token.start), operand)
        return self.postfix()

    def postfix(self) -> Expr:
        start = self.tokens[self.position].start if self.peek() else len(self.source)
        expr = self.primary()
        while (token := self.peek()) is not None and token.text in {".", "["}:
            self.take()
            if token.text == "[":
                index = self.binary(1)
                self.take("]")
                expr = Index(self.span(start), expr, index)
            elif (name := self.take()).text == "*":
                expr = Star(self.span(start), expr)
            elif name.kind == "name" or (name.kind == "number" and name.text.isdigit()):
                expr = Property(self.span(start), expr, name.text)
            else:
                raise ExpressionSyntaxError(f"expected a property name at position {name.start + 1}")
        return expr

    def primary(self) -> Expr:
        token = self.take()
        if token.kind == "string":
            return Literal(token.text, token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            return Literal(token.text, _number(token.text))
        if token.text == "(":
            inner = self.binary(1)
            self.take(")")
            return inner
        if token.kind != "name":
            raise ExpressionSyntaxError(f"unexpected {token.text!r} at position {token.start + 1}")
        if token.text in _KEYWORDS:
            return Literal(token.text, _KEYWORDS[token.text])
        if token.text in {"NaN", "Infinity"}:
            return Literal(token.text, float(token.text.lower().replace("infinity", "inf")))
        nxt = self.peek()
        if nxt is not None and nxt.text == "(":
            return self.call(token)
        return Name(token.text, token.text)

    def call(self, name: _Token) -> Call:
        self.take("(")
        args: list[Expr] = []
        while (token := self.peek()) is not None and token.text != ")":
            args.append(self.binary(1))
            if (token := self.peek()) is not None and token.text == ",":
                self.take()
        self.take(")")
        return Call(self.span(name.start), name.text, tuple(args))


def _number(text: str) -> int | float:
    if text.lower().startswith("0x"):
        return int(text, 16)
    value = float(text)
    return int(value) if value.is_integer() and not any(c in text for c in ".eE") else value


def parse_expression(source: str, *, path: str = "<expression>", line: int | None = None) -> Expr:
    """Parse one expression (without the ``${{ }}``); a syntax error names ``path:line`` and the expression."""
    try:
        return _parse_cached(source)
    except ExpressionSyntaxError as exc:
        raise WorkflowLoadError(f"invalid expression {source.strip()!r}: {exc}", path=path, line=line) from None


@lru_cache(maxsize=1024)
def _parse_cached(source: str) -> Expr:
    # The same few expressions are evaluated once per matrix combination and per event: parse each once.
    return _Parser(source).parse()
