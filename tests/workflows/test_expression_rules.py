"""One rule of GitHub's expression evaluator per case: what GitHub computes for known values, from its documentation
("Expressions", "Contexts") and its evaluator's behaviour. Unknown values stay symbolic (see test_expressions.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, evaluate, evaluate_known, interpolate

CONTEXTS: dict[str, Any] = {
    "matrix": {"os": "linux", "n": 2},
    "items": [{"name": "a", "tags": ["x", "y"]}, {"other": 1}, {"name": "c", "tags": ["z"]}, "text", [7, 8]],
    "nested": [[1, 2], [3], {"k": 4}],
    "numbers": [10, 20, 30],
}


def known(expr: str) -> Any:
    return evaluate_known(expr, CONTEXTS)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # x[*] is x.*; a filter keeps only the elements that have the property; .*.* flattens one level
        ("items.*.name", ["a", "c"]),
        ("items[*].name", ["a", "c"]),
        ("items[*]['name']", ["a", "c"]),
        ("items.*.tags.*", ["x", "y", "z"]),
        ("nested.*.*", [1, 2, 3, 4]),
        ("nested[*][0]", [1, 3]),
        ("items.*.missing", []),
        ("matrix.*", ["linux", 2]),
        ("'text' && matrix.os.*", []),
        ("(items.*.name)[0]", []),  # an index after a filter applies to every element (strings have none)
        # number literals
        ("-Infinity", -math.inf),
        ("+Infinity", math.inf),
        ("+1", 1),
        ("-1.5", -1.5),
        (".5", 0.5),
        ("0x1F", 31),
        ("0o17", 15),
        ("1e3", 1000),
        ("1E-3", 0.001),
        # strings become numbers as GitHub's parser reads them
        ("' 12 ' == 12", True),
        ("'\t7\n' == 7", True),
        ("'' == 0", True),
        ("'0x1F' == 31", True),
        ("'1_000' == 1000", False),
        ("'infinity' == Infinity", False),
        ("'Infinity' == Infinity", True),
        ("'1e3' == 1000", True),
        # numbers become strings with at most 15 decimals, in the shortest form
        ("format('{0}', fromJSON('0.30000000000000004'))", "0.3"),
        ("format('{0}', 1e21)", "1e+21"),
        ("format('{0}', 0.0000001)", "1e-7"),
        ("format('{0}', 2.50)", "2.5"),
        ("format('{0}', -0)", "0"),
        ("format('{0}|{1}|{2}', NaN, Infinity, -Infinity)", "NaN|Infinity|-Infinity"),
        # arrays and objects as strings
        ("format('{0}/{1}', numbers, matrix)", "Array/Object"),
        ("join(nested, '+')", "Array+Array+Object"),
        ("join(matrix)", ""),
        ("join('abc', '-')", "abc"),
        ("join(numbers)", "10,20,30"),
        ("join(numbers, numbers)", "10,20,30"),
        ("join(numbers, null)", "102030"),
        ("matrix[numbers]", None),
        # case-insensitive comparison by upper-casing
        ("'a' < '['", True),
        ("'A' == 'a'", True),
        ("'abc' < 'ABD'", True),
        ("startsWith('\u0130_asdf', 'i')", False),
        ("endsWith('Release', 'ASE')", True),
        ("contains('Hello', 'ELL')", True),
        # indexes convert to numbers (arrays) and strings (objects)
        ("numbers[true]", 20),
        ("numbers[' 0x02 ']", 30),
        ("numbers[1.9]", 20),
        ("numbers[null]", 10),
        ("numbers[NaN]", None),
        ("numbers[Infinity]", None),
        ("numbers[-1]", None),
        ("numbers[1e300]", None),
        ("numbers['x']", None),
        ("matrix[fromJSON('true')]", None),
        ("fromJSON('{\"1\": \"one\"}')[1]", "one"),
        # case(): the value of the first true predicate, else the default
        ("case(false, 1, true, 2, 3)", 2),
        ("case(false, 1, 3)", 3),
        ("case(matrix.os == 'linux', 'l', 'other')", "l"),
        # object identity
        ("matrix == matrix", True),
        ("numbers == numbers", True),
        ("fromJSON('[]') == fromJSON('[]')", False),
        ("matrix == 'Object'", False),
        # toJSON / fromJSON as GitHub's: JavaScript number forms and key order, case-insensitive keys
        ("toJSON(fromJSON('[1e400, 1.0, 1e21]'))", "[\n  null,\n  1,\n  1e+21\n]"),
        ("toJSON(fromJSON('{\"b\": 1, \"2\": 2}'))", '{\n  "2": 2,\n  "b": 1\n}'),
        ("fromJSON('{\"a\": 1, \"A\": 2}').A", 1),
        ("toJSON('\u0001')", '"\\u0001"'),
        # the operators return an operand
        ("'' || numbers[0]", 10),
        ("null || 'x'", "x"),
    ],
)
def test_known_value(expr: str, expected: Any) -> None:
    assert known(expr) == expected


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("format('{0}-{1}', 1 2)", "',' between arguments"),
        ("false && nosuch()", "unknown function nosuch()"),
        ("false && contains('a')", "wrong number of arguments"),
        ("case(true, 1)", "wrong number of arguments"),
        ("case(1, 2, 3)", "not a boolean"),
        ("", "empty expression"),
        ("   ", "empty expression"),
        ("- 1", "unexpected '-'"),
        ("1_000", "unexpected '1_000'"),
        ("'abc'[0]", "unexpected '['"),
        ("nope.x", "unrecognized named-value 'nope'"),
        ("format('{0}')", "references more arguments"),
        ("format('{x}', 1)", "is invalid"),
        ("format('}', 1)", "is invalid"),
        ("fromJSON('')", "empty string"),
        ("fromJSON('NaN')", "invalid JSON"),
        ("fromJSON('{\"a\": 1,}')", "invalid JSON"),
        ("matrix.a = 1", "unexpected '='"),
    ],
)
def test_github_refuses(expr: str, fragment: str) -> None:
    with pytest.raises(WorkflowLoadError, match=r"^w\.yml:4: ") as caught:
        evaluate_known(expr, CONTEXTS, path="w.yml", line=4)
    assert fragment in str(caught.value)


def test_nesting_limit_is_githubs_50() -> None:
    assert known("(" * 49 + "1" + ")" * 49) == 1
    with pytest.raises(WorkflowLoadError, match="nested deeper than GitHub's limit of 50"):
        known("(" * 50 + "1" + ")" * 50)
    assert known("!" * 49 + "true") is False
    with pytest.raises(WorkflowLoadError, match="limit of 50"):
        known("!" * 50 + "true")
    with pytest.raises(WorkflowLoadError, match="limit of 50"):
        known("matrix" + ".a" * 50)


def test_length_limit_is_githubs_21000() -> None:
    assert known("'" + "a" * 20998 + "'") == "a" * 20998
    with pytest.raises(WorkflowLoadError, match="longer than GitHub's limit of 21000"):
        known("'" + "a" * 20999 + "'")
    with pytest.raises(WorkflowLoadError, match="limit of 21000"):  # counted in UTF-16 units, as GitHub counts
        known("'" + "\U0001f600" * 10500 + "'")


def test_results_past_githubs_memory_bound_fail() -> None:
    # Each toJSON() of a string escapes its quotes and backslashes: the result doubles every level.
    grows = "'\"'"
    for _ in range(20):
        grows = f"toJSON({grows})"
    with pytest.raises(WorkflowLoadError, match="memory limit of 1048576 bytes"):
        known(grows)
    assert len(known("format('{0}{0}{0}{0}', '" + "x" * 20000 + "')")) == 80000


def test_interpolation_writes_arrays_and_objects_as_github_does() -> None:
    ctx = ExprContext(matrix={"os": "linux"}, github={"event": {"commits": [1, 2]}})
    assert interpolate("m=${{ matrix }} c=${{ github.event.commits }} n=${{ 0.1 }}", ctx) == "m=Object c=Array n=0.1"


def test_partial_contexts_never_guess_the_whole() -> None:
    ctx = ExprContext(github={"ref": "refs/heads/main"})
    assert isinstance(evaluate("toJSON(github)", ctx), Unknown)
    assert isinstance(evaluate("github.*", ctx), Unknown)
    assert isinstance(evaluate("case(secrets.X == 'a', 1, 2)", ctx), Unknown)
    assert evaluate("case(true, 1, secrets.X)", ctx) == 1
    assert evaluate("github == github", ctx) is True
    assert evaluate("contains(fromJSON('[1, 2]'), 2)", ctx) is True
    assert isinstance(evaluate("contains(fromJSON('[1, 2]'), secrets.X)", ctx), Unknown)
    assert evaluate("format('{0}', github)", ctx) == "Object"


def test_a_runner_supplies_the_workflow_functions() -> None:
    functions: dict[str, Callable[..., Any]] = {
        "success": lambda: False, "failure": lambda: True, "hashFiles": lambda *globs: f"h({','.join(globs)})"}
    assert evaluate_known("failure() && !success()", CONTEXTS, functions=functions) is True
    assert evaluate_known("hashFiles('go.sum', matrix.os)", CONTEXTS, functions=functions) == "h(go.sum,linux)"
    with pytest.raises(WorkflowLoadError, match=r"always\(\) is not available here"):
        evaluate_known("always()", CONTEXTS, functions=functions)
    with pytest.raises(WorkflowLoadError, match="unknown function success"):
        known("success()")  # GitHub's evaluator alone has no workflow functions
