"""JobWorkspace runs steps as a GitHub Linux runner: shells, file commands, env and PATH between steps."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cicd_acceptance.errors import ToolMissing
from cicd_acceptance.runner import JobWorkspace, Limits, Sandbox, ShellError, StepSpec

pytestmark = pytest.mark.tool  # bwrap or unshare


def step(script: str, workspace: Path, *, using: str | None = None, env: dict[str, str] | None = None,
         own: frozenset[str] = frozenset()) -> StepSpec:
    return StepSpec(script, using, workspace, env or {}, step_env_keys=own)


def test_the_runner_environment_is_set_and_nothing_of_the_harness(job: JobWorkspace, workspace: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_ONLY", "harness-value")
    result = job.run(step("env | sort", workspace, env={"FROM_ENV": "yes"}))
    assert result.ok, result.output
    env = dict(line.split("=", 1) for line in result.output.splitlines() if "=" in line)
    assert env["CI"] == "true"
    assert env["GITHUB_ACTIONS"] == "true"
    assert env["RUNNER_OS"] == "Linux"
    assert env["GITHUB_WORKSPACE"] == str(workspace.resolve())
    assert env["FROM_ENV"] == "yes"
    assert env["HOME"] == str(job.home)
    assert env["RUNNER_TEMP"] == str(job.runner_temp)
    for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"):
        assert env[name].startswith(str(job.runner_temp))
    assert "HARNESS_ONLY" not in env


def test_outputs_in_both_forms_and_the_summary_are_read_back(job: JobWorkspace, workspace: Path) -> None:
    script = """
