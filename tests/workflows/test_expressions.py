"""Static ${{ }} evaluation: GitHub's operators and coercions, contexts, functions, unknowns kept symbolic."""

from __future__ import annotations

from typing import Any

import pytest

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.expressions import (
    ExprContext,
    Unknown,
    evaluate,
    evaluate_if,
    find_expressions,
    interpolate,
    resolve,
)
from cicd_acceptance.workflows.yamlnode import load_yaml_text

CTX = ExprContext(
    github={"repository": "Acme/Stream-Monitor", "repository_owner": "Acme", "sha": "0123456789abcdef" * 2 + "01234567",
            "ref": "refs/heads/main", "ref_name": "main", "event_name": "push", "actor": "octocat"},
    env={"REGISTRY": "ghcr.io", "LEVEL": "workflow"},
    matrix={"service": "gateway", "n": 2},
    inputs={"debug": False},
    steps={"meta": {"outputs": {"tags": "a\nb"}}},
)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'it''s'", "it's"),
        ("42", 42),
        ("-1.5", -1.5),
        ("0xff", 255),
        ("1e2", 100.0),
        ("true", True),
        ("null", None),
        ("github.repository", "Acme/Stream-Monitor"),
        ("github.REPOSITORY_owner", "Acme"),
        ("github.ref_name", "main"),
        ("github.actor", "octocat"),
        ("env.REGISTRY", "ghcr.io"),
        ("matrix.service", "gateway"),
        ("matrix['service']", "gateway"),
        ("matrix.missing", None),
        ("inputs.debug", False),
        ("steps.meta.outputs.tags", "a\nb"),
        ("github.event_name == 'PUSH'", True),
        ("github.event_name != 'pull_request'", True),
        ("1 == '1'", True),
        ("null == 0", True),
        ("true == 1", True),
        ("'' == 0", True),
        ("'abc' == 0", False),
        ("NaN == NaN", False),
        ("2 < 10", True),
        ("'b' > 'A'", True),
        ("matrix.n >= 2", True),
        ("!0", True),
        ("!'x'", False),
        ("'a' && 'b'", "b"),
        ("'' || 'fallback'", "fallback"),
        ("0 && secrets.X", 0),
        ("'x' || secrets.X", "x"),
        ("(1 < 2) && (3 > 4 || 'yes')", "yes"),
        ("format('{0}/{1}-{{x}}', env.REGISTRY, matrix.service)", "ghcr.io/gateway-{x}"),
        ("contains('Hello', 'ELL')", True),
        ("contains(fromJSON('[\"push\", \"pull_request\"]'), github.event_name)", True),
        ("startsWith(github.ref, 'refs/heads/')", True),
        ("endsWith(github.repository, 'MONITOR')", True),
        ("join(fromJSON('[1, 2]'), '+')", "1+2"),
        ("toJSON(matrix)", '{\n  "service": "gateway",\n  "n": 2\n}'),
        ("fromJSON('{\"a\": [1]}').a[0]", 1),
        ("fromJSON('[{\"n\": 1}, {\"n\": 2}]').*.n", [1, 2]),
        ("success() && !failure() && always() && !cancelled()", True),
        ("(secrets.X || true) && 'known'", "known"),
        ("(secrets.X && false) || 'fallback'", "fallback"),
        ("${{ matrix.service }}", "gateway"),
    ],
)
def test_known_values(expr: str, expected: Any) -> None:
    assert evaluate(expr, CTX) == expected


@pytest.mark.parametrize(
    ("expr", "truthy"),
    [
        ("secrets.GITHUB_TOKEN", None),
        ("vars.X", None),
        ("needs.a.outputs.b", None),
        ("github.event.pull_request.number", None),
        ("env.UNSET", None),
        ("steps.other.outputs.x", None),
        ("hashFiles('go.sum')", None),
        ("secrets.X == 'a'", None),
        ("format('{0}', secrets.X)", None),
        ("secrets.X || true", True),
        ("secrets.X && false", False),
        ("!(secrets.X && false)", True),
        ("secrets.X && true", None),
    ],
)
def test_unknown_values_stay_symbolic(expr: str, truthy: bool | None) -> None:
    value = evaluate(expr, CTX)
    assert isinstance(value, Unknown)
    assert value.text == expr
    assert value.truthy is truthy
    assert str(value) == f"${{{{ {expr} }}}}"


