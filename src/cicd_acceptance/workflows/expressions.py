"""Static evaluation of GitHub Actions ``${{ }}`` expressions: known where the checkout decides, symbolic elsewhere.

What is known comes from an :class:`ExprContext`: ``matrix`` (one combination), ``env`` (workflow, job and step
levels layered with :meth:`ExprContext.with_env`, inner wins), the ``github`` values of the event being planned,
``inputs`` and the outputs of earlier steps. ``secrets`` and every other context (``vars``, ``needs``,
``runner``...) are :class:`Unknown`, as is a ``github``/``env``/``inputs`` key the context does not hold: nothing
is guessed. An :class:`Unknown` remembers the source text, so a report can show ``${{ secrets.REGISTRY }}``.

Semantics are GitHub's evaluator's (``expr_values`` has the rules; a differential test holds them to GitHub's own
npm package ``@actions/expressions``): ``&&``/``||`` return an operand, not a boolean; ``==`` compares strings
case-insensitively and coerces mismatched primitives to numbers (null -> 0, booleans -> 1/0, strings parsed);
arrays and objects equal only themselves; falsy values are ``false``, ``0``, ``-0``, ``""``, ``null`` and ``NaN``. An
unknown operand short-circuits correctly: ``false && secrets.X`` is ``false``, ``secrets.X || true`` is unknown
but known to be truthy (:attr:`Unknown.truthy`), which is all an ``if:`` needs. Status functions (``success()``,
``always()``) are true and ``failure()``/``cancelled()`` false: the static plan is the plan of a run that succeeds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.expr_functions import call_function
from cicd_acceptance.workflows.expr_parser import (
    WORKFLOW_FUNCTIONS,
    Call,
    Expr,
    Index,
    Literal,
    Logical,
    Name,
    Not,
    Operator,
    Property,
    Star,
    parse_expression,
)
from cicd_acceptance.workflows.expr_values import (
    EvaluationError,
    KnownObject,
    PartialObject,
    Unknown,
    compare,
    index_value,
    lookup,
    loose_equal,
    star_values,
    to_text,
    truthy,
)
from cicd_acceptance.workflows.yamlnode import Node

__all__ = [
    "ExprContext",
    "Unknown",
    "env_text",
    "evaluate",
    "evaluate_if",
    "evaluate_known",
    "find_expressions",
    "interpolate",
    "resolve",
    "to_text",
    "truthy",
]

_STATUS = {"success": True, "always": True, "failure": False, "cancelled": False}
_WORKFLOW_FUNCTIONS = frozenset(WORKFLOW_FUNCTIONS)


@dataclass(frozen=True)
class ExprContext:
    """What is statically known while evaluating; absent knowledge is unknown, never empty.

    ``matrix`` is ``None`` when the job has no matrix (then ``matrix.x`` is null, as on GitHub) unless
    ``matrix_known`` is False (an expression-built matrix: every ``matrix.x`` is unknown). ``inputs`` with
    ``inputs_complete`` holds every input (an absent one is null, as on GitHub). ``steps`` maps a step id to its
    outputs; ``needs`` the outputs of the jobs this one needs (as far as known).
    """

    github: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict)
    matrix: Mapping[str, Any] | None = None
    matrix_known: bool = True
    inputs: Mapping[str, Any] | None = None
    inputs_complete: bool = False
    steps: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    needs: Mapping[str, Any] | None = None  # the outputs of earlier jobs, as far as the plan computed them
    path: str = "<expression>"
    line: int | None = None

    def with_env(self, env: Mapping[str, Any]) -> ExprContext:
        """A context whose ``env`` has ``env`` layered on top (inner level wins)."""
        return replace(self, env={**self.env, **env})

    def with_env_nodes(self, env: Mapping[str, Node]) -> ExprContext:
        """Layer an ``env:`` block, evaluating each value in the current context (``${{ }}`` allowed)."""
        return self.with_env({name: env_text(resolve(node, self.at(node.line))) for name, node in env.items()})

    def with_matrix(self, matrix: Mapping[str, Any] | None, *, known: bool = True) -> ExprContext:
        return replace(self, matrix=matrix, matrix_known=known)

    def with_step_outputs(self, step_id: str, outputs: Mapping[str, Any]) -> ExprContext:
        return replace(self, steps={**self.steps, step_id: outputs})

    def at(self, line: int | None, path: str | None = None) -> ExprContext:
        """The same knowledge, with ``path:line`` for error messages."""
        return replace(self, line=line, path=path or self.path)

    def context_value(self, name: str, text: str) -> Any:
        """The value of context ``name`` (lowercase) as far as it is known; ``text`` names it in an unknown."""
        if name == "matrix":
            if not self.matrix_known:
                return Unknown(text)
            return KnownObject(self.matrix or {}, text)
        if name == "inputs" and self.inputs is not None and self.inputs_complete:
            return KnownObject(self.inputs, text)
        known: dict[str, Mapping[str, Any] | None] = {
            "github": self.github, "env": self.env, "inputs": self.inputs, "steps": self.steps,
            "needs": self.needs,
        }
        if name in known and known[name] is not None:
            return PartialObject(known[name] or {}, text)
        return Unknown(text)  # secrets, vars, runner, job, strategy...: not knowable offline


def evaluate(expr: str, ctx: ExprContext) -> Any:
    """Evaluate one expression (with or without its ``${{ }}``) to a value or an :class:`Unknown`."""
    source = _strip_braces(expr)
    tree = parse_expression(source, path=ctx.path, line=ctx.line)
    return _run(_Evaluator(ctx.context_value), tree, source, path=ctx.path, line=ctx.line)


def evaluate_known(expr: str, contexts: Mapping[str, Any], *, path: str = "<expression>", line: int | None = None,
                   functions: Mapping[str, Callable[..., Any]] | None = None) -> Any:
    """Evaluate with every context fully known (``contexts``: name -> value), exactly as GitHub's evaluator does:
    only the named contexts and GitHub's own functions exist. ``functions`` (lowercase name -> callable taking the
    evaluated arguments) adds the workflow's own: ``success``, ``always``, ``failure``, ``cancelled``, ``hashfiles``
    (a runner knows their answers; a workflow function not given is an error when called)."""
    source = _strip_braces(expr)
    tree = parse_expression(source, path=path, line=line, contexts=contexts.keys(),
                            workflow_functions=functions is not None)

    def context_value(name: str, text: str) -> Any:
        return lookup(contexts, name)[1]

    evaluator = _Evaluator(context_value, functions={name.lower(): f for name, f in (functions or {}).items()})
    return _run(evaluator, tree, source, path=path, line=line)


def _run(evaluator: _Evaluator, tree: Expr, source: str, *, path: str, line: int | None) -> Any:
    try:
        return evaluator.eval(tree)
    except (EvaluationError, RecursionError, ArithmeticError) as exc:
        shown = source.strip()
        shown = shown if len(shown) <= 200 else f"{shown[:200]}..."
        raise WorkflowLoadError(f"expression {shown!r} fails: {exc or type(exc).__name__}", path=path,
                                line=line) from None


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


def env_text(value: Any) -> Any:
    """An ``env:`` value as the runner holds it: a string (``${{ a == b }}`` gives ``'true'``, YAML ``3`` gives
    ``'3'``), so that ``env.X == 'true'`` compares as on GitHub; an unknown value stays unknown."""
    return value if isinstance(value, Unknown) else to_text(value)


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
    """Walks a tree. Recursion is bounded by the parser's depth limit; comparison chains (which GitHub does not
    count as depth) are folded in a loop."""

    def __init__(self, context_value: Callable[[str, str], Any], *,
                 functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.context_value = context_value
        self.functions = functions  # None: the static plan's answers (status functions of a run that succeeds)
        self.contexts: dict[str, Any] = {}  # one object per context, so `matrix == matrix` holds as on GitHub

    def eval(self, expr: Expr) -> Any:
        if isinstance(expr, Literal):
            return expr.value
        if isinstance(expr, Name):
            return self.context(expr)
        if isinstance(expr, Property):
            return index_value(self.eval(expr.target), expr.name, expr.text)
        if isinstance(expr, Index):
            index = self.eval(expr.index)  # GitHub evaluates the index first
            return index_value(self.eval(expr.target), index, expr.text)
        if isinstance(expr, Star):
            return star_values(self.eval(expr.target), expr.text)
        if isinstance(expr, Not):
            return self.negate(expr)
        if isinstance(expr, Logical):
            return self.logical(expr)
        if isinstance(expr, Operator):
            return self.comparison(expr)
        assert isinstance(expr, Call)
        return self.call(expr)

    def context(self, expr: Name) -> Any:
        name = expr.name.lower()
        if name not in self.contexts:
            self.contexts[name] = self.context_value(name, expr.text)
        return self.contexts[name]

    def negate(self, expr: Not) -> Any:
        value = self.eval(expr.operand)
        if isinstance(value, Unknown):
            return Unknown(expr.text, truthy=None if value.truthy is None else not value.truthy)
        return not truthy(value)

    def comparison(self, expr: Operator) -> Any:
        chain: list[Operator] = []
        node: Expr = expr
        while isinstance(node, Operator):
            chain.append(node)
            node = node.left
        value = self.eval(node)
        for link in reversed(chain):
            right = self.eval(link.right)
            if isinstance(value, Unknown) or isinstance(right, Unknown):
                value = Unknown(link.text)
            elif link.op in {"==", "!="}:
                value = loose_equal(value, right) == (link.op == "==")
            else:
                value = compare(link.op, value, right)
        return value

    def logical(self, expr: Logical) -> Any:
        """``a && b && c`` / ``a || b || c``: the first operand that decides, else the last. An operand whose
        truthiness is unknown leaves the answer open; a later operand may still settle its truthiness."""
        is_and = expr.op == "&&"
        undecided = False
        value: Any = None
        for arg in expr.args:
            if undecided:
                try:
                    value = self.eval(arg)
                except EvaluationError:  # GitHub may never get here (the unknown operand may decide first)
                    return Unknown(expr.text)
            else:
                value = self.eval(arg)
            truth = value.truthy if isinstance(value, Unknown) else truthy(value)
            if truth is None:
                undecided = True
            elif truth != is_and:  # false && ..., true || ...: decided
                return Unknown(expr.text, truthy=truth) if undecided else value
        return Unknown(expr.text) if undecided else value

    def call(self, expr: Call) -> Any:
        name = expr.function.lower()
        if self.functions is None and name in _STATUS:
            return _STATUS[name]
        args = [self.eval(arg) for arg in expr.args]  # GitHub evaluates every argument, even case()'s
        if self.functions is not None and name in _WORKFLOW_FUNCTIONS:
            if name not in self.functions:
                raise EvaluationError(f"{expr.function}() is not available here")
            return self.functions[name](*args)
        if name == "case":
            return _case(args, expr.text)
        return call_function(name, args, expr.text)


def _case(args: list[Any], text: str) -> Any:
    """``case(pred1, value1, ..., default)``: the value of the first true predicate (each must be a boolean)."""
    for position in range(0, len(args) - 1, 2):
        predicate = args[position]
        if isinstance(predicate, Unknown):
            return Unknown(text)
        if not isinstance(predicate, bool):
            raise EvaluationError(f"case() predicate {position // 2 + 1} is not a boolean")
        if predicate:
            return args[position + 1]
    return args[-1]
