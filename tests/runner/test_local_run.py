"""The local test run gives the test job's run: steps what a GitHub runner gives them (issue: GITHUB_OUTPUT unbound).

Each test writes a CI workflow into a copy of the sample and runs the local-test-run rule on it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from cicd_acceptance.errors import ToolError, ToolMissing
from cicd_acceptance.plan import Plan
from cicd_acceptance.target import open_target
from cicd_acceptance.tools import find_tool
from cicd_acceptance.workflows.checks import local_run
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding

pytestmark = pytest.mark.tool  # bwrap or unshare

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "stream-monitor"
HEADER = """name: CI
on:
  push:
    branches: [main]
permissions:
  contents: read
"""


@pytest.fixture
def repo(tmp_path: Path, bwrap_sandbox: object) -> Path:
    target = tmp_path / "target"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns(".git"))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "sample"]):
        subprocess.run(["git", *args], cwd=target, check=True, capture_output=True)
    return target


def run_rule(repo: Path, workflow: str) -> list[Finding]:
    (repo / ".github" / "workflows" / "ci.yml").write_text(HEADER + workflow, encoding="utf-8")
    ctx = CheckContext(open_target(repo, repository="example/stream-monitor"), Plan())
    return local_run.RULE(ctx)


def messages(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings)


def test_steps_get_the_runner_files_and_variables_under_set_u(repo: Path) -> None:
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - id: meta
        shell: bash
        run: |
          set -u
          echo "version=1.2.3" >> "$GITHUB_OUTPUT"
          echo "GREETING=hello" >> "$GITHUB_ENV"
          echo "### summary" >> "$GITHUB_STEP_SUMMARY"
          test "$CI" = true && test "$GITHUB_ACTIONS" = true && test "$RUNNER_OS" = Linux
          test "$GITHUB_WORKSPACE" = "$PWD" && test -d "$RUNNER_TEMP" && test "$GITHUB_REF" = refs/heads/main
      - run: |
          test "${{ steps.meta.outputs.version }}" = 1.2.3
          test "$GREETING" = hello
          test "${{ env.GREETING }}" = hello
          test "${{ github.ref_name }}" = main
""")
    assert findings == [], messages(findings)


def test_defaults_working_directory_shell_and_env_levels_apply(repo: Path) -> None:
    findings = run_rule(repo, """
env:
  LEVEL: workflow
  FROM_WORKFLOW: w
defaults:
  run:
    shell: bash
    working-directory: internal
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      LEVEL: job
    defaults:
      run:
        working-directory: cmd
    steps:
      - run: |
          test "$(basename "$PWD")" = cmd
          test "$LEVEL" = job && test "$FROM_WORKFLOW" = w
      - working-directory: internal/ids
        env:
          LEVEL: step
        run: test "$(basename "$PWD")" = ids && test "$LEVEL" = step
      - shell: sh
        run: test "$(basename "$PWD")" = cmd && false | true
      - run: false | true   # pipefail: the workflow's default shell is bash
""")
    assert len(findings) == 1, messages(findings)
    assert "'false | true" in findings[0].message
    assert "exit code 1" in findings[0].message


def test_step_if_is_evaluated_and_an_unknown_one_is_undecided(repo: Path) -> None:
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - if: github.event_name == 'pull_request'
        run: exit 1
      - if: ${{ success() && github.ref == 'refs/heads/main' }}
        run: echo "ran=yes" >> "$GITHUB_OUTPUT"
        id: ran
      - if: steps.ran.outputs.ran != 'yes'
        run: exit 1
      - if: vars.RUN_SLOW == 'true'
        run: exit 1
""")
    assert len(findings) == 1, messages(findings)
    assert "vars.RUN_SLOW" in findings[0].message
    assert findings[0].undecided
    assert "CI is green" in findings[0].settled_by
    assert findings[0].line == 19  # the if: line


def test_a_script_with_a_secret_is_undecided_not_guessed(repo: Path) -> None:
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./... -args -token "${{ secrets.API_TOKEN }}"
""")
    assert len(findings) == 1
    assert "${{ secrets.API_TOKEN }}" in findings[0].message
    assert findings[0].undecided
    assert "CI is green" in findings[0].settled_by


