"""Static evaluation of GitHub Actions ``${{ }}`` expressions: known where the checkout decides, symbolic elsewhere.

What is known comes from an :class:`ExprContext`: ``matrix`` (one combination), ``env`` (workflow, job and step
levels layered with :meth:`ExprContext.with_env`, inner wins), the ``github`` values of the event being planned,
``inputs`` and the outputs of earlier steps. ``secrets`` and every other context (``vars``, ``needs``,
``runner``...) are :class:`Unknown`, as is a ``github``/``env``/``inputs`` key the context does not hold: nothing
is guessed. An :class:`Unknown` remembers the source text, so a report can show ``${{ secrets.REGISTRY }}``.

Semantics follow GitHub's documentation ("Expressions"): ``&&``/``||`` return an operand, not a boolean; ``==``
compares strings case-insensitively and coerces mismatched types to numbers (null -> 0, booleans -> 1/0, strings
parsed, arrays/objects -> NaN); falsy values are ``false``, ``0``, ``-0``, ``""``, ``null`` and ``NaN``. An
unknown operand short-circuits correctly: ``false && secrets.X`` is ``false``, ``secrets.X || true`` is unknown
but known to be truthy (:attr:`Unknown.truthy`), which is all an ``if:`` needs. Status functions (``success()``,
``always()``) are true and ``failure()``/``cancelled()`` false: the static plan is the plan of a run that succeeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.expr_functions import call_function
from cicd_acceptance.workflows.expr_parser import (
    Call,
    Expr,
    Index,
    Literal,
    Name,
    Not,
    Operator,
    Property,
    Star,
    parse_expression,
)
from cicd_acceptance.workflows.expr_values import (
    KnownObject,
    PartialObject,
    Unknown,
    compare,
    index_value,
    loose_equal,
    plain,
    property_value,
    star_values,
    to_text,
    truthy,
)
from cicd_acceptance.workflows.yamlnode import Node

__all__ = [
    "ExprContext",
    "Unknown",
    "evaluate",
    "evaluate_if",
    "find_expressions",
    "interpolate",
    "resolve",
    "to_text",
    "truthy",
]

_STATUS = {"success": True, "always": True, "failure": False, "cancelled": False}


@dataclass(frozen=True)
class ExprContext:
    """What is statically known while evaluating; absent knowledge is unknown, never empty.

    ``matrix`` is ``None`` when the job has no matrix (then ``matrix.x`` is null, as on GitHub) unless
    ``matrix_known`` is False (an expression-built matrix: every ``matrix.x`` is unknown). ``inputs`` with
    ``inputs_complete`` holds every input (an absent one is null, as on GitHub). ``steps`` maps a step id to its
    outputs.
    """

    github: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict)
    matrix: Mapping[str, Any] | None = None
    matrix_known: bool = True
    inputs: Mapping[str, Any] | None = None
    inputs_complete: bool = False
    steps: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    path: str = "<expression>"
    line: int | None = None
    # Run time (the emulator executing a workflow): contexts known in full (a missing key is null, never unknown)
    # and the job status the status functions report (None: the static plan, a run that succeeds).
    contexts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    status: str | None = None

    def with_env(self, env: Mapping[str, Any]) -> ExprContext:
        """A context whose ``env`` has ``env`` layered on top (inner level wins)."""
        return replace(self, env={**self.env, **env})

    def with_env_nodes(self, env: Mapping[str, Node]) -> ExprContext:
        """Layer an ``env:`` block, evaluating each value in the current context (``${{ }}`` allowed)."""
        return self.with_env({name: resolve(node, self.at(node.line)) for name, node in env.items()})

    def with_matrix(self, matrix: Mapping[str, Any] | None, *, known: bool = True) -> ExprContext:
        return replace(self, matrix=matrix, matrix_known=known)

    def with_step_outputs(self, step_id: str, outputs: Mapping[str, Any]) -> ExprContext:
        return replace(self, steps={**self.steps, step_id: outputs})

    def at(self, line: int | None, path: str | None = None) -> ExprContext:
        """The same knowledge, with ``path:line`` for error messages."""
        return replace(self, line=line, path=path or self.path)


def evaluate(expr: str, ctx: ExprContext) -> Any:
    """Evaluate one expression (with or without its ``${{ }}``) to a value or an :class:`Unknown`."""
    source = _strip_braces(expr)
    tree = parse_expression(source, path=ctx.path, line=ctx.line)
    return _Evaluator(ctx).eval(tree)


def interpolate(text: str, ctx: ExprContext) -> str | Unknown:
    """Substitute every ``${{ }}`` in ``text``; any unknown part makes the result an :class:`Unknown` template
    (known parts substituted, unknown ones kept as ``${{ ... }}``)."""
    pieces: list[str] = []
    unknown = False
    position = 0
    for start, end, source in find_expressions(text, path=ctx.path, line=ctx.line):
        pieces.append(text[position:start])
        value = evaluate(source, ctx)
        if isinstance(value, Unknown):
            unknown = True
            pieces.append(value.display())
        else:
            pieces.append(to_text(value))
        position = end
    pieces.append(text[position:])
    rendered = "".join(pieces)
    return Unknown(rendered, template=True) if unknown else rendered


def resolve(value: Node | str | None, ctx: ExprContext) -> Any:
    """A YAML value as GitHub would see it: a lone ``${{ x }}`` keeps x's type (``push: ${{ true }}`` is a
    boolean); text around expressions makes a string; scalars without expressions are returned as loaded."""
    if value is None:
        return None
    if isinstance(value, Node):
        if not value.is_string:
            return value.plain()
        value = value.scalar_text()
    found = find_expressions(value, path=ctx.path, line=ctx.line)
    if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(value):
        return evaluate(found[0][2], ctx)
    return interpolate(value, ctx) if found else value


def evaluate_if(condition: str | None, ctx: ExprContext) -> bool | Unknown:
    """A job/step ``if:`` (with or without ``${{ }}``); no condition means "runs". Known truthiness gives a bool."""
    if condition is None or not condition.strip():
        return True
    text = condition.strip()
    found = find_expressions(text, path=ctx.path, line=ctx.line)
    whole = len(found) == 1 and found[0][0] == 0 and found[0][1] == len(text)
    value = evaluate(text, ctx) if whole or not found else interpolate(text, ctx)
    if isinstance(value, Unknown):
        return value if value.truthy is None else value.truthy
    return truthy(value)


def find_expressions(text: str, *, path: str = "<expression>", line: int | None = None) -> list[tuple[int, int, str]]:
    """``(start, end, source)`` of every ``${{ source }}`` in ``text``; ``}}`` inside string literals is skipped."""
    found: list[tuple[int, int, str]] = []
    position = text.find("${{")
    while position != -1:
        end = _closing(text, position + 3)
        if end == -1:
            raise WorkflowLoadError(f"unterminated '${{{{' in {text!r}", path=path, line=line)
        found.append((position, end + 2, text[position + 3:end]))
        position = text.find("${{", end + 2)
    return found


def _closing(text: str, start: int) -> int:
    in_string = False
    index = start
    while index < len(text):
        char = text[index]
        if char == "'":
            in_string = not in_string  # '' (an escaped quote) toggles twice: still correct
        elif not in_string and text.startswith("}}", index):
            return index
        index += 1
    return -1


def _strip_braces(expr: str) -> str:
    text = expr.strip()
    if text.startswith("${{") and text.endswith("}}") and _closing(text, 3) == len(text) - 2:
        return text[3:-2]
    return text


class _Evaluator:
    def __init__(self, ctx: ExprContext) -> None:
        self.ctx = ctx

    def eval(self, expr: Expr) -> Any:
        if isinstance(expr, Literal):
            return expr.value
        if isinstance(expr, Name):
            return self.context(expr)
        if isinstance(expr, Property):
            return property_value(self.eval(expr.target), expr.name, expr.text)
        if isinstance(expr, Index):
            return index_value(self.eval(expr.target), self.eval(expr.index), expr.text)
        if isinstance(expr, Star):
            return star_values(self.eval(expr.target), expr.text)
        if isinstance(expr, Not):
            return self.negate(expr)
        if isinstance(expr, Operator):
            return self.operator(expr)
        return self.call(expr)

    def context(self, expr: Name) -> Any:
        name = expr.name.lower()
        ctx = self.ctx
        if name in ctx.contexts:
            return KnownObject(ctx.contexts[name], expr.text)
        if name == "matrix":
            if not ctx.matrix_known:
                return Unknown(expr.text)
            return KnownObject(ctx.matrix or {}, expr.text)
        if name == "inputs" and ctx.inputs is not None and ctx.inputs_complete:
            return KnownObject(ctx.inputs, expr.text)
        known: dict[str, Mapping[str, Any] | None] = {
            "github": ctx.github, "env": ctx.env, "inputs": ctx.inputs, "steps": ctx.steps,
        }
        if name in known and known[name] is not None:
            return PartialObject(known[name] or {}, expr.text)
        return Unknown(expr.text)  # secrets, vars, needs, runner, job, strategy...: not knowable offline

    def negate(self, expr: Not) -> Any:
        value = self.eval(expr.operand)
        if isinstance(value, Unknown):
            return Unknown(expr.text, truthy=None if value.truthy is None else not value.truthy)
        return not truthy(value)

    def operator(self, expr: Operator) -> Any:
        left = self.eval(expr.left)
        if expr.op in {"&&", "||"}:
            return self.logical(expr, left)
        right = self.eval(expr.right)
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return Unknown(expr.text)
        if expr.op in {"==", "!="}:
            return loose_equal(left, right) == (expr.op == "==")
        return compare(expr.op, left, right)

    def logical(self, expr: Operator, left: Any) -> Any:
        is_and = expr.op == "&&"
        left_truth = left.truthy if isinstance(left, Unknown) else truthy(left)
        if left_truth is not None:  # decided by the left operand's truthiness, even when its value is unknown
            if left_truth != is_and:  # false && x -> left; true || x -> left
                return plain(left)
            return plain(self.eval(expr.right))
        right = self.eval(expr.right)
        right_truth = right.truthy if isinstance(right, Unknown) else truthy(right)
        if is_and:
            truth = False if right_truth is False else (left.truthy if right_truth else None)
        else:
            truth = True if right_truth is True else (left.truthy if right_truth is False else None)
        return Unknown(expr.text, truthy=truth)

    def call(self, expr: Call) -> Any:
        name = expr.function.lower()
        if name in _STATUS:
            if self.ctx.status is None or name == "always":
                return _STATUS[name]
            return self.ctx.status == name
        args = [plain(self.eval(arg)) for arg in expr.args]
        return call_function(name, args, expr.text, path=self.ctx.path, line=self.ctx.line)
