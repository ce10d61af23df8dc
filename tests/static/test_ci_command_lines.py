"""Where the plan's test command runs, and whether its failure fails the step (``checks/commands.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.workflows.checks import ci_go_test
from cicd_acceptance.workflows.checks.commands import find_command
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.model import load_workflow
from tests.static.repos import default_plan, target_of

COMMAND = "go test ./..."


def _sites(tmp_path: Path, run: str, shell: str | None = None) -> list[tuple[int, bool]]:
    block = "\n".join("          " + line for line in run.splitlines())
    shell_line = f"        shell: {shell}\n" if shell else ""
    text = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - name: tests\n{shell_line}        run: |\n{block}\n")
    (tmp_path / "ci.yml").write_text(text, encoding="utf-8")
    workflow = load_workflow(tmp_path, "ci.yml")
    return [(site.line, site.fails_step) for site in find_command(workflow, workflow.jobs["test"], COMMAND)]


@pytest.mark.parametrize(("run", "shell", "expected"), [
    ("go test ./... && go vet ./...", None, [(8, True)]),
    ("go build ./... && go test ./...", None, [(8, True)]),
    ("go test ./... && echo ok\necho done", None, [(8, False)]),
    ("go test ./... || true", None, [(8, False)]),
    ("go test ./... || echo failed", None, [(8, False)]),
    ("go test ./... || exit 1", None, [(8, True)]),
    ('go test ./... || { echo "tests failed"; exit 1; }', None, [(8, True)]),
    ("go test ./... || false", None, [(8, True)]),
    ("go test ./...; go vet ./...", None, [(8, True)]),
    ("go test ./... | tee out.txt", None, [(8, False)]),
    ("go test ./... | tee out.txt", "bash", [(9, True)]),
    ("go test ./... | tee out.txt", "pwsh", [(9, True)]),
    ("go test ./... | tee out.txt", "sh", [(9, False)]),
    ("set -euo pipefail\ngo test ./... | tee out.txt", None, [(9, True)]),
    ("set -e -o pipefail\ngo test ./... | tee out.txt", None, [(9, True)]),
    ("set -e\ngo test ./... | tee out.txt", None, [(9, False)]),
    ('go test ./... | tee out.txt; exit "${PIPESTATUS[0]}"', None, [(8, True)]),
    ("go test -json ./... 2>&1 | go-junit-report -set-exit-code > report.xml", None, [(8, True)]),
    ("go test \\\n  -race \\\n  ./...", None, [(8, True)]),
    ("go vet ./...", None, []),
    # PowerShell and cmd go on after a failing native command; the last one's status is the step's
    ("go test ./...\ngo vet ./...", "pwsh", [(9, False)]),
    ("go vet ./...\ngo test ./...", "pwsh", [(10, True)]),
    ("$PSNativeCommandUseErrorActionPreference = $true\ngo test ./...\ngo vet ./...", "pwsh", [(10, True)]),
    ("go test ./...\nif ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }\ngo vet ./...", "pwsh", [(9, True)]),
    ("go test ./...\ngo vet ./...", "cmd", [(9, False)]),
    ("go test ./...\ngo vet ./...", "sh", [(9, True)]),
])
def test_the_test_command_and_whether_its_failure_fails_the_step(
        tmp_path: Path, run: str, shell: str | None, expected: list[tuple[int, bool]]) -> None:
    assert _sites(tmp_path, run, shell) == expected


@pytest.mark.parametrize(("run", "directory"), [
    ('cd "${GITHUB_WORKSPACE}/"\ngo test ./...', None),
    ("cd ${{github.workspace}} && go test ./...", None),
    ("cd $GITHUB_WORKSPACE/. && go test ./...", None),
    ("cd ./ && go test ./...", None),
    ("cd ${{ github.workspace }}/internal && go test ./...", "${{ github.workspace }}/internal"),
    ("cd internal\ngo test ./...", "internal"),
    ("go test ./... && cd internal", None),
])
def test_the_directory_the_test_command_runs_in(tmp_path: Path, run: str, directory: str | None) -> None:
    block = "\n".join("          " + line for line in run.splitlines())
    text = f"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n{block}\n"
    (tmp_path / "ci.yml").write_text(text, encoding="utf-8")
    workflow = load_workflow(tmp_path, "ci.yml")
    assert [site.directory for site in find_command(workflow, workflow.jobs["test"], COMMAND)] == [directory]


@pytest.mark.parametrize(("run", "found"), [
    ("CGO_ENABLED=1 go test -race ./...", True),
    ("GOFLAGS=-mod=mod GOEXPERIMENT=loopvar go test ./...", True),
    ("env GOFLAGS=-mod=mod go test ./...", True),
    ("time go test ./...", True),
    ("timeout 15m go test -race ./...", True),
    ("timeout -k 30s --preserve-status 10m go test ./...", True),
    ("xvfb-run -a go test ./...", True),
    ("sudo -E go test ./...", True),
    ("timeout 10m go vet ./...", False),
    ("GOFLAGS=-mod=mod go vet ./...", False),
    ("echo go test ./...", False),
])
def test_the_test_command_after_variable_assignments(tmp_path: Path, run: str, found: bool) -> None:
    assert bool(_sites(tmp_path, run)) is found


def _directories(tmp_path: Path, checkout_path: str | None, step: str) -> list[str | None]:
    checkout = "      - uses: actions/checkout@v4\n" + (f"        with:\n          path: {checkout_path}\n"
                                                       if checkout_path is not None else "")
    text = f"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n{checkout}{step}"
    (tmp_path / "ci.yml").write_text(text, encoding="utf-8")
    workflow = load_workflow(tmp_path, "ci.yml")
    return [site.directory for site in find_command(workflow, workflow.jobs["test"], COMMAND)]


@pytest.mark.parametrize(("checkout_path", "step", "directories"), [
    # the repository is where actions/checkout put it: its `path:` is the root
    ("app", "      - run: go test ./...\n        working-directory: app\n", [None]),
    ("./app/", "      - run: go test ./...\n        working-directory: ${{ github.workspace }}/app\n", [None]),
    ("app", "      - run: cd app && go test ./...\n", [None]),
    # ...so the workspace itself, or another folder, is not
    ("app", "      - run: go test ./...\n", ["."]),
    ("app", "      - run: go test ./...\n        working-directory: app/internal\n", ["app/internal"]),
    (None, "      - run: go test ./...\n        working-directory: app\n", ["app"]),
    # a path only a run knows is not judged against the command
    ("${{ github.event.repository.name }}", "      - run: go test ./...\n", [None]),
])
def test_the_root_is_where_checkout_put_the_repository(tmp_path: Path, checkout_path: str | None, step: str,
                                                       directories: list[str | None]) -> None:
    assert _directories(tmp_path, checkout_path, step) == directories


@pytest.mark.parametrize(("job", "directories"), [
    # a monorepo's matrix over its modules: the '.' entry runs the tests at the root
    ("    strategy:\n      matrix:\n        module: ['.', tools/loadgen]\n"
     "    defaults:\n      run:\n        working-directory: ${{ matrix.module }}\n", [None]),
    ("    strategy:\n      matrix:\n        include:\n          - {dir: ./, name: root}\n          - {dir: api}\n"
     "    defaults:\n      run:\n        working-directory: ${{ matrix.dir }}\n", [None]),
    ("    env:\n      MODULE_DIR: .\n    defaults:\n      run:\n        working-directory: ${{ env.MODULE_DIR }}\n",
     [None]),
    ("    strategy:\n      matrix:\n        module: ['.', api]\n"
     "    defaults:\n      run:\n        working-directory: ${{ github.workspace }}/${{ matrix.module }}\n", [None]),
    # no entry is the root: the tests run elsewhere in each
    ("    strategy:\n      matrix:\n        module: [api, web]\n"
     "    defaults:\n      run:\n        working-directory: ${{ matrix.module }}\n", ["${{ matrix.module }}"]),
])
def test_a_working_directory_from_the_matrix_is_the_root_in_the_entries_where_it_evaluates_so(
        tmp_path: Path, job: str, directories: list[str | None]) -> None:
    text = f"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n{job}    steps:\n      - run: go test ./...\n"
    (tmp_path / "ci.yml").write_text(text, encoding="utf-8")
    workflow = load_workflow(tmp_path, "ci.yml")
    assert [site.directory for site in find_command(workflow, workflow.jobs["test"], COMMAND)] == directories


@pytest.mark.parametrize(("directory", "undecided"), [("${{ vars.MODULE_DIR }}", True),
                                                     ("${{ matrix.module }}", False)])
def test_a_working_directory_only_a_run_knows_is_undecided(sample_repo: Path, directory: str, undecided: bool) -> None:
    ci = sample_repo / ".github" / "workflows" / "ci.yml"
    text = ci.read_text(encoding="utf-8")
    text = text.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
                        "        module: [api, web]\n", 1)
    step = "        run: go test ./...\n"
    text = text.replace(step, f"{step}        working-directory: {directory}\n")
    ci.write_text(text, encoding="utf-8")
    findings = ci_go_test.RULE(CheckContext(target_of(sample_repo), default_plan()))
    found = [(f.undecided, f"found working directory '{directory}'" in f.message) for f in findings]
    assert found == [(undecided, True)]


@pytest.mark.parametrize(("run", "found"), [
    # gotestsum runs `go test -json ./...` with no args, `go test -json <args>` with args after `--`
    ("gotestsum --format testname --junitfile unit-tests.xml", True),
    ("gotestsum --format testname -- -race -count=1 ./...", True),
    ("go run gotest.tools/gotestsum@v1.12.0 --format pkgname -- -coverprofile=c.out ./...", True),
    ("gotestsum --packages=./... -- -race", True),
    ("gotestsum --raw-command -- go test -json ./...", True),
    ("gotestsum -- -race ./internal/...", False),
    ("gotestsum --packages ./cmd/... ", False),
    ("gotestsum -- -run TestParse ./...", False),
])
def test_gotestsum_runs_go_test_as_its_own_code_does(tmp_path: Path, run: str, found: bool) -> None:
    assert bool(_sites(tmp_path, run)) is found


_MAKEFILE = """GO ?= go
PKGS := ./...