echo "plain=a=b" >> "$GITHUB_OUTPUT"
{ echo "multi<<EOF_1"; echo "line 1"; echo "line=2"; echo "EOF_1"; } >> "$GITHUB_OUTPUT"
echo "empty=" >> "$GITHUB_OUTPUT"
echo "### Done" >> "$GITHUB_STEP_SUMMARY"
"""
    result = job.run(step(script, workspace))
    assert result.ok, result.output
    assert result.outputs == {"plain": "a=b", "multi": "line 1\nline=2", "empty": ""}
    assert result.summary == "### Done\n"


def test_github_env_and_path_reach_later_steps_only(job: JobWorkspace, workspace: Path) -> None:
    tools = workspace / "bin"
    tools.mkdir()
    (tools / "hello-tool").write_text("#!/bin/sh\necho hello from the tool\n")
    (tools / "hello-tool").chmod(0o755)
    first = job.run(step(f'echo "GREETING=hi" >> "$GITHUB_ENV"\necho "{tools}" >> "$GITHUB_PATH"\n'
                         'echo "now:${GREETING:-unset}"', workspace))
    assert first.ok
    assert "now:unset" in first.output
    assert first.env_added == {"GREETING": "hi"}
    assert first.path_added == (str(tools),)
    second = job.run(step('echo "later:$GREETING"; hello-tool; echo "PATH=$PATH"', workspace))
    assert second.ok, second.output
    assert "later:hi" in second.output
    assert "hello from the tool" in second.output
    assert f"PATH={tools}:" in second.output


def test_a_steps_own_env_wins_over_github_env_and_job_env_does_not(job: JobWorkspace, workspace: Path) -> None:
    assert job.run(step('echo "LEVEL=from-github-env" >> "$GITHUB_ENV"', workspace)).ok
    job_level = job.run(step('echo "level=$LEVEL"', workspace, env={"LEVEL": "job"}))
    step_level = job.run(step('echo "level=$LEVEL"', workspace, env={"LEVEL": "step"}, own=frozenset({"LEVEL"})))
    assert "level=from-github-env" in job_level.output
    assert "level=step" in step_level.output


@pytest.mark.parametrize(("shell", "script", "ok"), [
    (None, "false | true\necho reached", True),             # bash -e {0}: no pipefail
    ("bash", "false | true\necho reached", False),          # bash --noprofile --norc -eo pipefail {0}
    (None, "false\necho reached", False),                   # -e
    ("sh", "false\necho reached", False),
    ("python", "import sys\nprint('reached')\nsys.exit(0)", True),
    ("bash -c 'echo custom; exec bash {0}'", "echo reached", True),
])
def test_shells_start_as_the_runner_starts_them(job: JobWorkspace, workspace: Path, shell: str | None,
                                                  script: str, ok: bool) -> None:
    # A runner image has `python`; this machine may only have python3.
    shims = workspace / ".shims"
    shims.mkdir()
    system_python = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    if system_python is None:
        pytest.skip("no system python3 (the harness's own may live in a folder the sandbox hides)")
    (shims / "python").symlink_to(system_python)
    result = job.run(step(script, workspace, using=shell, env={"PATH": f"{shims}:{os.environ['PATH']}"}))
    assert result.ok is ok, result.output
    assert ("reached" in result.output) is ok


def test_the_script_is_a_file_in_runner_temp(job: JobWorkspace, workspace: Path) -> None:
    result = job.run(step('echo "script:$0"', workspace, using="bash"))
    assert f"script:{job.runner_temp}/" in result.output
    assert result.output.strip().endswith(".sh")


def test_a_custom_shell_without_its_placeholder_or_a_missing_shell_is_refused(job: JobWorkspace,
                                                                            workspace: Path) -> None:
    with pytest.raises(ShellError, match=r"\{0\}"):
        job.run(step("echo hi", workspace, using="bash -e"))
    with pytest.raises(ToolMissing, match="no-such-shell"):
        job.run(step("echo hi", workspace, using="no-such-shell {0}"))
    with pytest.raises(ShellError, match="longer than"):
        job.run(step("echo hi", workspace, using="x" * 20_000_000 + " {0}"))


@pytest.mark.parametrize(("content", "message"), [
    ("novalue\n", "invalid format"),
    ("=x\n", "the name is empty"),
    ("name<<EOF\nnever closed\n", "matching delimiter not found"),
])
def test_a_malformed_file_command_fails_the_step(job: JobWorkspace, workspace: Path, content: str,
                                                 message: str) -> None:
    result = job.run(step(f"printf '%s' '{content}' >> \"$GITHUB_OUTPUT\"", workspace))
    assert result.exit_code == 0
    assert not result.ok
    assert any(message in e for e in result.errors), result.errors


@pytest.mark.parametrize("attack", [
    'rm "$GITHUB_OUTPUT"; ln -s /etc/passwd "$GITHUB_OUTPUT"',
    'rm "$GITHUB_OUTPUT"; mkfifo "$GITHUB_OUTPUT"',
    'rm "$GITHUB_OUTPUT"; ln -s /dev/zero "$GITHUB_OUTPUT"',
    'head -c 2000000 /dev/zero | tr "\\0" a >> "$GITHUB_OUTPUT"',
])
def test_file_commands_are_read_bounded_and_never_through_a_symlink(job: JobWorkspace, workspace: Path,
                                                                   attack: str) -> None:
    result = job.run(step(attack, workspace))
    assert not result.ok
    assert result.errors
    assert "root:" not in "".join(result.outputs.values())


def test_the_working_directory_must_be_inside_the_workspace(job: JobWorkspace, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside the workspace"):
        job.run(StepSpec("true", None, tmp_path, {}))


def test_the_workspace_is_writable_and_the_rest_is_not(job: JobWorkspace, workspace: Path) -> None:
    result = job.run(step("echo built > artifact.txt\ntouch /usr/cannot-write 2>&1 || echo refused", workspace))
    assert result.ok, result.output
    assert (workspace / "artifact.txt").read_text() == "built\n"
    assert "refused" in result.output


def test_runner_temp_goes_away_with_the_job(workspace: Path, bwrap_sandbox: object) -> None:
    from cicd_acceptance.runner import Sandbox

    assert isinstance(bwrap_sandbox, Sandbox)
    with JobWorkspace(workspace, runner_env={}, limits=Limits(), sandbox=bwrap_sandbox) as job:
        temp = job.runner_temp
        assert temp.is_dir()
    assert not temp.exists()


def test_readable_folders_are_shown_read_only(workspace: Path, tmp_path: Path, sandbox: object) -> None:
    from cicd_acceptance.runner import Sandbox

    assert isinstance(sandbox, Sandbox)
    tools = tmp_path / "tools"  # under /tmp: hidden unless named
    tools.mkdir()
    (tools / "stand-in").write_text("#!/bin/sh\necho stand-in ran\n")
    (tools / "stand-in").chmod(0o755)
    with JobWorkspace(workspace, runner_env={"PATH": f"{tools}:/usr/bin:/bin"}, limits=Limits(timeout_s=30),
                      sandbox=sandbox, readable=[tools]) as job:
        result = job.run(step("stand-in\ntouch \"$1\" 2>/dev/null || echo read-only", workspace,
                              using="bash -e {0} " + str(tools / "new-file")))
    assert result.ok, result.output
    assert "stand-in ran" in result.output
    assert "read-only" in result.output
    assert not (tools / "new-file").exists()


def test_a_readable_parent_does_not_hide_the_writable_workspace(tmp_path: Path, sandbox: object) -> None:
    from cicd_acceptance.runner import Sandbox

    assert isinstance(sandbox, Sandbox)
    parent = tmp_path / "repo"
    inner = parent / "service"
    inner.mkdir(parents=True)
    (parent / "README").write_text("top level\n")
    with JobWorkspace(inner, runner_env={"PATH": "/usr/bin:/bin"}, limits=Limits(timeout_s=30), sandbox=sandbox,
                      readable=[parent]) as job:
        result = job.run(step("cat ../README\necho built > out.txt\ntouch ../nope 2>/dev/null || echo parent-ro",
                              inner))
    assert result.ok, result.output
    assert "top level" in result.output
    assert "parent-ro" in result.output
    assert (inner / "out.txt").read_text() == "built\n"


@pytest.mark.parametrize("attack", [
    'printf "A=b\\0c\\n" >> "$GITHUB_ENV"',
    'rm "$GITHUB_OUTPUT"; mkdir "$GITHUB_OUTPUT"',
])
def test_hostile_file_commands_fail_the_step_without_breaking_the_job(job: JobWorkspace, workspace: Path,
                                                                      attack: str) -> None:
    result = job.run(step(attack, workspace))
    assert not result.ok
    assert result.errors
    assert job.run(step("echo next step runs", workspace)).ok


def test_env_names_no_process_can_hold_are_left_out(job: JobWorkspace, workspace: Path) -> None:
    result = job.run(step("env", workspace, env={"A=B": "x", "": "y", "NUL": "a\0b", "GOOD": "yes"}))
    assert result.ok, result.output
    assert "GOOD=yes" in result.output
    assert "NUL=" not in result.output


def test_a_checkout_whose_path_has_spaces_runs_its_steps_in_place(tmp_path: Path, sandbox: Sandbox) -> None:
    """Paths with blanks reach the sandbox as they are: the working directory, GITHUB_WORKSPACE and a file command."""
    workspace = tmp_path / "my repo" / "with  two  spaces"
    (workspace / "sub dir").mkdir(parents=True)
    with JobWorkspace(workspace, runner_env={"PATH": os.environ.get("PATH", "")}, limits=Limits(timeout_s=30),
                      sandbox=sandbox) as job:
        result = job.run(step('pwd; echo "$GITHUB_WORKSPACE"; echo made > "made here"; '
                              'echo "where=$PWD" >> "$GITHUB_OUTPUT"', workspace / "sub dir"))
    assert result.ok, result.output
    assert result.output.splitlines()[:2] == [str(workspace / "sub dir"), str(workspace)]
    assert (workspace / "sub dir" / "made here").read_text() == "made\n"
    assert result.outputs == {"where": str(workspace / "sub dir")}
