"""Parser for GitHub Actions expressions (the part inside ``${{ }}``), with GitHub's grammar and limits.

Grammar, lowest precedence first (GitHub's operator table)::

    or      := and ('||' and)*                  -> one Logical node for the whole chain
    and     := equal ('&&' equal)*              -> one Logical node
    equal   := compare (('==' | '!=') compare)*
    compare := unary (('<' | '<=' | '>' | '>=') unary)*
    unary   := '!' unary | postfix
    postfix := (NAME | call | '(' or ')') ('.' NAME | '.' '*' | '[' '*' ']' | '[' or ']')*
    primary := literal | postfix

GitHub's limits and checks apply here, before anything is evaluated: at most 21,000 characters, nesting at most 50
deep (counted as GitHub counts it: each group, argument, ``!``, property access and operator chain), a known context
name, a known function with an allowed number of arguments (on every branch, even one that would never run), a
comma between arguments. Nesting deeper than 50 is refused before Python's own stack is in danger, and an operator
chain is one node, so no input can exhaust the stack. A node keeps the source and its offsets, never a copy of its
text: ``text`` slices on demand (only an unknown value needs it), so parsing is linear in the input's size.

A syntax error is a :class:`WorkflowLoadError` naming the caller's ``path`` and ``line``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows import expr_lexer as lx
from cicd_acceptance.workflows.expr_lexer import MAX_EXPRESSION_LENGTH, ExpressionSyntaxError, Tokens, tokenize

__all__ = [
    "BUILTIN_FUNCTIONS",
    "CONTEXT_NAMES",
    "MAX_DEPTH",
    "MAX_EXPRESSION_LENGTH",
    "WORKFLOW_FUNCTIONS",
    "Call",
    "Expr",
    "Index",
    "Literal",
    "Logical",
    "Name",
    "Not",
    "Operator",
    "Property",
    "Star",
    "parse_expression",
    "parse_tokens",
]

MAX_DEPTH = 50

# Every context a workflow expression may name (which ones a given key allows is the workflow model's business).
CONTEXT_NAMES = frozenset(
    {"github", "env", "vars", "secrets", "inputs", "matrix", "strategy", "needs", "steps", "job", "jobs", "runner"})

# name (lowercase) -> (fewest, most) arguments. GitHub's own functions, then the ones a workflow adds.
BUILTIN_FUNCTIONS: dict[str, tuple[int, int]] = {
    "case": (3, 1 << 31), "contains": (2, 2), "endswith": (2, 2), "format": (1, 255), "fromjson": (1, 1),
    "join": (1, 2), "startswith": (2, 2), "tojson": (1, 1),
}
WORKFLOW_FUNCTIONS: dict[str, tuple[int, int]] = {
    "success": (0, 0), "always": (0, 0), "failure": (0, 0), "cancelled": (0, 0), "hashfiles": (1, 255),
}


class Expr:
    """A node: the whole source and this node's span in it (``text`` is sliced when asked for)."""

    __slots__ = ("end", "source", "start")

    def __init__(self, source: str, start: int, end: int) -> None:
        self.source = source
        self.start = start
        self.end = end

    @property
    def text(self) -> str:
        return self.source[self.start:self.end]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


class Literal(Expr):
    __slots__ = ("value",)

    def __init__(self, source: str, start: int, end: int, value: str | int | float | bool | None) -> None:
        super().__init__(source, start, end)
        self.value = value


class Name(Expr):
    """A context: ``github``, ``matrix``..."""

    __slots__ = ("name",)

    def __init__(self, source: str, start: int, end: int, name: str) -> None:
        super().__init__(source, start, end)
        self.name = name


class Property(Expr):
    """``target.name``."""

    __slots__ = ("name", "target")

    def __init__(self, source: str, start: int, end: int, target: Expr, name: str) -> None:
        super().__init__(source, start, end)
        self.target = target
        self.name = name


class Star(Expr):
    """``x.*`` or ``x[*]``: the object filter (values of every element / property)."""

    __slots__ = ("target",)

    def __init__(self, source: str, start: int, end: int, target: Expr) -> None:
        super().__init__(source, start, end)
        self.target = target


class Index(Expr):
    """``target[index]``."""

    __slots__ = ("index", "target")

    def __init__(self, source: str, start: int, end: int, target: Expr, index: Expr) -> None:
        super().__init__(source, start, end)
        self.target = target
        self.index = index


class Call(Expr):
    __slots__ = ("args", "function")

    def __init__(self, source: str, start: int, end: int, function: str, args: tuple[Expr, ...]) -> None:
        super().__init__(source, start, end)
        self.function = function
        self.args = args