.PHONY: all test vet lint ci
all: test

vet:
\t@$(GO) vet $(PKGS)

test: vet
\t$(GO) test -race -count=1 $(PKGS)

lint:
\tgolangci-lint run

ci:
\t$(MAKE) test
"""
_SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 ./...
"""


def _followed(tmp_path: Path, run: str, files: dict[str, str]) -> list[tuple[str | None, bool]]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "ci.yml").write_text("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                                     f"      - run: {run}\n", encoding="utf-8")
    workflow = load_workflow(tmp_path, "ci.yml")
    return [(site.directory, site.fails_step)
            for site in find_command(workflow, workflow.jobs["test"], COMMAND, tmp_path)]


@pytest.mark.parametrize(("run", "makefile", "expected"), [
    ("make test", _MAKEFILE, [(None, True)]),
    ("make", _MAKEFILE, [(None, True)]),  # the first target, 'all', needs 'test'
    ("make ci", _MAKEFILE, [(None, True)]),  # $(MAKE) test
    ("make -j2 test GOFLAGS=-v", _MAKEFILE, [(None, True)]),
    ("make test || true", _MAKEFILE, [(None, False)]),
    ("make lint", _MAKEFILE, []),
    ("make vet", _MAKEFILE, []),
    ("make test", "test:\n\t-go test ./...\n", [(None, False)]),  # a '-' recipe line's failure is ignored
    ("make -i test", "test:\n\tgo test ./...\n", [(None, False)]),
    ("make test", "test:\n\tgo test -v ./... | tee test.log\n", [(None, False)]),  # /bin/sh: no pipefail
    ("make test", "test:\n\tcd internal && go test ./...\n", [("internal", True)]),
    ("make test", "test:\n\tcd internal\n\tgo test ./...\n", [(None, True)]),  # each line its own shell
    ("make test", "test: export CGO_ENABLED=1\ntest:\n\tgo test \\\n\t  -race ./...\n", [(None, True)]),
    ("make -C tools test", "test:\n\tgo test ./...\n", []),  # no Makefile in tools/
])
def test_a_makefile_target_is_followed(tmp_path: Path, run: str, makefile: str,
                                       expected: list[tuple[str | None, bool]]) -> None:
    assert _followed(tmp_path, run, {"Makefile": makefile}) == expected


@pytest.mark.parametrize(("run", "script", "expected"), [
    ("./scripts/test.sh", _SCRIPT, [(None, True)]),
    ("bash scripts/test.sh", _SCRIPT, [(None, True)]),
    ("bash ./scripts/test.sh", "go test ./...\necho done\n", [(None, False)]),  # no set -e: the last line decides
    ("bash -e ./scripts/test.sh", "go test ./...\necho done\n", [(None, True)]),
    ("./scripts/test.sh", "#!/bin/bash -e\ngo test ./...\necho done\n", [(None, True)]),
    ("sh scripts/test.sh", "echo testing\ngo test ./...\n", [(None, True)]),
    ("./scripts/test.sh", 'cd "$(dirname "$0")"\ngo test ./...\n', [("scripts", True)]),
    ("./scripts/test.sh", 'cd "$(git rev-parse --show-toplevel)"\ngo test ./...\n', [(None, True)]),
    ("./scripts/test.sh", "cd \"$MODULE\"\ngo test ./...\n", [("\"$MODULE\"", True)]),
    ("./scripts/test.sh", "set -o pipefail\ngo test ./... | tee out.txt\n", [(None, True)]),
    ("./scripts/test.sh", "go test ./internal/...\n", []),
    ("./scripts/missing.sh", _SCRIPT, []),
])
def test_a_script_of_the_repository_is_followed(tmp_path: Path, run: str, script: str,
                                                expected: list[tuple[str | None, bool]]) -> None:
    assert _followed(tmp_path, run, {"scripts/test.sh": script}) == expected


def test_a_script_out_of_the_repository_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.sh"
    outside.write_text("go test ./...\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "test.sh").symlink_to(outside)
    assert _followed(repo, "./scripts/test.sh", {}) == []
    assert _followed(repo, "bash ../outside.sh", {}) == []


_TASKFILE = """version: '3'

vars:
  PKGS: ./...

tasks:
  default:
    cmds:
      - task: test
  lint:
    cmds:
      - golangci-lint run
  generate: go generate ./...
  test:
    desc: Run the unit tests
    deps: [generate]
    cmds:
      - go vet {{.PKGS}}
      - go test -race {{.PKGS}}
  test-lenient:
    cmds:
      - cmd: go test ./...
        ignore_error: true
  test-in-folder:
    cmds:
      - cd internal && go test ./...
"""


@pytest.mark.parametrize(("run", "expected"), [
    ("task test", [(None, True)]),
    ("task", [(None, True)]),  # default calls test
    ("task test -- -v", [(None, True)]),
    ("task lint", []),
    ("task test-lenient", [(None, False)]),
    ("task test-in-folder", [("internal", True)]),
    ("task -d tools test", []),  # no Taskfile there
])
def test_a_taskfile_task_is_followed(tmp_path: Path, run: str, expected: list[tuple[str | None, bool]]) -> None:
    assert _followed(tmp_path, run, {"Taskfile.yml": _TASKFILE}) == expected


def test_a_taskfile_that_is_not_yaml_is_not_followed(tmp_path: Path) -> None:
    assert _followed(tmp_path, "task test", {"Taskfile.yml": "tasks: [unclosed\n"}) == []


def test_a_makefile_whose_variables_double_at_each_level_stays_bounded(tmp_path: Path) -> None:
    # X30 would expand to 2**30 copies: the expansion stops at its bound and the line is kept as written.
    chain = "".join(f"X{i} = $(X{i - 1})$(X{i - 1})\n" for i in range(1, 31))
    makefile = "X0 = " + "y" * 1000 + "\n" + chain + "test:\n\techo $(X30)\n\tgo test ./...\n"
    assert _followed(tmp_path, "make test", {"Makefile": makefile}) == [(None, True)]


@pytest.mark.parametrize(("run", "matrix", "expected"), [
    # the command is a matrix value: each entry's script is looked at
    ("${{ matrix.cmd }}", "        cmd: ['go vet ./...', 'go test -race ./...']\n", (False, True)),
    # it comes from what only a run knows: undecided, not red
    ("${{ vars.TEST_COMMAND }}", "", (True, False)),
    ("make ${{ inputs.target }}", "", (True, False)),
    # the github context is known: a script that reads it and runs no tests is red
    ("echo ${{ github.sha }} && go vet ./...", "", (False, False)),
    ('test "${{ needs.unit.result }}" = success', "", (False, False)),  # an aggregator job runs no tests
    ("go test ${{ vars.PACKAGES }}", "", (True, False)),
])
def test_a_test_command_from_an_expression(sample_repo: Path, run: str, matrix: str,
                                           expected: tuple[bool, bool]) -> None:
    ci = sample_repo / ".github" / "workflows" / "ci.yml"
    text = ci.read_text(encoding="utf-8").replace("        run: go test ./...\n", f"        run: {run}\n")
    if matrix:
        text = text.replace("    runs-on: ubuntu-latest\n",
                            f"    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n{matrix}", 1)
    ci.write_text(text, encoding="utf-8")
    findings = ci_go_test.RULE(CheckContext(target_of(sample_repo), default_plan()))
    undecided, passes = expected
    assert (findings == []) is passes, findings
    assert all(f.undecided is undecided for f in findings), findings
