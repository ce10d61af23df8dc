"""Hostile ``${{ }}`` input: huge operator chains, deep nesting and deep JSON give a value or the project's own error
naming file:line - never RecursionError, never unbounded memory. Memory is measured with tracemalloc as a generous
bound; timings live in benchmarks/expressions.py."""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from cicd_acceptance.errors import HarnessError, WorkflowLoadError
from cicd_acceptance.workflows.expr_lexer import ExpressionSyntaxError, tokenize
from cicd_acceptance.workflows.expr_parser import Logical, parse_tokens
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, evaluate, interpolate

CTX = ExprContext(github={"ref": "refs/heads/main"}, env={"A": ""}, path="ci.yml", line=12)


def _peak_bytes(work: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def chain(terms: int, op: str = "||") -> str:
    return f" {op} ".join(f"env.X{i}" for i in range(terms))


def test_a_30000_term_chain_is_refused_quickly_by_githubs_length_limit() -> None:
    source = chain(30_000)
    assert len(source) < 1 << 20  # the file cap lets it through; GitHub's 21,000-character limit does not
    with pytest.raises(WorkflowLoadError, match=r"^ci\.yml:12: .*longer than GitHub's limit of 21000"):
        evaluate(source, CTX)


def test_the_parser_is_linear_past_githubs_limit() -> None:
    # Without the length limit the parser still builds a 30,000-term chain as one node, in small memory (the old
    # parser copied every node's source span: 12,000 terms took 2.5 GB).
    source = chain(30_000)
    trees: list[Any] = []
    peak = _peak_bytes(lambda: trees.append(parse_tokens(tokenize(source, max_length=None))))
    assert isinstance(trees[0], Logical)
    assert len(trees[0].args) == 30_000
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_the_longest_chain_github_accepts_evaluates() -> None:
    terms = chain(1_500)
    assert isinstance(evaluate(terms, CTX), Unknown)
    assert evaluate(" || ".join(["env.A"] * 2_000 + ["'last'"]), CTX) == "last"
    # Comparison chains nest to the left without counting as depth (GitHub's rule): folded without recursion.
    assert evaluate(" == ".join(["1"] * 4_000), CTX) is True  # (1 == 1) == 1 ...
    assert evaluate(" < ".join(["1"] * 4_000), CTX) is False  # false, then false < 1, then true < 1...


@pytest.mark.parametrize(
    "source",
    [
        "(" * 5_000 + "1" + ")" * 5_000,
        "format('{0}', " * 3_000 + "1" + ")" * 3_000,
        "!" * 5_000 + "true",
        "github" + ".a" * 5_000,
        "github" + "[0]" * 5_000,
        "toJSON(" * 3_000 + "1" + ")" * 3_000,
        "fromJSON('" + "[" * 5_000 + "]" * 5_000 + "')",
        "fromJSON('" + '{"a":' * 3_000 + "1" + "}" * 3_000 + "')",
        "(" * 5_000,
        "format(" * 5_000,
        "[" * 5_000,
    ],
)
def test_deep_nesting_is_a_clear_error_naming_file_and_line(source: str) -> None:
    with pytest.raises(WorkflowLoadError, match=r"^ci\.yml:12: ") as caught:
        evaluate(source, CTX)
    assert any(reason in str(caught.value) for reason in ("deeper than", "longer than", "unexpected"))
    # Past the length limit too, the parser stops at GitHub's depth limit long before Python's stack is at risk.
    with contextlib.suppress(ExpressionSyntaxError):  # anything else (RecursionError) fails the test
        parse_tokens(tokenize(source, max_length=None))


def test_deep_values_from_a_context_are_a_clear_error() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5_000):
        node["a"] = {}
        node = node["a"]
    ctx = ExprContext(github={"event": deep}, path="ci.yml", line=3)
    with pytest.raises(WorkflowLoadError, match=r"^ci\.yml:3: .*nested deeper than 200"):
        evaluate("toJSON(github.event)", ctx)
    assert evaluate("github.event.a.a.a.b", ctx) is None


@pytest.mark.parametrize(
    "source",
    ["1" * 400, "0x" + "f" * 400, "1e999999", "-" + "9" * 400 + ".5", "fromJSON('" + "9" * 400 + "')[1e308]",
     "format('{" + "9" * 400 + "}', 1)", "github[" + "9" * 400 + "]", "fromJSON('[1]')[1e400]"],
)
def test_huge_numbers_never_overflow(source: str) -> None:
    with contextlib.suppress(HarnessError):  # the project's own error is a fine answer; OverflowError is not
        evaluate(source, CTX)


def test_interpolation_of_many_expressions_stays_bounded() -> None:
    text = "x ${{ github.ref }} " * 20_000
    peak = _peak_bytes(lambda: interpolate(text, CTX))
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.1f} MiB"