class Not(Expr):
    __slots__ = ("operand",)

    def __init__(self, source: str, start: int, end: int, operand: Expr) -> None:
        super().__init__(source, start, end)
        self.operand = operand


class Operator(Expr):
    """A comparison: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` (a chain nests to the left)."""

    __slots__ = ("left", "op", "right")

    def __init__(self, source: str, start: int, end: int, op: str, left: Expr, right: Expr) -> None:
        super().__init__(source, start, end)
        self.op = op
        self.left = left
        self.right = right


class Logical(Expr):
    """A whole ``a && b && c`` or ``a || b || c`` chain: one node, evaluated left to right."""

    __slots__ = ("args", "op")

    def __init__(self, source: str, start: int, end: int, op: str, args: tuple[Expr, ...]) -> None:
        super().__init__(source, start, end)
        self.op = op
        self.args = args


_COMPARE = {lx.EQ: "==", lx.NE: "!=", lx.LT: "<", lx.LE: "<=", lx.GT: ">", lx.GE: ">="}


class _Parser:
    """GitHub's recursive descent, depth counted where GitHub counts it (the count bounds the recursion)."""

    def __init__(self, tokens: Tokens, contexts: frozenset[str], functions: dict[str, tuple[int, int]]) -> None:
        self.tokens = tokens
        self.kinds = tokens.kinds
        self.source = tokens.source
        self.position = 0
        self.depth = 0
        self.contexts = contexts
        self.functions = functions

    # --- token helpers ---------------------------------------------------------------------------------------
    def check(self, kind: int) -> bool:
        return self.kinds[self.position] == kind

    def match(self, *kinds: int) -> bool:
        if self.kinds[self.position] in kinds and self.kinds[self.position] != lx.EOF:
            self.position += 1
            return True
        return False

    def expect(self, kind: int, what: str) -> None:
        if not self.match(kind):
            raise self.unexpected(self.position, f"expected {what}")

    def unexpected(self, index: int, hint: str = "") -> ExpressionSyntaxError:
        if self.kinds[index] == lx.EOF:
            return ExpressionSyntaxError(f"unexpected end of expression{f', {hint}' if hint else ''}")
        where = f"at position {self.tokens.starts[index] + 1}"
        return ExpressionSyntaxError(f"unexpected {self.tokens.describe(index)} {where}{f', {hint}' if hint else ''}")

    def last_end(self) -> int:
        return self.tokens.ends[self.position - 1]

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionSyntaxError(f"nested deeper than GitHub's limit of {MAX_DEPTH}")

    # --- grammar ---------------------------------------------------------------------------------------------
    def parse(self) -> Expr:
        if self.check(lx.EOF):
            raise ExpressionSyntaxError("empty expression")
        expr = self.expression()
        if not self.check(lx.EOF):
            raise self.unexpected(self.position)
        return expr

    def expression(self) -> Expr:
        self.deeper()
        expr = self.logical(lx.OR)
        self.depth -= 1
        return expr

    def logical(self, kind: int) -> Expr:
        operand = self.logical_and if kind == lx.OR else self.equality
        start = self.tokens.starts[self.position]  # a leading '(' belongs to the chain's text
        expr = operand()
        if not self.check(kind):
            return expr
        self.deeper()
        args = [expr]
        while self.match(kind):
            args.append(operand())
        self.depth -= 1
        return Logical(self.source, start, self.last_end(), "||" if kind == lx.OR else "&&", tuple(args))

    def logical_and(self) -> Expr:
        return self.logical(lx.AND)

    def equality(self) -> Expr:
        return self.binary(self.comparison, (lx.EQ, lx.NE))

    def comparison(self) -> Expr:
        return self.binary(self.unary, (lx.LT, lx.LE, lx.GT, lx.GE))

    def binary(self, operand: Any, kinds: tuple[int, ...]) -> Expr:
        start = self.tokens.starts[self.position]
        expr: Expr = operand()
        while self.match(*kinds):
            op = _COMPARE[self.kinds[self.position - 1]]
            right: Expr = operand()
            expr = Operator(self.source, start, self.last_end(), op, expr, right)
        return expr

    def unary(self) -> Expr:
        if self.match(lx.BANG):
            start = self.tokens.starts[self.position - 1]
            self.deeper()
            operand = self.unary()
            self.depth -= 1
            return Not(self.source, start, self.last_end(), operand)
        return self.postfix()

    def postfix(self) -> Expr:
        start = self.tokens.starts[self.position]
        expr, accessible = self.primary()
        if not accessible:  # GitHub indexes only a context, a call or a parenthesised group
            return expr
        added = 0
        while True:
            if self.match(lx.LBRACKET):
                star = self.match(lx.STAR)
                index = None if star else self.expression()
                self.expect(lx.RBRACKET, "']'")
                self.deeper()
                added += 1
                end = self.last_end()
                expr = Star(self.source, start, end, expr) if index is None else Index(
                    self.source, start, end, expr, index)
            elif self.match(lx.DOT):
                self.deeper()
                added += 1
                if self.match(lx.IDENT):
                    name = self.source[self.tokens.starts[self.position - 1]:self.last_end()]
                    expr = Property(self.source, start, self.last_end(), expr, name)
                elif self.match(lx.STAR):
                    expr = Star(self.source, start, self.last_end(), expr)
                else:
                    raise self.unexpected(self.position, "expected a property name")
            else:
                break
        self.depth -= added
        return expr

    def primary(self) -> tuple[Expr, bool]:
        index = self.position
        kind = self.kinds[index]
        start, end = self.tokens.starts[index], self.tokens.ends[index]
        if kind == lx.IDENT:
            self.position += 1
            name = self.source[start:end]
            if self.match(lx.LPAREN):
                return self.call(name, start), True
            if name.lower() not in self.contexts:
                raise ExpressionSyntaxError(f"unrecognized named-value {name!r} at position {start + 1}")
            return Name(self.source, start, end, name), True
        if kind in (lx.TRUE, lx.FALSE, lx.NULL, lx.NUMBER, lx.STRING):
            self.position += 1
            value: Any = self.tokens.values[index]
            return Literal(self.source, start, end, value), False
        if self.match(lx.LPAREN):
            inner = self.expression()
            self.expect(lx.RPAREN, "')'")
            return inner, True
        raise self.unexpected(index)

    def call(self, name: str, start: int) -> Call:
        args: list[Expr] = []
        while not self.match(lx.RPAREN):
            args.append(self.expression())
            if not self.check(lx.RPAREN):
                self.expect(lx.COMMA, "',' between arguments")
        self.check_function(name, len(args))
        return Call(self.source, start, self.last_end(), name, tuple(args))

    def check_function(self, name: str, count: int) -> None:
        arity = self.functions.get(name.lower())
        if arity is None:
            raise ExpressionSyntaxError(f"unknown function {name}()")
        fewest, most = arity
        if count < fewest or count > most:
            many = "few" if count < fewest else "many"
            raise ExpressionSyntaxError(f"wrong number of arguments: too {many} for {name}()")
        if name.lower() == "case" and count % 2 == 0:
            raise ExpressionSyntaxError("wrong number of arguments: case() takes an odd number")