def test_matrix_unknown_when_built_by_an_expression() -> None:
    assert isinstance(evaluate("matrix.service", CTX.with_matrix(None, known=False)), Unknown)
    assert evaluate("matrix.service", CTX.with_matrix(None)) is None


def test_env_layers_inner_wins_and_values_are_evaluated() -> None:
    job_env = load_yaml_text("LEVEL: job\nIMAGE: ${{ env.REGISTRY }}/${{ github.repository }}\nT: ${{ secrets.T }}\n",
                             display_path="w.yml")
    ctx = CTX.with_env_nodes(dict(job_env.items()))
    assert evaluate("env.LEVEL", ctx) == "job"
    assert evaluate("env.IMAGE", ctx) == "ghcr.io/Acme/Stream-Monitor"
    assert isinstance(evaluate("env.T", ctx), Unknown)
    assert evaluate("env.LEVEL", ctx.with_env({"LEVEL": "step"})) == "step"
    assert evaluate("env.LEVEL", CTX) == "workflow"


def test_interpolate() -> None:
    assert interpolate("ghcr.io/${{ github.repository }}-${{ matrix.service }}", CTX) == (
        "ghcr.io/Acme/Stream-Monitor-gateway")
    assert interpolate("no expressions", CTX) == "no expressions"
    assert interpolate("n=${{ matrix.n }} ok=${{ 1 == 1 }} none=${{ null }}", CTX) == "n=2 ok=true none="
    assert interpolate("${{ '}}' }}", CTX) == "}}"
    partial = interpolate("${{ env.REGISTRY }}/${{ secrets.OWNER }}/x", CTX)
    assert partial == Unknown("ghcr.io/${{ secrets.OWNER }}/x", template=True)
    assert str(partial) == "ghcr.io/${{ secrets.OWNER }}/x"


def test_resolve_keeps_the_type_of_a_lone_expression() -> None:
    node = load_yaml_text("a: ${{ github.event_name != 'pull_request' }}\nb: x-${{ true }}\nc: 3\nd: text\n",
                          display_path="w.yml")
    assert resolve(node.get("a"), CTX) is True
    assert resolve(node.get("b"), CTX) == "x-true"
    assert resolve(node.get("c"), CTX) == 3
    assert resolve(node.get("d"), CTX) == "text"
    assert resolve(None, CTX) is None


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, True),
        ("", True),
        ("github.ref == 'refs/heads/main'", True),
        ("${{ github.ref == 'refs/heads/dev' }}", False),
        ("github.event_name == 'pull_request'", False),
        ("false", False),
        ("always()", True),
        ("failure()", False),
        ("secrets.X != '' || github.ref_name == 'main'", True),
        ("github.ref_name == 'dev' && secrets.X", False),
    ],
)
def test_evaluate_if(condition: str | None, expected: bool) -> None:
    assert evaluate_if(condition, CTX) is expected


def test_evaluate_if_unknown() -> None:
    value = evaluate_if("secrets.DEPLOY == 'yes'", CTX)
    assert isinstance(value, Unknown)


def test_find_expressions_skips_braces_in_strings() -> None:
    assert find_expressions("a ${{ 'x}}y' }} b ${{ c }}") == [(2, 15, " 'x}}y' "), (18, 26, " c ")]


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("github.", "unexpected end of expression"),
        ("github.(", "expected a property name"),
        ("env ==", "unexpected end of expression"),
        ("(env", "expected ')'"),
        ("env b", "unexpected 'b'"),
        ("env = b", "unexpected '='"),
        ("a.b", "unrecognized named-value 'a'"),
        ("nosuch(1)", "unknown function"),
        ("contains('a')", "wrong number of arguments"),
        ("format('{1}', 'a')", "references more arguments"),
        ("fromJSON('{')", "invalid JSON"),
        ("", "empty expression"),
    ],
)
def test_bad_expressions_name_path_and_line(expr: str, fragment: str) -> None:
    with pytest.raises(WorkflowLoadError) as caught:
        evaluate(expr, CTX.at(7, "w.yml"))
    assert str(caught.value).startswith("w.yml:7: ")
    assert fragment in str(caught.value)


def test_unterminated_expression() -> None:
    with pytest.raises(WorkflowLoadError, match=r"^w\.yml:3: unterminated"):
        interpolate("x ${{ github.sha", CTX.at(3, "w.yml"))