def test_a_failing_step_stops_the_job_and_names_the_output(repo: Path) -> None:
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo "this went wrong" >&2; exit 3
      - run: touch should-not-exist
""")
    assert len(findings) == 1
    assert "exit code 3" in findings[0].message
    assert "this went wrong" in findings[0].message
    assert not (repo / "should-not-exist").exists()


def test_a_go_line_newer_than_the_local_go_is_a_tool_problem(repo: Path) -> None:
    go = find_tool("go")
    if go is None:
        pytest.skip("go is not installed")
    (repo / "go.mod").write_text("module github.com/example/stream-monitor\n\ngo 1.999\n", encoding="utf-8")
    with pytest.raises(ToolMissing, match=r"go.mod needs Go 1.999 and this machine has go1"):
        run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./...
""")


def test_a_toolchain_line_on_a_go_before_1_21_is_a_tool_problem(repo: Path) -> None:
    # Go 1.19 stops at "unknown directive: toolchain" before any test runs: the machine's limit, not the target's.
    go = find_tool("go")
    if go is None:
        pytest.skip("go is not installed")
    local = local_run.local_go_version(go)
    if not local.startswith(("go1.19", "go1.20", "go1.18")):
        pytest.skip(f"this machine's {local} reads toolchain lines")
    (repo / "go.mod").write_text("module github.com/example/stream-monitor\n\ngo 1.19\n\ntoolchain go1.19.8\n",
                                 encoding="utf-8")
    with pytest.raises(ToolMissing, match=r"'toolchain' line \(line 5\), which Go reads from 1.21 on"):
        run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./...
""")


_NEEDS_A_DATABASE = """
    steps:
      - run: |
          echo "dial localhost:5432: connection refused" >&2
          exit 1
"""


@pytest.mark.parametrize(("setting", "named"), [
    ("    services:\n      postgres:\n        image: postgres:16\n        ports: ['5432:5432']\n      redis:\n"
     "        image: redis:7\n", "services (postgres, redis)"),
    ("    container:\n      image: golang:1.22-bookworm\n", "container (golang:1.22-bookworm)"),
    ("    container: golang:1.22\n", "container (golang:1.22)"),
], ids=["services", "container-mapping", "container-image-only"])
def test_a_failure_in_a_job_with_services_or_a_container_is_undecided(repo: Path, setting: str, named: str) -> None:
    # The local run starts neither the services nor the container: a test needing them is no red of the target.
    findings = run_rule(repo, "jobs:\n  test:\n    runs-on: ubuntu-latest\n" + setting + _NEEDS_A_DATABASE)
    assert len(findings) == 1, messages(findings)
    assert findings[0].undecided, messages(findings)
    assert f"does not start the job's {named}" in findings[0].message
    assert "connection refused" in findings[0].message
    assert "CI is green" in findings[0].settled_by


def test_a_job_with_services_whose_steps_pass_passes(repo: Path) -> None:
    assert run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis:7
    steps:
      - run: go test ./...
""") == []


@pytest.mark.parametrize(("steps", "named"), [
    ("      - uses: actions/checkout@v4\n      - uses: gotesttools/gotestsum-action@v1\n"
     "      - run: gotestsum --format testname\n",
     "'gotestsum' is not on this machine; on GitHub the runner image or an action before it "
     "(gotesttools/gotestsum-action) may provide it"),
    ("      - shell: sh\n        run: tparse-not-installed -all\n",
     "'tparse-not-installed' is not on this machine; on GitHub the runner image may provide it"),
], ids=["after-an-action", "runner-image"])
def test_a_command_missing_here_is_undecided(repo: Path, steps: str, named: str) -> None:
    # Exit 127: a tool the runner image or an action (not run here) installs; a run on GitHub settles it.
    findings = run_rule(repo, "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n" + steps)
    assert len(findings) == 1, messages(findings)
    assert findings[0].undecided, messages(findings)
    assert "exit code 127" in findings[0].message
    assert named in findings[0].message


def test_exit_127_without_a_missing_command_stays_red(repo: Path) -> None:
    findings = run_rule(repo, "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: exit 127\n")
    assert len(findings) == 1, messages(findings)
    assert not findings[0].undecided