def parse_expression(source: str, *, path: str = "<expression>", line: int | None = None,
                     contexts: Iterable[str] | None = None, workflow_functions: bool = True) -> Expr:
    """Parse one expression (without the ``${{ }}``); a syntax error names ``path:line`` and the expression.

    ``contexts`` are the names an expression may use (default: every context a workflow has);
    ``workflow_functions`` allows ``success()``, ``always()``, ``failure()``, ``cancelled()`` and ``hashFiles()``.
    """
    names = CONTEXT_NAMES if contexts is None else frozenset(name.lower() for name in contexts)
    try:
        if len(source) > _CACHED_LENGTH:  # a hostile file full of long expressions must not fill the cache
            return parse_tokens(tokenize(source), contexts=names, workflow_functions=workflow_functions)
        return _parse_cached(source, names, workflow_functions)
    except ExpressionSyntaxError as exc:
        shown = source.strip()
        shown = shown if len(shown) <= 200 else f"{shown[:200]}..."
        raise WorkflowLoadError(f"invalid expression {shown!r}: {exc}", path=path, line=line) from None


_CACHED_LENGTH = 1000


@lru_cache(maxsize=1024)
def _parse_cached(source: str, contexts: frozenset[str], workflow_functions: bool) -> Expr:
    # The same few expressions are evaluated once per matrix combination and per event: parse each once.
    return parse_tokens(tokenize(source), contexts=contexts, workflow_functions=workflow_functions)


def parse_tokens(tokens: Tokens, *, contexts: frozenset[str] = CONTEXT_NAMES, workflow_functions: bool = True) -> Expr:
    """The tree of already cut tokens (:func:`tokenize` with ``max_length=None`` lets a benchmark go past GitHub's
    length limit to measure the parser alone)."""
    functions = {**BUILTIN_FUNCTIONS, **WORKFLOW_FUNCTIONS} if workflow_functions else BUILTIN_FUNCTIONS
    return _Parser(tokens, contexts, functions).parse()

