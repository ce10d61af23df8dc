"""The workflow model: `on:` in every form, permissions, jobs, steps, matrix combinations, shape errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cicd_acceptance.errors import TargetError, WorkflowLoadError
from cicd_acceptance.workflows.model import Workflow, load_workflow, parse_workflow
from cicd_acceptance.workflows.triggers import filter_matches
from cicd_acceptance.workflows.yamlnode import load_yaml_text

PATH = ".github/workflows/w.yml"


def parse(text: str) -> Workflow:
    return parse_workflow(load_yaml_text(textwrap.dedent(text), display_path=PATH), path=PATH)


def shape_error(text: str) -> WorkflowLoadError:
    with pytest.raises(WorkflowLoadError) as caught:
        parse(text)
    return caught.value


JOBS = "jobs:\n  j:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n"


@pytest.mark.parametrize(
    ("on", "events"),
    [
        ("on: push\n", ["push"]),
        ("on: [push, pull_request]\n", ["push", "pull_request"]),
        ("on:\n  push:\n  workflow_dispatch:\n", ["push", "workflow_dispatch"]),
        ("on:\n  workflow_dispatch: {}\n", ["workflow_dispatch"]),
        ("", []),
    ],
)
def test_on_in_every_form(on: str, events: list[str]) -> None:
    assert list(parse(on + JOBS).triggers) == events


def test_bare_workflow_dispatch_is_a_trigger_by_membership() -> None:
    workflow = parse("on:\n  push:\n    branches: [main]\n  workflow_dispatch:\n" + JOBS)
    dispatch = workflow.triggers["workflow_dispatch"]
    assert dispatch.node is not None
    assert dispatch.node.is_null
    assert dispatch.line == 4
    push = workflow.triggers["push"]
    assert push.branches == ("main",)
    assert push.tags is None
    assert push.line == 2


def test_trigger_filters_and_schedule() -> None:
    workflow = parse("""\
        on:
          push:
            branches: main
            tags: ['v*']
            paths-ignore: [docs/**]
          pull_request:
            types: [opened]
            branches-ignore: ['release/**']
          schedule:
            - cron: '0 3 * * *'
          workflow_dispatch:
            inputs:
              level: {type: string}
        jobs: {}
        """)
    push, pr = workflow.triggers["push"], workflow.triggers["pull_request"]
    assert (push.branches, push.tags, push.paths_ignore) == (("main",), ("v*",), ("docs/**",))
    assert push.admits_branch("main")
    assert not push.admits_branch("dev")
    assert push.admits_ref("refs/tags/v1.0")
    assert pr.types == ("opened",)
    assert pr.admits_branch("main")
    assert not pr.admits_branch("release/1.0")
    assert workflow.triggers["schedule"].crons == ("0 3 * * *",)
    assert list(workflow.triggers["workflow_dispatch"].inputs) == ["level"]


def test_tag_only_push_does_not_admit_branches() -> None:
    push = parse("on:\n  push:\n    tags: ['v*']\njobs: {}\n").triggers["push"]
    assert not push.admits_branch("main")


@pytest.mark.parametrize(
    ("patterns", "name", "expected"),
    [
        (("main",), "main", True),
        (("main",), "mainline", False),
        (("releases/*",), "releases/1.0", True),
        (("releases/*",), "releases/1/0", False),
        (("releases/**",), "releases/1/0", True),
        (("*",), "feature/x", False),
        (("**",), "feature/x", True),
        (("releases/**", "!releases/**-alpha"), "releases/2-alpha", False),
        (("releases/**", "!releases/**-alpha"), "releases/2", True),
        (("v[12].*",), "v2.0", True),
        (("v[12].*",), "v3.0", False),
        (("ma?in",), "min", True),
        (("ma?in",), "maain", False),
        (("v+1",), "vvv1", True),
    ],
)
def test_filter_patterns(patterns: tuple[str, ...], name: str, expected: bool) -> None:
    assert filter_matches(patterns, name) is expected


def test_permissions_forms() -> None:
    workflow = parse("""\
        on: push
        permissions: read-all
        jobs:
          a:
            runs-on: x
            permissions: {}
          b:
            runs-on: x
            permissions:
              contents: read
              packages: write
          c:
            runs-on: x
        """)
    assert workflow.permissions is not None
    assert workflow.permissions.preset == "read-all"
    assert workflow.permissions.level("packages") == "read"
    assert workflow.permissions.line == 2
    a, b, c = (workflow.jobs[name] for name in "abc")
    assert a.permissions is not None
    assert a.permissions.scopes == {}
    assert a.permissions.level("contents") == "none"
    assert b.permissions is not None
    assert b.permissions.level("packages") == "write"
    assert b.permissions.broader_than({"contents": "read"}) == {"packages": "write"}
    assert b.permissions.broader_than({"contents": "read", "packages": "write"}) == {}
    assert workflow.effective_permissions(c) is workflow.permissions
    assert workflow.effective_permissions(b) is b.permissions


def test_write_all_is_broader_than_anything_narrow() -> None:
    permissions = parse("on: push\npermissions: write-all\njobs: {}\n").permissions
    assert permissions is not None
    assert permissions.broader_than({"contents": "read"})["contents"] == "write"


def test_job_and_steps() -> None:
    workflow = parse("""\
        name: CI
        on: push
        env: {A: "1"}
        jobs:
          test:
            name: Tests
            runs-on: [self-hosted, linux]
            if: github.ref == 'refs/heads/main'
            needs: lint
            env: {B: two}
            steps:
              - uses: actions/checkout@v4
              - name: Go
                id: go
                uses: actions/setup-go@0aaccfd150d50ccaeb58ebd88d36e91967a5f35b
                with: {go-version-file: go.mod}
              - run: go test ./...
                working-directory: src
                if: success()
                env: {C: 3}
              - uses: ./local/action
              - uses: docker://alpine:3
              - uses: github/codeql-action/init@v3
          call:
            uses: org/repo/.github/workflows/x.yml@main
            with: {level: 1}
        """)
    assert workflow.name == "CI"
    assert workflow.env["A"].value == "1"
    test = workflow.jobs["test"]
    assert (test.id, test.line, test.name, test.runs_on) == ("test", 5, "Tests", ("self-hosted", "linux"))
    assert test.if_ == "github.ref == 'refs/heads/main'"
    assert test.needs == ("lint",)
    assert test.env["B"].value == "two"
    checkout, go, run, local, docker, codeql = test.steps
    assert (checkout.action, checkout.ref, checkout.index, checkout.line) == ("actions/checkout", "v4", 0, 12)
    assert go.id == "go"
    assert go.with_text("go-version-file") == "go.mod"
    assert go.ref == "0aaccfd150d50ccaeb58ebd88d36e91967a5f35b"
    assert (run.run, run.working_directory, run.if_, run.env["C"].value) == ("go test ./...", "src", "success()", 3)
    assert run.label == "run: go test ./..."
    assert (local.action, local.ref) == ("./local/action", None)
    assert (docker.action, docker.ref) == ("docker://alpine:3", None)
    assert codeql.action == "github/codeql-action/init"
    assert test.steps_using("ACTIONS/checkout") == (checkout,)
    call = workflow.jobs["call"]
    assert call.uses == "org/repo/.github/workflows/x.yml@main"
    assert call.steps == ()
    assert call.with_["level"].value == 1


def test_runs_on_group_form_and_boolean_if() -> None:
    workflow = parse("on: push\njobs:\n  a:\n    runs-on: {group: g, labels: [big]}\n    if: false\n")
    assert workflow.jobs["a"].runs_on == ("big",)
    assert workflow.jobs["a"].if_ == "false"


def matrix_combos(matrix: str) -> object:
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n" + textwrap.indent(
        textwrap.dedent(matrix), " " * 8)
    job = parse(text).jobs["a"]
    assert job.matrix is not None
    return job.matrix.combinations()


def test_matrix_product_first_axis_outermost() -> None:
    assert matrix_combos("os: [a, b]\nv: [1, 2]\n") == (
        {"os": "a", "v": 1}, {"os": "a", "v": 2}, {"os": "b", "v": 1}, {"os": "b", "v": 2})


def test_matrix_exclude_is_a_partial_match() -> None:
    assert matrix_combos("os: [a, b]\nv: [1, 2]\nexclude: [{os: b}]\n") == ({"os": "a", "v": 1}, {"os": "a", "v": 2})


def test_matrix_include_extends_matching_or_adds() -> None:
    # The example of GitHub's documentation ("Expanding or adding matrix configurations").
    combos = matrix_combos("""\
        fruit: [apple, pear]
        animal: [cat, dog]
        include:
          - color: green
          - color: pink
            animal: cat
          - fruit: apple
            shape: circle
          - fruit: banana
          - fruit: banana
            animal: cat
        """)
    assert combos == (
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    )


def test_matrix_include_only() -> None:
    combos = matrix_combos("include:\n  - {service: gateway, file: a}\n  - {service: worker, file: b}\n")
    assert combos == ({"service": "gateway", "file": "a"}, {"service": "worker", "file": "b"})


def test_matrix_values_and_line() -> None:
    job = parse("on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n        s: [a, b]\n").jobs["a"]
    assert job.matrix is not None
    assert job.matrix.values("s") == ("a", "b")
    assert job.matrix.line == 6


@pytest.mark.parametrize(
    "matrix",
    ["${{ fromJSON(needs.a.outputs.m) }}\n", "s: ${{ fromJSON(inputs.s) }}\n", "s: [a]\ninclude: ${{ x }}\n"],
)
def test_matrix_expression_stays_symbolic(matrix: str) -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix: " + (
        matrix if matrix.startswith("$") else "\n" + textwrap.indent(matrix, " " * 8))
    job = parse(text).jobs["a"]
    assert job.matrix is not None
    assert job.matrix.is_symbolic
    assert job.matrix.combinations() is None


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("on: push\njobs:\n  - a\n", 3, "expected a mapping for 'jobs', found a sequence"),
        ("on: push\n", 1, "the workflow has no 'jobs'"),
        ("on: push\njobs:\n  a: text\n", 3, "expected a mapping for job 'a', found a string"),
        ("on: push\njobs:\n  a:\n    steps: {run: x}\n", 4, "expected a sequence for 'steps' of job 'a'"),
        ("on: push\njobs:\n  a:\n    steps:\n      - echo\n", 5, "expected a mapping for step 1, found a string"),
        ("on: 3\njobs: {}\n", 1, "expected a mapping for 'on', found a number"),
        ("on:\n  push:\n    branches: {a: 1}\njobs: {}\n", 3, "expected a single value for 'on.push.branches'"),
        ("on: push\npermissions: all\njobs: {}\n", 2, "expected 'read-all', 'write-all' or a mapping"),
        ("on: push\njobs:\n  a:\n    strategy:\n      matrix:\n        s: a\n", 6, "expected a sequence for matrix"),
        ("on: push\njobs:\n  a:\n    steps:\n      - run: [a]\n", 5, "expected a single value for 'run'"),
        ("on: push\nenv: [A]\njobs: {}\n", 2, "expected a mapping for 'env'"),
    ],
)
def test_shape_errors_name_path_and_line(text: str, line: int, fragment: str) -> None:
    error = shape_error(text)
    assert str(error).startswith(f"{PATH}:{line}: ")
    assert fragment in str(error)


def test_load_workflow_from_a_repository(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    workflow = load_workflow(tmp_path, ".github/workflows/ci.yml")
    assert workflow.path == ".github/workflows/ci.yml"
    assert workflow.where(3) == ".github/workflows/ci.yml:3"


def test_load_workflow_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(WorkflowLoadError, match=r"^\.github/workflows/ci\.yml: file not found$"):
        load_workflow(tmp_path, ".github/workflows/ci.yml")
    with pytest.raises(TargetError, match="repository directory not found"):
        load_workflow(tmp_path / "missing", ".github/workflows/ci.yml")


def test_a_workflow_with_a_merge_key_is_refused_but_aliases_are_read(tmp_path: Path) -> None:
    # GitHub Actions reads anchors and aliases, not merge keys: a plan from merged keys would never run there.
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    path = tmp_path / ".github" / "workflows" / "ci.yml"
    path.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    env: &e {A: '1'}\n    steps: [{run: x}]\n"
                    "  b:\n    runs-on: x\n    env: *e\n    steps: [{run: x}]\n", encoding="utf-8")
    assert load_workflow(tmp_path, ".github/workflows/ci.yml").jobs["b"].env["A"].scalar_text() == "1"
    path.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    env: &e {A: '1'}\n    steps: [{run: x}]\n"
                    "  b:\n    runs-on: x\n    env:\n      <<: *e\n    steps: [{run: x}]\n", encoding="utf-8")
    with pytest.raises(WorkflowLoadError, match="does not support YAML merge keys") as caught:
        load_workflow(tmp_path, ".github/workflows/ci.yml")
    assert caught.value.line == 10