def test_each_matrix_entry_whose_commands_differ_runs_and_a_failure_names_its_entry(repo: Path) -> None:
    # A monorepo: the root module passes, the second module's test fails; only that entry is red.
    module = repo / "tools" / "loadgen"
    module.mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/loadgen\n\ngo 1.19\n", encoding="utf-8")
    (module / "rate_test.go").write_text('package loadgen\n\nimport "testing"\n\nfunc TestRate(t *testing.T) '
                                         '{ t.Fatal("rate is off") }\n', encoding="utf-8")
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        module: [".", tools/loadgen]
    defaults:
      run:
        working-directory: ${{ matrix.module }}
    steps:
      - run: go test ./...
""")
    assert len(findings) == 1, messages(findings)
    assert not findings[0].undecided
    assert "rate is off" in findings[0].message
    assert findings[0].message.endswith("[matrix entry module=tools/loadgen]")


def test_a_matrix_of_windows_and_macos_entries_is_not_run_as_linux(repo: Path) -> None:
    with pytest.raises(ToolMissing, match="runs on"):
        run_rule(repo, """
jobs:
  test:
    strategy:
      matrix:
        os: [windows-latest, macos-14]
    runs-on: ${{ matrix.os }}
    steps:
      - run: go test ./...
""")


def test_the_time_bound_is_a_setting(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(local_run.TIMEOUT_ENV, "0.5")
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 30
""")
    assert len(findings) == 1
    assert "time bound" in findings[0].message
    monkeypatch.setenv(local_run.TIMEOUT_ENV, "soon")
    with pytest.raises(Exception, match="not a number"):
        local_run.limits_from_env()


def _module_cache(where: Path) -> Path:
    """A Go module cache holding example.com/dep v1.0.0, filled from a file proxy (no network)."""
    proxy = where / "proxy" / "example.com" / "dep" / "@v"
    proxy.mkdir(parents=True)
    with zipfile.ZipFile(proxy / "v1.0.0.zip", "w") as archive:
        archive.writestr("example.com/dep@v1.0.0/go.mod", "module example.com/dep\n\ngo 1.18\n")
        archive.writestr("example.com/dep@v1.0.0/dep.go", 'package dep\n\nfunc Hello() string { return "hi" }\n')
    (proxy / "v1.0.0.mod").write_text("module example.com/dep\n\ngo 1.18\n")
    (proxy / "v1.0.0.info").write_text('{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}')
    (proxy / "list").write_text("v1.0.0\n")
    cache = where / "modcache"
    env = {**os.environ, "GOPROXY": f"file://{where / 'proxy'}", "GOSUMDB": "off", "GOMODCACHE": str(cache),
           "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    subprocess.run(["go", "mod", "download", "example.com/dep@v1.0.0"], cwd=where, env=env, check=True,
                   capture_output=True)
    return cache


def _with_dependency(repo: Path) -> None:
    (repo / "go.mod").write_text("module github.com/example/stream-monitor\n\ngo 1.19\n\n"
                                 "require example.com/dep v1.0.0\n", encoding="utf-8")
    (repo / "internal" / "usesdep").mkdir()
    (repo / "internal" / "usesdep" / "dep_test.go").write_text(
        'package usesdep\n\nimport (\n\t"testing"\n\n\t"example.com/dep"\n)\n\n'
        'func TestDep(t *testing.T) {\n\tif dep.Hello() != "hi" {\n\t\tt.Fatal("no")\n\t}\n}\n')


_GO_TEST = """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: go test -mod=mod ./...
"""


def test_modules_in_the_harness_module_cache_build_without_a_download(repo: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if find_tool("go") is None:
        pytest.skip("go is not installed")
    cache = _module_cache(tmp_path / "dep")
    _with_dependency(repo)
    monkeypatch.setattr(local_run, "harness_module_cache", lambda: cache)
    assert run_rule(repo, _GO_TEST) == []


def test_modules_nowhere_on_this_machine_are_a_tool_problem(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if find_tool("go") is None:
        pytest.skip("go is not installed")
    _with_dependency(repo)
    monkeypatch.setattr(local_run, "harness_module_cache", lambda: None)
    with pytest.raises(ToolMissing, match="cannot be downloaded here"):
        run_rule(repo, _GO_TEST)


def test_continue_on_error_and_timeout_minutes_are_honoured(repo: Path) -> None:
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: exit 4
        continue-on-error: true
      - run: sleep 30
        timeout-minutes: 0.01
""")
    assert len(findings) == 1, messages(findings)
    assert "sleep 30" in findings[0].message
    assert "time bound" in findings[0].message


def test_a_windows_job_is_not_run_as_linux(repo: Path) -> None:
    with pytest.raises(ToolMissing, match="runs on windows-latest"):
        run_rule(repo, """
jobs:
  test:
    runs-on: windows-latest
    steps:
      - run: go test ./...
""")


def test_a_checkout_into_a_folder_of_the_workspace_is_not_run_here(repo: Path) -> None:
    # The steps would look for the repository in app/; the local run's workspace is the repository itself.
    with pytest.raises(ToolMissing, match="checks the repository out into 'app'"):
        run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          path: app
      - run: go test ./...
        working-directory: app
""")


def test_a_failure_with_an_env_value_only_github_knows_is_undecided(repo: Path) -> None:
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      API_KEY: ${{ secrets.API_KEY }}
    steps:
      - run: test -n "$API_KEY"
""")
    assert len(findings) == 1, messages(findings)
    assert "API_KEY=${{ secrets.API_KEY }}" in findings[0].message
    assert findings[0].undecided
    assert "CI is green" in findings[0].settled_by


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file and link of the checkout but its .git (a link: its target), unfollowed."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in dirs + files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = (os.readlink(path).encode() if path.is_symlink() else
                                                  b"<dir>" if path.is_dir() else path.read_bytes())
    return found


def test_the_steps_run_in_a_copy_and_leave_the_checkout_unchanged(repo: Path) -> None:
    workflow = """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: rm -f go.mod && touch planted
      - run: |
          test ! -e go.mod && test -e planted && test "$GITHUB_WORKSPACE" = "$PWD"
          test "$(git rev-parse HEAD)" = "$GITHUB_SHA"
"""
    (repo / ".github" / "workflows" / "ci.yml").write_text(HEADER + workflow, encoding="utf-8")
    before = _snapshot(repo)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout
    findings = run_rule(repo, workflow)
    assert findings == [], messages(findings)
    assert _snapshot(repo) == before
    assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True,
                          text=True).stdout == head


def test_the_history_is_shown_read_only(repo: Path) -> None:
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: git -c user.name=t -c user.email=t@example.com commit -q --allow-empty -m planted
""")
    assert len(findings) == 1, messages(findings)
    assert "exit code" in findings[0].message
    log = subprocess.run(["git", "log", "--format=%s"], cwd=repo, check=True, capture_output=True, text=True)
    assert log.stdout.split() == ["sample"]


def test_a_symlink_out_of_the_checkout_stops_the_run_by_name(repo: Path, tmp_path: Path) -> None:
    (repo / "internal" / "escape").symlink_to(tmp_path)
    with pytest.raises(ToolError, match="internal/escape is a symlink that leads outside the repository"):
        run_rule(repo, _GO_TEST)


def test_a_credential_in_the_checkouts_git_config_stays_hidden(repo: Path) -> None:
    subprocess.run(["git", "config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic c2VjcmV0"],
                   cwd=repo, check=True)
    findings = run_rule(repo, """
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: |
          test -s "$(git rev-parse --absolute-git-dir)/config"
          ! grep -ri -e extraheader -e c2VjcmV0 "$(git rev-parse --absolute-git-dir)/config"
""")
    assert findings == [], messages(findings)


def test_a_run_while_another_holds_the_stable_copy_runs_in_a_fresh_folder(repo: Path) -> None:
    stable = local_run.work_folder(local_run.sandbox_cache_dir("example/stream-monitor"), repo)
    stable.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(stable.parent / f"{stable.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another harness run on the same repository
        findings = run_rule(repo, f"""
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: test "$PWD" != "{stable}" && test -f go.mod && touch planted
""")
    finally:
        os.close(fd)
    assert findings == [], messages(findings)
    assert not (repo / "planted").exists()
